"""The Monday digest: PSW and SMPE hear of everything near or past its limit; each
provider coordinator of their own provider's cases; once a week."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from referrals import chasing
from referrals.models import Notification, OutboundEmail, Referral

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def cases(flow, other_coordinator):
    with time_machine.travel(datetime(2026, 3, 4, 10, tzinfo=LONDON), tick=False):
        waiting = flow.referral()  # triage past its limit by Monday
        allocated = flow.referral(state=Referral.State.ALLOCATED)
    with time_machine.travel(datetime(2026, 3, 9, 7, tzinfo=LONDON), tick=False):
        fresh = flow.referral()  # on track on Monday morning
    return waiting, allocated, fresh


def test_monday_digest_to_triage_leads_and_to_each_coordinator(
    flow, smpe, cases, other_coordinator
):
    waiting, allocated, fresh = cases
    monday = datetime(2026, 3, 9, 8, tzinfo=LONDON)
    with time_machine.travel(monday, tick=False):
        sent = chasing.send_weekly_digest(now=monday)
    digests = OutboundEmail.objects.filter(dedupe_key__startswith="digest:")
    assert sent == digests.count() == 3  # PSW, SMPE, and the one coordinator with cases
    assert set(digests.values_list("user_id", flat=True)) == {
        flow.psw.pk,
        smpe.pk,
        flow.coordinator.pk,
    }
    to_psw = digests.get(user=flow.psw)
    assert waiting.reference in to_psw.body_text
    assert allocated.reference in to_psw.body_text
    assert fresh.reference not in to_psw.body_text
    to_coordinator = digests.get(user=flow.coordinator)
    assert allocated.reference in to_coordinator.body_text
    assert waiting.reference not in to_coordinator.body_text  # not sent to the provider
    assert waiting.staff_name not in to_psw.body_text
    assert Notification.objects.filter(user=flow.psw, subject=to_psw.subject).count() == 1

    with time_machine.travel(monday.replace(hour=9), tick=False):
        assert chasing.send_weekly_digest(now=monday.replace(hour=9)) == 0
    assert Notification.objects.filter(user=flow.psw, subject=to_psw.subject).count() == 1


def test_no_digest_when_nothing_is_near_its_limit(flow, smpe):
    monday = datetime(2026, 3, 9, 8, tzinfo=LONDON)
    with time_machine.travel(monday.replace(hour=7), tick=False):
        flow.referral()
    with time_machine.travel(monday, tick=False):
        assert chasing.send_weekly_digest(now=monday) == 0
    assert not OutboundEmail.objects.filter(dedupe_key__startswith="digest:").exists()


def test_the_digest_task_is_on_the_beat_schedule_for_monday_morning(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-digest"]
    assert entry["task"] == "referrals.tasks.send_weekly_digest"
    assert entry["schedule"].day_of_week == {1}
    assert entry["schedule"].hour == {settings.CIRS_WORKING_HOURS[0]}
