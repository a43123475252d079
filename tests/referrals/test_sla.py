"""``referrals/sla.py``: a reading is taken at one moment, and everything it says
(status and next deadline) is as of that moment, not as of the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from referrals import sla
from referrals.models import Referral

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
