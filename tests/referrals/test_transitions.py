"""Every allowed transition, for every role that may make it, through the real services.

docs/service.md "The flow (Appendix 2)": each step is one service call; each leaves the
referral in the right state, bumps its version and writes a TransitionLog saying who
did it and when. The helpers here (personas, ``snapshot``, ``six_sessions``,
``group_referral``) are shared with the other lifecycle test modules.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEvent
from referrals import services
from referrals.models import (
    Allocation,
    ExitPathway,
    ExtensionRequest,
    Referral,
    Review,
    TherapySession,
    TransitionLog,
)
from tests.factories import referral_data

S = Referral.State
# A Tuesday in term time, well after go-live, clear of bank holidays.
FROZEN = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


# --- shared helpers ----------------------------------------------------------------------


def user_of(request, persona: str):
    """The User behind a persona fixture (therapist fixtures are Therapist objects)."""
    value = request.getfixturevalue(persona)
    return getattr(value, "user", value)


def snapshot(referral: Referral) -> tuple:
    """What a refused action must leave exactly as it was."""
    row = Referral.objects.get(pk=referral.pk)
    return (
        row.state,
        row.version,
        TransitionLog.objects.filter(referral_id=referral.pk).count(),
        AuditEvent.objects.filter(object_type="referral", object_id=str(referral.pk)).count(),
    )


def approve_pending(referral: Referral, by) -> ExtensionRequest:
    pending = referral.extension_requests.get(status=ExtensionRequest.Status.PENDING)
    return services.decide_extension_request(request_id=pending.pk, by=by, approve=True)


def six_sessions(flow) -> Referral:
    """An active referral with the 6 sessions an approved extension allows."""
    referral = flow.referral(state=S.EXTENSION_REQUESTED)
    approve_pending(referral, flow.psw)
    while referral.counted_sessions() < settings.CIRS_MAX_SESSIONS:
        flow.session(referral)
    return flow.refresh(referral)


def group_data(team, **overrides) -> dict:
    data = {
        "occurred_on": timezone.localdate() - timedelta(days=3),
        "category": "child_death_or_injury",
        "team": team,
        "event_details": "A group of colleagues affected",
        "referrer_role": "line_manager",
        "number_of_staff": 6,
        "group_consulted": True,
        "group_wishes_to_take_part": True,
    }
    data.update(overrides)
    return data


def group_referral(flow, state: str = S.ALLOCATED) -> Referral:
    """A group referral (docs/service.md step 10) driven to SUBMITTED, ACCEPTED or ALLOCATED."""
    referral = services.create_group_referral(by=flow.manager, data=group_data(flow.team))
    if state == S.SUBMITTED:
        return flow.refresh(referral)
    services.accept_referral(referral_id=referral.pk, by=flow.psw, provider=flow.provider)
    if state == S.ACCEPTED:
        return flow.refresh(referral)
    services.allocate_referral(
        referral_id=referral.pk, therapist=flow.therapist, by=flow.coordinator
    )
    return flow.refresh(referral)


def assert_logged(referral: Referral, *, event: str, by, from_state: str, to_state: str):
    log = referral.transitions.order_by("-at", "-pk").first()
    assert (log.event, log.by, log.from_state, log.to_state) == (
        event,
        by,
        from_state,
        to_state,
    )
    assert log.at == timezone.now()


# --- the happy path, one step at a time ------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.mark.parametrize("persona", ["manager"])
def test_line_manager_submits_a_draft(frozen, flow, request, persona):
    by = user_of(request, persona)
    referral = flow.referral(state=S.DRAFT)

    services.submit_referral(referral_id=referral.pk, by=by, expected_version=referral.version)

    referral.refresh_from_db()
    assert referral.state == S.SUBMITTED
    assert referral.submitted_at == referral.first_submitted_at == timezone.now()
    assert_logged(referral, event="submitted", by=by, from_state=S.DRAFT, to_state=S.SUBMITTED)


@pytest.mark.parametrize("persona", ["psw", "smpe"])
def test_triage_asks_for_more_information(frozen, flow, request, persona):
    by = user_of(request, persona)
    referral = flow.referral(state=S.SUBMITTED)

    services.request_more_information(referral_id=referral.pk, by=by, question="Who else?")

    referral.refresh_from_db()
    assert referral.state == S.MORE_INFO
    assert referral.information_requests.get().asked_by == by
    assert_logged(
        referral,
        event="more_information_requested",
        by=by,
        from_state=S.SUBMITTED,
        to_state=S.MORE_INFO,
    )


def test_line_manager_answers_and_the_referral_returns_to_triage(frozen, flow):
    referral = flow.referral(state=S.MORE_INFO)

    services.answer_information_request(
        referral_id=referral.pk, by=flow.manager, answer="Two colleagues were there too."
    )

    referral.refresh_from_db()
    assert referral.state == S.SUBMITTED
    assert referral.information_requests.get().answered_by == flow.manager
    assert_logged(
        referral, event="resubmitted", by=flow.manager, from_state=S.MORE_INFO, to_state=S.SUBMITTED
    )


@pytest.mark.parametrize("persona", ["psw", "smpe"])
def test_triage_accepts_and_sends_to_the_provider(frozen, flow, request, persona):
    by = user_of(request, persona)
    referral = flow.referral(state=S.SUBMITTED)

    services.accept_referral(referral_id=referral.pk, by=by, provider=flow.provider)

    referral.refresh_from_db()
    assert (referral.state, referral.provider, referral.decided_at) == (
        S.ACCEPTED,
        flow.provider,
        timezone.now(),
    )
    assert_logged(referral, event="accepted", by=by, from_state=S.SUBMITTED, to_state=S.ACCEPTED)


@pytest.mark.parametrize("persona", ["psw", "smpe"])
def test_triage_declines_with_signposting(frozen, flow, request, persona):
    by = user_of(request, persona)
    referral = flow.referral(state=S.SUBMITTED)

    services.decline_referral(
        referral_id=referral.pk, by=by, reason="Outside scope", signposting="Wellbeing service"
    )

    referral.refresh_from_db()
    assert (referral.state, referral.signposting) == (S.DECLINED, "Wellbeing service")
    assert_logged(referral, event="declined", by=by, from_state=S.SUBMITTED, to_state=S.DECLINED)


def test_coordinator_allocates_a_therapist(frozen, flow):
    referral = flow.referral(state=S.ACCEPTED)

    services.allocate_referral(
        referral_id=referral.pk, therapist=flow.therapist, by=flow.coordinator
    )

    referral.refresh_from_db()
    assert (referral.state, referral.therapist, referral.allocated_at) == (
        S.ALLOCATED,
        flow.therapist,
        timezone.now(),
    )
    assert list(referral.allocations.values_list("therapist", "ended_at")) == [
        (flow.therapist.pk, None)
    ]
    assert_logged(
        referral,
        event="allocated",
        by=flow.coordinator,
        from_state=S.ACCEPTED,
        to_state=S.ALLOCATED,
    )


@pytest.mark.parametrize("state", [S.ALLOCATED, S.ACTIVE, S.EXTENSION_REQUESTED])
def test_reallocation_keeps_exactly_one_current_allocation(frozen, flow, other_therapist, state):
    referral = flow.referral(state=state)

    services.reallocate_referral(
        referral_id=referral.pk, therapist=other_therapist, by=flow.coordinator, reason="Leave"
    )

    referral.refresh_from_db()
    assert (referral.state, referral.therapist) == (state, other_therapist)
    current = Allocation.objects.filter(referral=referral, ended_at__isnull=True)
    assert list(current.values_list("therapist", flat=True)) == [other_therapist.pk]
    assert referral.allocations.get(therapist=flow.therapist).ended_at == timezone.now()
    assert_logged(
        referral, event="reallocated", by=flow.coordinator, from_state=state, to_state=state
    )


def test_therapist_plans_then_holds_the_first_meeting(frozen, flow):
    referral = flow.referral(state=S.ALLOCATED)
    by = flow.therapist.user

    services.plan_first_meeting(
        referral_id=referral.pk, by=by, planned_at=timezone.now() + timedelta(days=1)
    )
    referral.refresh_from_db()
    assert referral.state == S.ALLOCATED
    assert_logged(
        referral,
        event="first_meeting_planned",
        by=by,
        from_state=S.ALLOCATED,
        to_state=S.ALLOCATED,
    )

    held_at = timezone.now() - timedelta(hours=1)
    services.record_first_meeting(referral_id=referral.pk, by=by, held_at=held_at)

    referral.refresh_from_db()
    assert (referral.state, referral.first_meeting_at) == (S.ACTIVE, held_at)
    assert referral.counted_sessions() == 1
    assert_logged(
        referral, event="first_meeting_held", by=by, from_state=S.ALLOCATED, to_state=S.ACTIVE
    )


@pytest.mark.parametrize("state", [S.ALLOCATED, S.ACTIVE, S.EXTENSION_REQUESTED])
def test_therapist_records_manager_contact_once(frozen, flow, state):
    referral = flow.referral(state=state)
    by = flow.therapist.user

    services.record_manager_contact(referral_id=referral.pk, by=by, contacted_at=timezone.now())

    referral.refresh_from_db()
    assert (referral.state, referral.manager_contacted_at) == (state, timezone.now())
    assert_logged(referral, event="manager_contacted", by=by, from_state=state, to_state=state)


def test_therapist_records_an_attended_session(frozen, flow):
    referral = flow.referral(state=S.ACTIVE, sessions=1)

    session = flow.session(referral)

    referral.refresh_from_db()
    assert session.counts_toward_cap
    assert (referral.state, referral.counted_sessions()) == (S.ACTIVE, 2)
    assert_logged(
        referral,
        event="session_attended",
        by=flow.therapist.user,
        from_state=S.ACTIVE,
        to_state=S.ACTIVE,
    )


@pytest.mark.parametrize("state", [S.ALLOCATED, S.ACTIVE])
def test_therapist_records_a_missed_session_even_before_the_first_meeting(frozen, flow, state):
    referral = flow.referral(state=state)
    before = referral.counted_sessions()

    flow.session(
        referral,
        attendance=TherapySession.Attendance.DID_NOT_ATTEND,
        cancellation_reason="Unwell",
    )

    referral.refresh_from_db()
    assert (referral.state, referral.counted_sessions()) == (state, before)
    if state == S.ALLOCATED:
        assert referral.first_meeting_at is None  # the first-meeting clock keeps running
    assert_logged(
        referral,
        event="session_did_not_attend",
        by=flow.therapist.user,
        from_state=state,
        to_state=state,
    )


def test_group_session_needs_no_first_meeting_and_is_counted_apart(frozen, flow):
    referral = group_referral(flow, S.ALLOCATED)

    services.record_group_session(
        referral_id=referral.pk,
        by=flow.therapist.user,
        held_at=timezone.now() - timedelta(hours=2),
        attendees=5,
    )

    referral.refresh_from_db()
    assert referral.state == S.ACTIVE
    assert referral.counted_sessions() == 0
    assert referral.therapy_sessions.get().kind == TherapySession.Kind.GROUP
    assert_logged(
        referral,
        event="group_session",
        by=flow.therapist.user,
        from_state=S.ALLOCATED,
        to_state=S.ACTIVE,
    )


def test_review_to_close_keeps_support_active(frozen, flow):
    referral = flow.referral(state=S.ACTIVE, sessions=3)

    services.record_review(
        referral_id=referral.pk, by=flow.therapist.user, outcome=Review.Outcome.CLOSE
    )

    referral.refresh_from_db()
    assert referral.state == S.ACTIVE
    assert_logged(
        referral,
        event="review_close",
        by=flow.therapist.user,
        from_state=S.ACTIVE,
        to_state=S.ACTIVE,
    )


def test_review_to_extend_asks_triage_for_more_sessions(frozen, flow):
    referral = flow.referral(state=S.ACTIVE, sessions=3)

    services.record_review(
        referral_id=referral.pk, by=flow.therapist.user, outcome=Review.Outcome.EXTEND, reason="r"
    )

    referral.refresh_from_db()
    assert referral.state == S.EXTENSION_REQUESTED
    assert referral.extension_requests.get().status == ExtensionRequest.Status.PENDING
    assert_logged(
        referral,
        event="extension_requested",
        by=flow.therapist.user,
        from_state=S.ACTIVE,
        to_state=S.EXTENSION_REQUESTED,
    )


@pytest.mark.parametrize("persona", ["psw", "smpe"])
@pytest.mark.parametrize("approve", [True, False])
def test_triage_decides_an_extension_and_support_continues(frozen, flow, request, persona, approve):
    by = user_of(request, persona)
    referral = flow.referral(state=S.EXTENSION_REQUESTED)
    pending = referral.extension_requests.get()

    services.decide_extension_request(request_id=pending.pk, by=by, approve=approve, note="n")

    referral.refresh_from_db()
    pending.refresh_from_db()
    assert referral.state == S.ACTIVE
    assert pending.status == (
        ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REFUSED
    )
    outcome = "approved" if approve else "refused"
    assert_logged(
        referral,
        event=f"extension_{outcome}",
        by=by,
        from_state=S.EXTENSION_REQUESTED,
        to_state=S.ACTIVE,
    )


def test_refused_extension_leaves_support_active_and_the_therapist_may_close(frozen, flow):
    referral = flow.referral(state=S.EXTENSION_REQUESTED)
    pending = referral.extension_requests.get()
    services.decide_extension_request(
        request_id=pending.pk, by=flow.psw, approve=False, note="Three feels right"
    )

    flow.close(referral)

    referral.refresh_from_db()
    assert referral.state == S.CLOSED
    assert_logged(
        referral, event="closed", by=flow.therapist.user, from_state=S.ACTIVE, to_state=S.CLOSED
    )


def test_therapist_requests_an_exceptional_session_after_six(frozen, flow):
    referral = six_sessions(flow)

    services.request_exceptional_session(
        referral_id=referral.pk, by=flow.therapist.user, reason="Inquest next week"
    )

    referral.refresh_from_db()
    assert referral.state == S.EXTENSION_REQUESTED
    assert referral.extension_requests.get(status=ExtensionRequest.Status.PENDING).kind == (
        ExtensionRequest.Kind.EXCEPTIONAL
    )
    assert_logged(
        referral,
        event="exceptional_requested",
        by=flow.therapist.user,
        from_state=S.ACTIVE,
        to_state=S.EXTENSION_REQUESTED,
    )


@pytest.mark.parametrize("state", [S.ALLOCATED, S.ACTIVE, S.EXTENSION_REQUESTED])
def test_therapist_keeps_key_dates(frozen, flow, state):
    referral = flow.referral(state=state)
    by = flow.therapist.user

    key_date = services.save_key_date(
        referral_id=referral.pk, by=by, kind="inquest", date=timezone.localdate() + timedelta(30)
    )
    services.remove_key_date(referral_id=referral.pk, by=by, key_date_id=key_date.pk)

    referral.refresh_from_db()
    assert referral.state == state
    assert not referral.key_dates.exists()
    assert list(referral.transitions.values_list("event", flat=True))[-2:] == [
        "key_date_saved",
        "key_date_removed",
    ]


def test_therapist_closes_with_exit_pathway_and_summary(frozen, flow):
    referral = flow.referral(state=S.ACTIVE, sessions=2)

    flow.close(referral)

    referral.refresh_from_db()
    assert (referral.state, referral.closed_at) == (S.CLOSED, timezone.now())
    assert referral.closure_summary.exit_pathways.get() == ExitPathway.objects.get(
        code="no_further_support"
    )
    assert_logged(
        referral, event="closed", by=flow.therapist.user, from_state=S.ACTIVE, to_state=S.CLOSED
    )


@pytest.mark.parametrize("state", list(Referral.WITHDRAWABLE_STATES))
def test_withdrawal_from_every_open_state(frozen, flow, state):
    referral = flow.referral(state=state)

    services.withdraw_referral(referral_id=referral.pk, by=flow.manager, reason="Not now")

    referral.refresh_from_db()
    assert (referral.state, referral.withdrawn_at) == (S.WITHDRAWN, timezone.now())
    assert_logged(
        referral, event="withdrawn", by=flow.manager, from_state=state, to_state=S.WITHDRAWN
    )


def test_every_open_state_except_an_unsent_draft_can_be_withdrawn():
    open_states = {s for s in S if s not in Referral.CLOSED_STATES}
    assert set(Referral.WITHDRAWABLE_STATES) == open_states - {S.DRAFT}


@pytest.mark.parametrize("persona", ["staff_member", "manager", "therapist", "psw", "smpe"])
def test_who_may_record_a_withdrawal(frozen, flow, request, persona):
    by = user_of(request, persona)
    referral = flow.referral(state=S.ACTIVE)

    services.withdraw_referral(referral_id=referral.pk, by=by, reason="")

    referral.refresh_from_db()
    assert referral.state == S.WITHDRAWN
    assert_logged(referral, event="withdrawn", by=by, from_state=S.ACTIVE, to_state=S.WITHDRAWN)


def test_withdrawal_while_an_extension_waits_clears_the_triage_queue(frozen, flow):
    referral = flow.referral(state=S.EXTENSION_REQUESTED)

    services.withdraw_referral(referral_id=referral.pk, by=flow.manager, reason="")

    assert not ExtensionRequest.objects.filter(status=ExtensionRequest.Status.PENDING).exists()
    assert referral.extension_requests.get().decided_at == timezone.now()


@pytest.mark.parametrize("persona", ["manager", "psw", "service_lead"])
def test_group_referrers_make_and_submit_a_group_referral(frozen, flow, request, persona):
    by = user_of(request, persona)

    referral = services.create_group_referral(by=by, data=group_data(flow.team))

    referral.refresh_from_db()
    assert (referral.state, referral.kind) == (S.SUBMITTED, Referral.Kind.GROUP)
    assert referral.group.number_of_staff == group_data(flow.team)["number_of_staff"]
    assert_logged(referral, event="submitted", by=by, from_state=S.DRAFT, to_state=S.SUBMITTED)


@pytest.mark.parametrize("state", [S.DRAFT, S.MORE_INFO])
def test_referrer_edits_a_draft_or_a_referral_sent_back(frozen, flow, state):
    referral = flow.referral(state=state)

    services.save_referral_draft(
        by=flow.manager,
        referral_id=referral.pk,
        expected_version=referral.version,
        data=referral_data(flow.team, event_details="Updated details"),
    )

    row = Referral.objects.get(pk=referral.pk)
    assert (row.state, row.event_details, row.version) == (
        state,
        "Updated details",
        referral.version + 1,
    )


def test_every_service_call_bumps_the_version_once(frozen, flow):
    referral = flow.referral(state=S.SUBMITTED)
    before = referral.version

    services.accept_referral(referral_id=referral.pk, by=flow.psw, provider=flow.provider)

    assert Referral.objects.get(pk=referral.pk).version == before + 1


def test_review_clock_starts_at_the_third_counted_session_in_date_order(frozen, flow):
    referral = flow.referral(state=S.ALLOCATED)
    # Sent a month ago, so sessions can be dated in the days before now.
    Referral.objects.filter(pk=referral.pk).update(
        first_submitted_at=timezone.now() - timedelta(days=30)
    )
    flow.first_meeting(referral, held_at=timezone.now() - timedelta(days=10))
    flow.session(referral, attendance="cancelled", cancellation_reason="Rearranged")
    latest = timezone.now() - timedelta(days=1)
    flow.session(referral, held_at=latest)
    assert Referral.objects.get(pk=referral.pk).third_session_at is None

    # Typed in late: held before the session recorded a moment ago.
    flow.session(referral, held_at=timezone.now() - timedelta(days=5))

    assert Referral.objects.get(pk=referral.pk).third_session_at == latest
