"""``referrals/sla.py``: a reading is taken at one moment, and everything it says
(status and next deadline) is as of that moment, not as of the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from referrals import sla
from referrals.models import ClockDeadline, Referral

LONDON = ZoneInfo("Europe/London")
SUBMITTED = datetime(2026, 6, 8, 10, tzinfo=LONDON)  # a Monday
SECOND = timedelta(seconds=1)


def test_next_due_is_the_target_until_it_passes_then_the_limit_at_the_given_moment(flow):
    with time_machine.travel(SUBMITTED, tick=False):
        referral = flow.referral(state=Referral.State.SUBMITTED)
    # Read long afterwards (the wall clock is far past both deadlines): the answer must
    # follow ``now=``, as "My cases" and the queues ask for it.
    (triage,) = sla.running_clocks(referral, now=SUBMITTED + SECOND)
    target, limit = triage.deadline.target_at, triage.deadline.limit_at
    assert target < limit

    before = sla.next_due(referral, now=target)
    after = sla.next_due(referral, now=target + SECOND)

    assert (before.clock, before.due_at) == ("triage", target)
    assert (after.clock, after.due_at) == ("triage", limit)


def test_the_stored_deadlines_agree_with_the_clocks_on_each_referral(flow):
    """The rows the services store (``ClockDeadline``, read by every list and the sweep)
    and ``sla.referral_clocks`` (the badges of one referral) say the same thing about
    which clock runs and when its target and limit fall, for every state a referral can
    be in."""
    S = Referral.State
    referrals = [
        flow.referral(state)
        for state in (S.SUBMITTED, S.MORE_INFO, S.DECLINED, S.ACCEPTED, S.WITHDRAWN, S.ALLOCATED)
    ]
    referrals += [flow.referral(S.ACTIVE, sessions=3), flow.referral(S.EXTENSION_REQUESTED)]
    referrals.append(flow.referral(S.CLOSED))
    referrals.append(flow.referral(S.SUBMITTED, team_input="no"))
    seen_clocks = set()
    for referral in referrals:
        running = {
            r.clock: (r.deadline.target_at, r.deadline.limit_at)
            for r in sla.referral_clocks(referral)
            if r.is_running
        }
        stored = {
            row.clock: (row.target_at, row.limit_at)
            for row in ClockDeadline.objects.filter(referral=referral)
            if row.runs_on(timezone.localdate())
        }
        assert stored == running, referral.state
        seen_clocks |= set(stored)
    assert seen_clocks >= {"triage", "allocation", "first_meeting", "manager_contact", "review"}
