"""Every state of the referral can be reached through the real services."""

import pytest

from referrals.models import Referral


@pytest.mark.parametrize("state", [s.value for s in Referral.State])
def test_every_state_is_reachable_through_services(flow, state):
    referral = flow.referral(state=state)

    assert referral.state == state
    # Every step after the draft left a transition row saying who did it.
    assert referral.transitions.exclude(by=None).count() == referral.transitions.count()
