"""The lifecycle drawing is made from the state machine, so it cannot drift from it."""

from referrals.management.commands.draw_lifecycle import lifecycle_graph
from referrals.models import Referral


def test_every_state_and_change_of_state_is_drawn():
    source = lifecycle_graph().source

    for state in Referral.State:
        assert f"{state.value} [label=" in source, state
    assert "submitted -> accepted" in source
    assert "active -> closed" in source
    assert "extension_requested -> active" in source
    # Same-state actions are listed inside the state, not drawn to a "None" node.
    assert "None" not in source
    assert "record attended session" in source
