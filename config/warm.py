"""What a process serving CIRS loads as it starts, not in the first request someone
makes of it or in the first sweep: the URL configuration (and with it every view),
this year's bank holidays and the e-mail templates. gunicorn's workers
(``config/wsgi.py``) and Celery's worker (``config/celery.py``) call ``warm``."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import timezone

from referrals import clocks


def warm() -> None:
    get_resolver().url_patterns  # noqa: B018 - loads the URL configuration
    clocks.is_working_day(timezone.localdate())
    emails = Path(settings.BASE_DIR) / "templates" / "emails"
    for template in sorted(emails.iterdir()):
        get_template(f"emails/{template.name}")
