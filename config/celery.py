"""The Celery app. Its settings, including the beat schedule, are the CELERY_* names in
config/settings/base.py."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("cirs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _warm(**_kwargs) -> None:
    """The worker loads what its tasks need before its pool starts, so each pool process
    begins with it (config/warm.py): the first sweep does not pay for it."""
    from config.warm import warm

    warm()
