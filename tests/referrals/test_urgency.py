"""Lists sort by urgency from the referral's own brief of its stored deadlines
(``Referral.clocks_*``, ``selectors.next_due``), falling back to the stored rows only
where the brief cannot tell. Whatever the moment, the order is the one the rows give
(``selectors.next_due_from_rows``): read at many moments after the rows were stored,
before targets, between a target and its limit, past limits, and after a held
closure-summary clock has started."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from referrals import services
from referrals.models import Referral
from referrals.selectors import next_due, next_due_from_rows

LONDON = ZoneInfo("Europe/London")
S = Referral.State
MONDAY = datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)


def _both(now):
    return list(
        Referral.objects.annotate(brief=next_due(now), rows=next_due_from_rows(now))
        .order_by("pk")
        .values_list("pk", "brief", "rows")
    )


def test_the_brief_gives_the_rows_next_deadline_at_every_moment(flow):
    with time_machine.travel(MONDAY, tick=False):
        flow.referral(S.SUBMITTED)
        flow.referral(S.MORE_INFO)
        flow.referral(S.ACCEPTED)
        flow.referral(S.ALLOCATED)
        flow.referral(S.ACTIVE, sessions=3)
        flow.referral(S.EXTENSION_REQUESTED)
        flow.referral(S.CLOSED)
        held = flow.referral(S.ACTIVE, sessions=3)
        # Only its closure summary runs, and it waits for the key date.
        services.record_manager_contact(
            referral_id=held.pk, by=flow.therapist.user, contacted_at=timezone.now()
        )
        services.record_review(
            referral_id=held.pk, by=flow.therapist.user, outcome="close", reason=""
        )
        services.save_key_date(
            referral_id=held.pk,
            by=flow.therapist.user,
            kind="funeral",
            date=timezone.localdate() + timedelta(days=3),
        )
    held.refresh_from_db()
    assert held.clocks_held_until is not None and held.clocks_limit_at is None
    seen_between = seen_held_started = False
    for hours in range(0, 24 * 14, 3):
        now = MONDAY + timedelta(hours=hours)
        rows = _both(now)
        assert [brief for _pk, brief, _rows in rows] == [r for _pk, _b, r in rows], now
        for referral in Referral.objects.exclude(clocks_target_at=None):
            if referral.clocks_target_at < now <= (referral.clocks_limit_at or now):
                seen_between = True
        if now.date() > (MONDAY + timedelta(days=3)).date():
            seen_held_started = True
    assert seen_between and seen_held_started


def test_the_brief_follows_the_services(flow):
    with time_machine.travel(MONDAY, tick=False):
        referral = flow.referral(S.SUBMITTED)
        referral.refresh_from_db()
        first = referral.clocks_first_at
        assert first == referral.clocks_target_at < referral.clocks_limit_at
        services.request_more_information(referral_id=referral.pk, by=flow.psw, question="?")
        referral.refresh_from_db()
        assert (referral.clocks_first_at, referral.clocks_limit_at) == (None, None)
        services.answer_information_request(referral_id=referral.pk, by=flow.manager, answer="Here")
        referral.refresh_from_db()
        assert referral.clocks_first_at is not None
