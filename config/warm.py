"""What a process serving CIRS loads as it starts, not in the first request someone
makes of it or in the first sweep: the URL configuration (and with it every view),
this year's bank holidays and the e-mail templates. gunicorn's workers
(``config/wsgi.py``) and Celery's worker (``config/celery.py``) call ``warm``.

Then what it has loaded is set aside from Python's garbage collector (``gc.freeze``):
the objects a process loads at start (modules, views, templates: about 150,000 in a
gunicorn worker) live as long as it does, yet each full collection walked them all
again, a pause of 75 ms on the bench's machine inside whichever request it fell in
(docs/performance.md, "Workers start warm")."""

from __future__ import annotations

import gc
from pathlib import Path

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import timezone

from referrals import clocks


def warm(*, freeze: bool = True) -> None:
    get_resolver().url_patterns  # noqa: B018 - loads the URL configuration
    clocks.is_working_day(timezone.localdate())
    emails = Path(settings.BASE_DIR) / "templates" / "emails"
    for template in sorted(emails.iterdir()):
        get_template(f"emails/{template.name}")
    if freeze:
        gc.collect()
        gc.freeze()
