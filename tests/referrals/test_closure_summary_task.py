"""On closure, the anonymised summary goes to the line manager with the notice that
support has ended, and the same copy to the staff member (docs/service.md step 11). It never
carries the staff member's contact details, the incident or session content."""

import pytest
from django.core import mail

from referrals import services
from referrals.models import ExitPathway, Notification, OutboundEmail, Referral, TherapySession

MARKERS = {
    "staff_name": "Zebulon Quillfeather",
    "staff_phone": "07700 913579",
    "staff_email": "zq-marker-4471@example.net",
    "event_details": "MARKER-EVENT-8c21",
    "description": "MARKER-INCIDENT-5d90",
    "team_input_details": "MARKER-TEAM-1e77",
}
SESSION_NOTES = "MARKER-NOTES-3b12"
CANCELLATION = "MARKER-CANCEL-9a04"
COMMENTS = "Engaged well and found the sessions helpful. Feels ready to end support."


def every_text():
    for email in OutboundEmail.objects.all():
        yield from (email.subject, email.body_text, email.body_html)
    for message in mail.outbox:
        yield message.subject
        yield message.body
        yield from (content for content, _ in message.alternatives)
    for notice in Notification.objects.all():
        yield from (notice.subject, notice.body)


@pytest.fixture
def closed(flow, django_capture_on_commit_callbacks):
    referral = flow.referral(state=Referral.State.ACTIVE, **MARKERS)
    flow.session(referral, notes=SESSION_NOTES)
    flow.session(
        referral,
        attendance=TherapySession.Attendance.CANCELLED,
        cancellation_reason=CANCELLATION,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.close_referral(
            referral_id=referral.pk,
            by=flow.therapist.user,
            exit_pathways=ExitPathway.objects.filter(code__in=["no_further_support", "gp"]),
            comments=COMMENTS,
        )
    return flow.refresh(referral)


def test_closure_sends_the_summary_to_the_manager_and_a_copy_to_the_staff_member(flow, closed):
    summary = closed.closure_summary
    assert COMMENTS in summary.text
    assert summary.sent_at is not None
    for pathway in ExitPathway.objects.filter(code__in=["no_further_support", "gp"]):
        assert pathway.general_wording in summary.text

    to_manager = OutboundEmail.objects.get(dedupe_key__startswith=f"summary:{closed.pk}:manager")
    to_staff = OutboundEmail.objects.get(dedupe_key__startswith=f"summary:{closed.pk}:staff")
    assert to_manager.to == flow.manager.email
    assert to_staff.to == MARKERS["staff_email"]  # their own address, as the envelope only
    assert "ended" in to_manager.subject
    for email in (to_manager, to_staff):
        assert summary.text in email.body_text
        assert email.status == OutboundEmail.Status.SENT
    assert Notification.objects.filter(
        user=flow.manager, referral=closed, subject=to_manager.subject
    ).exists()


def test_nothing_personal_reaches_any_e_mail_or_notice(closed):
    texts = list(every_text())
    assert texts
    markers = [*MARKERS.values(), SESSION_NOTES, CANCELLATION, "913579"]
    for text in texts:
        for marker in markers:
            assert marker not in text


def test_running_the_task_again_sends_nothing_twice(closed):
    before = (OutboundEmail.objects.count(), Notification.objects.count(), len(mail.outbox))
    assert services.send_closure_summary(closed.pk) == 0
    after = (OutboundEmail.objects.count(), Notification.objects.count(), len(mail.outbox))
    assert after == before


def test_contact_details_written_into_the_comments_are_taken_out(
    flow, django_capture_on_commit_callbacks
):
    referral = flow.referral(state=Referral.State.ACTIVE, **MARKERS)
    with django_capture_on_commit_callbacks(execute=True):
        services.close_referral(
            referral_id=referral.pk,
            by=flow.therapist.user,
            exit_pathways=ExitPathway.objects.filter(code="no_further_support"),
            comments=(
                f"Zebulon did well. Reach {MARKERS['staff_email']} or 07700-913-579 if needed."
            ),
        )
    text = flow.refresh(referral).closure_summary.text
    assert "Zebulon" not in text
    assert MARKERS["staff_email"] not in text
    assert "913" not in text
    assert "did well" in text
    for value in every_text():
        assert "Zebulon" not in value


def test_a_referral_that_is_not_closed_sends_no_summary(flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    assert services.send_closure_summary(referral.pk) == 0
    assert not OutboundEmail.objects.filter(dedupe_key__startswith="summary:").exists()
