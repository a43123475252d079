"""The Celery app. Its settings, including the beat schedule, are the CELERY_* names in
config/settings/base.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("cirs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
