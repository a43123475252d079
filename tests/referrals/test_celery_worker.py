"""One real Celery worker, for the wiring: the sweep task goes through Redis to a worker
process that reads the same PostgreSQL database, chases a breached triage clock, and
the e-mail is delivered by the worker's outbox task."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from referrals.models import ChaseRecord
from referrals.tasks import sweep_clocks

DELIVERY_SECONDS = 30


def database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def wait_for(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    return None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_chases_a_breached_clock(flow, requires_postgres, redis_url, tmp_path):
    # Submitted two working weeks ago: the triage clock is well past its limit.
    with time_machine.travel(timezone.now() - timedelta(days=14), tick=False):
        referral = flow.referral()
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "CIRS_VAR_DIR": str(tmp_path / "var"),
        # The worker runs whenever the suite runs: do not hold the chase for the morning.
        "CIRS_HOLD_CHASES_OUT_OF_HOURS": "false",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=cirs-test-{os.getpid()}@%h",
            "--loglevel=WARNING",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    eager = celery_app.conf.task_always_eager
    try:
        celery_app.conf.task_always_eager = False
        with celery_app.connection_for_write(redis_url) as conn:
            sweep_clocks.apply_async(producer=celery_app.amqp.Producer(conn))

        def delivered():
            files = list(Path(mail_dir).glob("*.log")) if mail_dir.exists() else []
            texts = [f.read_text(errors="replace") for f in files]
            return [t for t in texts if referral.reference in t and flow.psw.email in t]

        chase = wait_for(delivered, DELIVERY_SECONDS)
    finally:
        celery_app.conf.task_always_eager = eager
        worker.terminate()
        try:
            output = worker.communicate(timeout=15)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")

    assert chase, f"no chase e-mail within {DELIVERY_SECONDS}s; worker said:\n{output[-3000:]}"
    assert "triage" in chase[0].lower()
    assert ChaseRecord.objects.filter(referral=referral, clock="triage", level=2).exists()
