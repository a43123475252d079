"""Two workers sweeping at the same moment send one chase, not two (docs/security-checklist.md
#25). Needs PostgreSQL: SQLite serialises every writer, so it would prove nothing."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from referrals import chasing
from referrals.models import ChaseRecord, OutboundEmail
from tests.concurrency import race

LONDON = ZoneInfo("Europe/London")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sweeps_send_one_chase(flow, requires_postgres, settings):
    settings.CIRS_HOLD_CHASES_OUT_OF_HOURS = True
    settings.CIRS_WORKING_HOURS = (8, 18)
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False):
        referral = flow.referral()  # the PSW is the only triage lead here
    mail.outbox.clear()
    moment = datetime(2026, 3, 5, 11, tzinfo=LONDON)  # past the triage limit, working hours
    with time_machine.travel(moment, tick=False):
        # Each sweep stops inside its transaction after inserting its chase record
        # until the other is seen waiting on that record's unique key: run one after
        # the other, this raises NeverOverlapped.
        run = race(
            lambda: chasing.sweep(now=moment),
            lambda: chasing.sweep(now=moment),
            gate=r"^INSERT INTO \S*chaserecord",
        )

    assert sorted(run.seen) == ["gate", "waited"]
    errors = [r for r in run.results if isinstance(r, Exception)]
    results = [r for r in run.results if not isinstance(r, Exception)]
    assert errors == []
    assert sorted(results) == [0, 1]
    assert ChaseRecord.objects.filter(referral=referral, clock="triage").count() == 1
    assert OutboundEmail.objects.filter(dedupe_key__startswith=f"chase:{referral.pk}:").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [flow.psw.email]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sweeps_claim_each_of_a_batch_of_chases_once(
    flow, requires_postgres, settings
):
    """The claims of a whole batch go in one statement: the sweep that comes second waits
    for the first one's claims, then finds every chase taken and tells no one."""
    settings.CIRS_HOLD_CHASES_OUT_OF_HOURS = True
    settings.CIRS_WORKING_HOURS = (8, 18)
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False):
        referrals = [flow.referral() for _ in range(6)]
    mail.outbox.clear()
    moment = datetime(2026, 3, 5, 11, tzinfo=LONDON)
    with time_machine.travel(moment, tick=False):
        run = race(
            lambda: chasing.sweep(now=moment),
            lambda: chasing.sweep(now=moment),
            gate=r"^INSERT INTO \S*chaserecord",
        )

    assert sorted(run.seen) == ["gate", "waited"]
    assert sorted(r for r in run.results if not isinstance(r, Exception)) == [0, 6]
    for referral in referrals:
        assert ChaseRecord.objects.filter(referral=referral, clock="triage").count() == 1
        assert (
            OutboundEmail.objects.filter(dedupe_key__startswith=f"chase:{referral.pk}:").count()
            == 1
        )
    assert len(mail.outbox) == 6
