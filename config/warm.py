"""What a process serving CIRS loads as it starts, not in the first request someone
makes of it or in the first sweep: the URL configuration (and with it every view),
this year's and next year's bank holidays (a deadline found in December is counted in
working days into January: reading a year's holidays costs about 0.15 s) and the
e-mail templates. gunicorn's workers
(``config/wsgi.py``) and Celery's worker (``config/celery.py``) call ``warm``.

Then what it has loaded is set aside from Python's garbage collector (``gc.freeze``):
the objects a process loads at start (modules, views, templates: about 150,000 in a
gunicorn worker) live as long as it does, yet each full collection walked them all
again, a pause of 75 ms on the bench's machine inside whichever request it fell in
(docs/performance.md, "Workers start warm")."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import timezone

from referrals import clocks


def warm(*, freeze: bool = True) -> None:
    get_resolver().url_patterns  # noqa: B018 - loads the URL configuration
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        clocks.is_working_day(date(year, 1, 1))
    emails = Path(settings.BASE_DIR) / "templates" / "emails"
    for template in sorted(emails.iterdir()):
        get_template(f"emails/{template.name}")
    if freeze:
        gc.collect()
        gc.freeze()
