"""Test settings: the dev defaults, fast hashing, in-memory e-mail, eager Celery."""

import os

os.environ.setdefault("DEBUG", "false")

from config.settings.dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Tests check the production rule: chases wait for working hours.
CIRS_HOLD_CHASES_OUT_OF_HOURS = True
