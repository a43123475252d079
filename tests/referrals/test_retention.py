"""Erasing personal fields after the retention period (docs/service.md "Data"), keeping the
anonymous figures; idempotent."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import AuditEvent
from referrals import retention, services, tasks
from referrals.models import (
    Allocation,
    ExitPathway,
    InformationRequest,
    Notification,
    OutboundEmail,
    Referral,
    TherapySession,
    TransitionLog,
)

LONDON = ZoneInfo("Europe/London")
CLOSED_AT = datetime(2026, 3, 4, 10, tzinfo=LONDON)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def retention_days(settings):
    settings.CIRS_RETENTION_DAYS = 30
    return settings.CIRS_RETENTION_DAYS


@pytest.fixture
def closed(flow, django_capture_on_commit_callbacks):
    with time_machine.travel(CLOSED_AT - timedelta(days=2), tick=False):
        referral = flow.referral(team_input="yes", team_input_details="Two colleagues")
        services.request_more_information(referral_id=referral.pk, by=flow.psw, question="Who?")
        services.answer_information_request(referral_id=referral.pk, by=flow.manager, answer="Jo")
        services.accept_referral(referral_id=referral.pk, by=flow.psw, provider=flow.provider)
        services.allocate_referral(
            referral_id=referral.pk, therapist=flow.therapist, by=flow.coordinator
        )
        flow.first_meeting(referral)
        flow.session(referral, notes="private notes")
        flow.session(referral, attendance="cancelled", cancellation_reason="unwell")
    with (
        time_machine.travel(CLOSED_AT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.close_referral(
            referral_id=referral.pk,
            by=flow.therapist.user,
            exit_pathways=ExitPathway.objects.filter(code="gp"),
            comments="General comments",
        )
    return flow.refresh(referral)


def erase_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return retention.erase_expired_personal_data(now=moment)


def test_nothing_is_erased_until_the_period_has_passed(closed, retention_days):
    assert erase_at(CLOSED_AT + timedelta(days=retention_days)) == 0
    closed.refresh_from_db()
    assert closed.personal_data_erased_at is None
    assert closed.staff_name


def test_personal_fields_are_erased_and_the_figures_kept(closed, retention_days):
    sessions_before = closed.therapy_sessions.count()
    counted_before = closed.counted_sessions()
    moment = CLOSED_AT + timedelta(days=retention_days) + SECOND
    assert erase_at(moment) == 1

    closed.refresh_from_db()
    for field in retention.REFERRAL_FIELDS:
        assert getattr(closed, field) == "", field
    assert closed.staff_user is None
    assert closed.personal_data_erased_at == moment
    assert closed.incident.description == ""
    assert (
        not TherapySession.objects.filter(referral=closed)
        .exclude(therapist_notes="", cancellation_reason="")
        .exists()
    )
    assert (
        not InformationRequest.objects.filter(referral=closed)
        .exclude(question="", answer="")
        .exists()
    )
    assert closed.closure_summary.comments == closed.closure_summary.text == ""
    assert not TransitionLog.objects.filter(referral=closed).exclude(note="").exists()
    assert not Notification.objects.filter(referral=closed).exclude(body="").exists()
    summary_mail = OutboundEmail.objects.filter(dedupe_key__startswith=f"summary:{closed.pk}:")
    assert summary_mail.exists()
    assert set(summary_mail.values_list("body_text", flat=True)) == {""}

    # The anonymous figures survive.
    assert closed.state == Referral.State.CLOSED
    assert closed.closed_at == CLOSED_AT
    assert closed.first_meeting_at is not None
    assert closed.therapy_sessions.count() == sessions_before
    assert closed.counted_sessions() == counted_before
    assert list(closed.closure_summary.exit_pathways.values_list("code", flat=True)) == ["gp"]
    assert closed.incident.category and closed.incident.team_id

    audit = AuditEvent.objects.filter(action=AuditEvent.Action.ERASE, object_id=str(closed.pk))
    assert audit.count() == 1


def test_erasing_again_changes_nothing(closed, retention_days):
    moment = CLOSED_AT + timedelta(days=retention_days, hours=1)
    erase_at(moment)
    assert erase_at(moment + timedelta(days=1)) == 0
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASE).count() == 1
    closed.refresh_from_db()
    assert closed.personal_data_erased_at == moment


def test_declined_and_withdrawn_referrals_are_erased_open_ones_kept(flow, retention_days):
    with time_machine.travel(CLOSED_AT, tick=False):
        declined = flow.referral(state=Referral.State.DECLINED)
        withdrawn = flow.referral(state=Referral.State.WITHDRAWN)
        still_open = flow.referral(state=Referral.State.ACTIVE)
    assert erase_at(CLOSED_AT + timedelta(days=retention_days) + SECOND) == 2
    for referral in (declined, withdrawn, still_open):
        referral.refresh_from_db()
    assert declined.decline_reason == declined.staff_name == ""
    assert withdrawn.withdrawal_reason == withdrawn.staff_email == ""
    assert still_open.staff_name and still_open.personal_data_erased_at is None
    assert still_open.incident.description


def test_a_shared_incident_keeps_its_description_while_another_referral_needs_it(
    flow, retention_days
):
    with time_machine.travel(CLOSED_AT, tick=False):
        declined = flow.referral(state=Referral.State.DECLINED)
        other = flow.referral()
    # Two people referred after one incident (set here directly: the form makes one each).
    Referral.objects.filter(pk=other.pk).update(incident=declined.incident)
    assert erase_at(CLOSED_AT + timedelta(days=retention_days) + SECOND) == 1
    declined.incident.refresh_from_db()
    assert declined.incident.description


def test_the_nightly_task_calls_it(closed, retention_days):
    with time_machine.travel(CLOSED_AT + timedelta(days=retention_days + 1), tick=False):
        assert tasks.erase_expired_personal_data.apply().get() == 1


def test_a_reallocation_reason_is_erased_and_the_allocations_kept(
    flow, other_therapist, retention_days
):
    with time_machine.travel(CLOSED_AT - timedelta(days=1), tick=False):
        referral = flow.referral(state=Referral.State.ALLOCATED)
        services.reallocate_referral(
            referral_id=referral.pk,
            therapist=other_therapist,
            by=flow.coordinator,
            reason="The therapist knows the staff member's family",
        )
        services.withdraw_referral(referral_id=referral.pk, by=flow.manager, reason="moved on")
    allocations = Allocation.objects.filter(referral=referral)
    assert allocations.exclude(reason="").exists()

    assert erase_at(CLOSED_AT + timedelta(days=retention_days) + SECOND) == 1

    assert allocations.count() == 2
    assert set(allocations.values_list("reason", flat=True)) == {""}


def test_each_erasure_is_streamed_to_the_audit_log(closed, retention_days, caplog):
    """docs/security-checklist.md row 21: erasure rows go through the audit stream too."""
    moment = CLOSED_AT + timedelta(days=retention_days) + SECOND
    with caplog.at_level(logging.INFO, logger="cirs.audit"):
        assert erase_at(moment) == 1

    streamed = [r for r in caplog.records if r.name == "cirs.audit" and r.action == "erase"]
    assert [r.object_id for r in streamed] == [str(closed.pk)]
    row = AuditEvent.objects.get(action=AuditEvent.Action.ERASE)
    assert streamed[0].audit_id == row.pk
