"""Every state of the referral can be reached through the real services."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from referrals.models import Referral


@pytest.mark.parametrize("state", [s.value for s in Referral.State])
def test_every_state_is_reachable_through_services(flow, state):
    referral = flow.referral(state=state)

    assert referral.state == state
    # Every step after the draft left a transition row saying who did it.
    assert referral.transitions.exclude(by=None).count() == referral.transitions.count()


@pytest.mark.parametrize("state", [Referral.State.ACTIVE, Referral.State.CLOSED])
def test_a_referral_reaches_its_state_just_after_midnight(flow, state):
    """The flow's meetings and sessions are "earlier today", never the day before the
    referral was sent, however soon after midnight the suite runs."""
    just_after = datetime(2026, 12, 8, 0, 0, 0, 300000, tzinfo=ZoneInfo("Europe/London"))
    with time_machine.travel(just_after, tick=True):
        referral = flow.referral(state=state)
    assert referral.state == state
