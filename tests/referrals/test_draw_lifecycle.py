"""The lifecycle drawing is made from the state machine, so it cannot drift from it."""

import shutil

from django.core.management import call_command

from referrals.management.commands.draw_lifecycle import lifecycle_dot
from referrals.models import Referral
from tests.conftest import need


def test_every_state_and_change_of_state_is_drawn():
    source = lifecycle_dot()

    for state in Referral.State:
        assert f"{state.value} [label=" in source, state
    assert "submitted -> accepted" in source
    assert "active -> closed" in source
    assert "extension_requested -> active" in source
    # Same-state actions are listed inside the state, not drawn to a "None" node.
    assert "None" not in source
    assert "record attended session" in source


def test_labels_are_quoted_so_dot_reads_them():
    source = lifecycle_dot()
    assert 'active [label="In support\\n\\n' in source
    assert 'closed [label="Support ended" peripheries=2]' in source


def test_the_command_writes_the_dot_file_and_renders_the_svg(tmp_path):
    need(shutil.which("dot") is not None, "Graphviz's dot (make test installs it)")
    call_command("draw_lifecycle", output=str(tmp_path / "lifecycle"))
    assert (tmp_path / "lifecycle.dot").read_text() == lifecycle_dot()
    assert "<svg" in (tmp_path / "lifecycle.svg").read_text()
