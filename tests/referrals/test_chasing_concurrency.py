"""Two workers sweeping at the same moment send one chase, not two (docs/security-checklist.md
#25). Needs PostgreSQL: SQLite serialises every writer, so it would prove nothing."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection

from referrals import chasing
from referrals.models import ChaseRecord, OutboundEmail

LONDON = ZoneInfo("Europe/London")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sweeps_send_one_chase(flow, requires_postgres, settings):
    settings.CIRS_HOLD_CHASES_OUT_OF_HOURS = True
    settings.CIRS_WORKING_HOURS = (8, 18)
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False):
        referral = flow.referral()  # the PSW is the only triage lead here
    mail.outbox.clear()
    moment = datetime(2026, 3, 5, 11, tzinfo=LONDON)  # past the triage limit, working hours
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(chasing.sweep(now=moment))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(moment, tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert sorted(results) == [0, 1]
    assert ChaseRecord.objects.filter(referral=referral, clock="triage").count() == 1
    assert OutboundEmail.objects.filter(dedupe_key__startswith=f"chase:{referral.pk}:").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [flow.psw.email]
