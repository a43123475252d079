"""Each running clock's next deadline is stored on a row (``ClockDeadline``) by the
services that start, stop or pause it; a recompute gives the same rows."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.utils import timezone

from referrals import clocks, services
from referrals.models import ClockDeadline, Referral
from referrals.models.deadlines import running

LONDON = ZoneInfo("Europe/London")
S = Referral.State


def stored(referral) -> dict:
    return {
        row.clock: row for row in ClockDeadline.objects.filter(referral=referral).order_by("clock")
    }


def snapshot() -> list:
    return list(
        ClockDeadline.objects.order_by("referral_id", "clock").values_list(
            "referral_id",
            "clock",
            "started_at",
            "near_at",
            "target_at",
            "limit_at",
            "held_until",
            "chase_at",
        )
    )


def test_the_services_start_stop_and_pause_the_stored_clocks(flow):
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False):
        referral = flow.referral(S.SUBMITTED)
        (triage,) = stored(referral).values()
        due = clocks.deadline("triage", referral.submitted_at)
        assert (triage.clock, triage.target_at, triage.limit_at) == (
            "triage",
            due.target_at,
            due.limit_at,
        )
        assert referral.submitted_at < triage.near_at < triage.target_at
        assert triage.chase_at == triage.near_at  # the first chase: near the target

        services.request_more_information(referral_id=referral.pk, by=flow.psw, question="?")
        assert stored(referral) == {}  # paused with the line manager

        services.answer_information_request(
            referral_id=referral.pk, by=flow.manager, answer="Here it is"
        )
        assert set(stored(referral)) == {"triage"}  # restarted

        services.accept_referral(referral_id=referral.pk, by=flow.psw, provider=flow.provider)
        assert set(stored(referral)) == {"allocation", "first_meeting", "manager_contact"}

        services.allocate_referral(
            referral_id=referral.pk, therapist=flow.therapist, by=flow.coordinator
        )
        assert set(stored(referral)) == {"first_meeting", "manager_contact"}

        services.withdraw_referral(referral_id=referral.pk, by=flow.manager, reason="changed")
        assert stored(referral) == {}


def test_a_closure_summary_clock_waits_for_a_key_date(flow):
    referral = flow.referral(S.ACTIVE, sessions=3)
    services.record_review(
        referral_id=referral.pk, by=flow.therapist.user, outcome="close", reason=""
    )
    assert "closure_summary" in stored(referral)
    assert stored(referral)["closure_summary"].held_until is None
    ahead = timezone.localdate() + timedelta(days=20)
    services.save_key_date(
        referral_id=referral.pk, by=flow.therapist.user, kind="funeral", date=ahead
    )
    row = stored(referral)["closure_summary"]
    assert row.held_until == ahead
    running_today = ClockDeadline.objects.filter(running(timezone.localdate()), pk=row.pk)
    assert not running_today.exists()
    assert ClockDeadline.objects.filter(running(ahead + timedelta(days=1)), pk=row.pk).exists()


def test_recompute_is_idempotent_and_restores_lost_rows(flow):
    flow.referral(S.SUBMITTED)
    flow.referral(S.ACCEPTED)
    flow.referral(S.ACTIVE, sessions=3)
    before = snapshot()
    assert before
    ClockDeadline.objects.all().delete()
    out = StringIO()
    call_command("recompute_deadlines", stdout=out)
    assert snapshot() == before
    call_command("recompute_deadlines", stdout=out)
    assert snapshot() == before
    assert f"Stored {len(before)} running clock deadlines." in out.getvalue()
