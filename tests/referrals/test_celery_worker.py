"""One real Celery worker, for the wiring: the sweep task goes through Redis to a worker
process that reads the same PostgreSQL database, chases a breached triage clock, and
the e-mail is delivered by the worker's outbox task."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from referrals.models import ChaseRecord
from referrals.tasks import sweep_clocks
from tests.referrals.celery_worker_helpers import (
    mail_files,
    publishing_to,
    start_worker,
    stop_worker,
    wait_for,
    worker_env,
)

DELIVERY_SECONDS = 30


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_chases_a_breached_clock(flow, requires_postgres, redis_url, tmp_path):
    # Submitted two working weeks ago: the triage clock is well past its limit.
    with time_machine.travel(timezone.now() - timedelta(days=14), tick=False):
        referral = flow.referral()
    mail_dir = tmp_path / "mail"
    env = worker_env(
        redis_url=redis_url,
        tmp_path=tmp_path,
        mail_dir=mail_dir,
        # The worker runs whenever the suite runs: do not hold the chase for the morning.
        CIRS_HOLD_CHASES_OUT_OF_HOURS="false",
    )
    worker = start_worker(env)
    try:
        with publishing_to(redis_url) as producer:
            sweep_clocks.apply_async(producer=producer)

        def delivered():
            return [
                t for t in mail_files(mail_dir) if referral.reference in t and flow.psw.email in t
            ]

        chase = wait_for(delivered, DELIVERY_SECONDS)
    finally:
        output = stop_worker(worker)

    assert chase, f"no chase e-mail within {DELIVERY_SECONDS}s; worker said:\n{output}"
    assert "triage" in chase[0].lower()
    assert ChaseRecord.objects.filter(referral=referral, clock="triage", level=2).exists()
