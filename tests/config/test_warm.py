"""``config.warm``: what gunicorn's and Celery's processes load as they start
(docs/performance.md, "Workers start warm")."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

from celery.signals import worker_init
from django.conf import settings
from django.template.loader import get_template

import config.warm
from config.warm import warm


def test_warm_loads_every_e_mail_template(monkeypatch):
    loaded = []

    def load(name):
        loaded.append(name)
        return get_template(name)

    monkeypatch.setattr(config.warm, "get_template", load)

    warm(freeze=False)

    on_disk = sorted(p.name for p in (Path(settings.BASE_DIR) / "templates" / "emails").iterdir())
    assert loaded == [f"emails/{name}" for name in on_disk]
    assert "emails/chase_triage_body.html" in loaded


def test_the_celery_worker_warms_before_its_pool_starts(monkeypatch):
    calls = []
    monkeypatch.setattr(config.warm, "warm", lambda: calls.append("warm"))

    worker_init.send(sender=None)

    assert calls == ["warm"]


def test_what_a_process_loaded_is_set_aside_from_the_garbage_collector():
    """A full collection no longer walks what the process loaded as it started."""
    gc.unfreeze()
    try:
        warm()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000
        assert len(gc.get_objects(generation=2)) < frozen
    finally:
        gc.unfreeze()


def test_warm_reads_this_years_and_next_years_bank_holidays(monkeypatch):
    from referrals import clocks

    clocks._bank_holidays.cache_clear()
    today = date(2026, 12, 12)
    monkeypatch.setattr(config.warm.timezone, "localdate", lambda: today)

    warm(freeze=False)

    read = clocks._bank_holidays.cache_info()
    assert read.currsize == 2
    # A deadline counted from December into January finds both years already read.
    assert not clocks.is_working_day(date(2026, 12, 25))
    assert not clocks.is_working_day(date(2027, 1, 1))
    assert clocks._bank_holidays.cache_info().misses == read.misses
