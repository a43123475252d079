"""docs/security-checklist.md row 26: no message waits in the broker longer than its visibility
timeout, in every settings module; and the beat schedule names real tasks."""

import importlib
import sys

import pytest
from celery import current_app

from referrals import mailer, tasks


@pytest.mark.parametrize(
    "module", ["config.settings.dev", "config.settings.test", "config.settings.prod"]
)
def test_visibility_timeout_outlasts_every_retry_and_eta(module, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    # A fresh import of the chain, so each module is read as that deployment reads it.
    for name in ("config.settings.base", "config.settings.dev", module):
        monkeypatch.delitem(sys.modules, name, raising=False)
    settings = importlib.import_module(module)
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    longest_retry = settings.CELERY_RETRY_BACKOFF_MAX
    longest_eta = max(
        [
            entry.get("options", {}).get("countdown", 0)
            for entry in settings.CELERY_BEAT_SCHEDULE.values()
        ]
    )
    assert max(longest_retry, longest_eta, mailer.CLAIM_LEASE.total_seconds()) < visibility
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True


def test_the_send_task_backoff_is_capped_below_the_visibility_timeout(settings):
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert tasks.send_outbound_email.retry_backoff_max < visibility
    assert mailer.backoff(mailer.MAX_ATTEMPTS * 10).total_seconds() < visibility


def test_every_beat_entry_names_a_registered_task(settings):
    # What a worker does at start: import every installed app's tasks module.
    current_app.loader.import_default_modules()
    registered = set(current_app.tasks)
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in registered, name


def test_redis_never_evicts_queued_tasks(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
