"""Case forms start their date-and-time at now (things are recorded just after) and
carry the version the therapist saw."""

import pytest
import time_machine

from referrals.forms import support as case_forms


@pytest.mark.parametrize(
    ("form_class", "field"),
    [
        (case_forms.FirstMeetingForm, "held_at"),
        (case_forms.TherapySessionForm, "held_at"),
        (case_forms.GroupSessionForm, "held_at"),
        (case_forms.ManagerContactForm, "contacted_at"),
    ],
)
def test_the_time_starts_at_now_in_london(form_class, field):
    with time_machine.travel("2026-07-01 09:30:00+00:00", tick=False):
        form = form_class()

    # 09:30 UTC is 10:30 in London in July (BST).
    assert form.fields[field].initial == "2026-07-01T10:30"
    assert "version" in form.fields


def test_notes_are_labelled_private_on_every_session_form():
    for form_class in (case_forms.FirstMeetingForm, case_forms.TherapySessionForm):
        assert "seen by you only" in form_class().fields["notes"].label
