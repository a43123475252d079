"""Development defaults: DEBUG on, SQLite and the filesystem broker unless told otherwise."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# On a laptop, show chases as soon as beat finds them instead of holding them for the
# next working morning (production holds them: see CIRS_HOLD_CHASES_OUT_OF_HOURS).
os.environ.setdefault("CIRS_HOLD_CHASES_OUT_OF_HOURS", "false")

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

if not SECRET_KEY:
    # A development-only key; prod.py refuses to start without a real one.
    SECRET_KEY = "dev-insecure-key-for-local-use-only-change-me-0123456789abcdef"

VAR_DIR.mkdir(parents=True, exist_ok=True)
