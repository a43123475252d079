"""Every refused transition raises and leaves the referral exactly as it was.

docs/service.md: "Illegal transitions are impossible, not just hidden in the UI (the state
field is protected; transitions check role and conditions)." Three ways to be refused:
the wrong role (PermissionDenied), the wrong state (TransitionNotAllowed, which views
show as "just updated by someone else"), or a rule not met.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from referrals import services
from referrals.clocks import earlier_today
from referrals.models import (
    ClosureSummary,
    ExitPathway,
    ExtensionRequest,
    Referral,
    Review,
)
from referrals.services import RuleRefused
from tests.factories import referral_data
from tests.referrals.test_transitions import (
    group_data,
    group_referral,
    six_sessions,
    snapshot,
    user_of,
)

S = Referral.State
PERSONAS = (
    "manager",
    "other_manager",
    "psw",
    "smpe",
    "coordinator",
    "other_coordinator",
    "therapist",
    "other_therapist",
    "service_lead",
    "staff_member",
    "outsider",
)
TRIAGE = ("psw", "smpe")
THERAPIST = ("therapist",)


def _ago(**kw):
    return earlier_today(**kw)


def _pathways():
    return ExitPathway.objects.filter(code="no_further_support")


def _with_key_date(flow):
    referral = flow.referral(state=S.ACTIVE)
    services.save_key_date(
        referral_id=referral.pk,
        by=flow.therapist.user,
        kind="funeral",
        date=timezone.localdate() + timedelta(days=9),
    )
    return flow.refresh(referral)


@dataclass(frozen=True)
class Action:
    """One service call, the state it is legal in, and who may make it."""

    name: str
    build: Callable  # flow -> Referral in a state where the action is legal
    allowed: tuple[str, ...]
    call: Callable  # (ctx, referral, by) -> object
    # Which link makes the actor "theirs": None, "therapist" or "provider".
    needs: str | None = None


class Ctx:
    def __init__(self, request, flow):
        self.flow = flow
        self.other_therapist = request.getfixturevalue("other_therapist")


ACTIONS = [
    Action(
        "submit",
        lambda f: f.referral(state=S.DRAFT),
        ("manager",),
        lambda c, r, by: services.submit_referral(referral_id=r.pk, by=by),
    ),
    Action(
        "edit_draft",
        lambda f: f.referral(state=S.DRAFT),
        ("manager",),
        lambda c, r, by: services.save_referral_draft(
            by=by, referral_id=r.pk, data=referral_data(c.flow.team, event_details="Changed")
        ),
    ),
    Action(
        "request_more_information",
        lambda f: f.referral(state=S.SUBMITTED),
        TRIAGE,
        lambda c, r, by: services.request_more_information(
            referral_id=r.pk, by=by, question="Who else?"
        ),
    ),
    Action(
        "accept",
        lambda f: f.referral(state=S.SUBMITTED),
        TRIAGE,
        lambda c, r, by: services.accept_referral(
            referral_id=r.pk, by=by, provider=c.flow.provider
        ),
    ),
    Action(
        "decline",
        lambda f: f.referral(state=S.SUBMITTED),
        TRIAGE,
        lambda c, r, by: services.decline_referral(
            referral_id=r.pk, by=by, reason="Out of scope", signposting="Wellbeing service"
        ),
    ),
    Action(
        "answer_information_request",
        lambda f: f.referral(state=S.MORE_INFO),
        ("manager",),
        lambda c, r, by: services.answer_information_request(
            referral_id=r.pk, by=by, answer="Two colleagues too."
        ),
    ),
    Action(
        "allocate",
        lambda f: f.referral(state=S.ACCEPTED),
        ("coordinator",),
        lambda c, r, by: services.allocate_referral(
            referral_id=r.pk, therapist=c.flow.therapist, by=by
        ),
        needs="provider",
    ),
    Action(
        "reallocate",
        lambda f: f.referral(state=S.ALLOCATED),
        ("coordinator",),
        lambda c, r, by: services.reallocate_referral(
            referral_id=r.pk, therapist=c.other_therapist, by=by, reason="Leave"
        ),
        needs="provider",
    ),
    Action(
        "plan_first_meeting",
        lambda f: f.referral(state=S.ALLOCATED),
        THERAPIST,
        lambda c, r, by: services.plan_first_meeting(
            referral_id=r.pk, by=by, planned_at=timezone.now() + timedelta(days=1)
        ),
        needs="therapist",
    ),
    Action(
        "record_first_meeting",
        lambda f: f.referral(state=S.ALLOCATED),
        THERAPIST,
        lambda c, r, by: services.record_first_meeting(
            referral_id=r.pk, by=by, held_at=_ago(hours=1)
        ),
        needs="therapist",
    ),
    Action(
        "record_manager_contact",
        lambda f: f.referral(state=S.ALLOCATED),
        THERAPIST,
        lambda c, r, by: services.record_manager_contact(
            referral_id=r.pk, by=by, contacted_at=_ago(hours=1)
        ),
        needs="therapist",
    ),
    Action(
        "record_attended_session",
        lambda f: f.referral(state=S.ACTIVE),
        THERAPIST,
        lambda c, r, by: services.record_therapy_session(
            referral_id=r.pk, by=by, held_at=_ago(minutes=1)
        ),
        needs="therapist",
    ),
    Action(
        "record_missed_session",
        lambda f: f.referral(state=S.ACTIVE),
        THERAPIST,
        lambda c, r, by: services.record_therapy_session(
            referral_id=r.pk,
            by=by,
            held_at=_ago(minutes=1),
            attendance="did_not_attend",
            cancellation_reason="Unwell",
        ),
        needs="therapist",
    ),
    Action(
        "record_review",
        lambda f: f.referral(state=S.ACTIVE, sessions=3),
        THERAPIST,
        lambda c, r, by: services.record_review(
            referral_id=r.pk, by=by, outcome=Review.Outcome.CLOSE
        ),
        needs="therapist",
    ),
    Action(
        "request_exceptional_session",
        six_sessions,
        THERAPIST,
        lambda c, r, by: services.request_exceptional_session(
            referral_id=r.pk, by=by, reason="Inquest"
        ),
        needs="therapist",
    ),
    Action(
        "save_key_date",
        lambda f: f.referral(state=S.ACTIVE),
        THERAPIST,
        lambda c, r, by: services.save_key_date(
            referral_id=r.pk, by=by, kind="inquest", date=timezone.localdate() + timedelta(9)
        ),
        needs="therapist",
    ),
    Action(
        "save_closure_summary",
        lambda f: f.referral(state=S.ACTIVE),
        THERAPIST,
        lambda c, r, by: services.save_closure_summary(
            referral_id=r.pk, by=by, exit_pathways=_pathways(), comments="Went well."
        ),
        needs="therapist",
    ),
    Action(
        "close",
        lambda f: f.referral(state=S.ACTIVE),
        THERAPIST,
        lambda c, r, by: services.close_referral(
            referral_id=r.pk, by=by, exit_pathways=_pathways(), comments="Went well."
        ),
        needs="therapist",
    ),
    Action(
        "withdraw",
        lambda f: f.referral(state=S.ACTIVE),
        ("staff_member", "manager", "therapist", *TRIAGE),
        lambda c, r, by: services.withdraw_referral(referral_id=r.pk, by=by, reason="Not now"),
    ),
]
# Actions whose arguments only make sense on one particular referral.
SPECIAL_ACTIONS = [
    Action(
        "edit_after_information_request",
        lambda f: f.referral(state=S.MORE_INFO),
        ("manager",),
        lambda c, r, by: services.save_referral_draft(
            by=by, referral_id=r.pk, data=referral_data(c.flow.team, event_details="Changed")
        ),
    ),
    Action(
        "record_group_session",
        lambda f: group_referral(f, S.ALLOCATED),
        THERAPIST,
        lambda c, r, by: services.record_group_session(
            referral_id=r.pk, by=by, held_at=_ago(hours=1), attendees=4
        ),
        needs="therapist",
    ),
    Action(
        "decide_extension",
        lambda f: f.referral(state=S.EXTENSION_REQUESTED),
        TRIAGE,
        lambda c, r, by: services.decide_extension_request(
            request_id=r.extension_requests.get().pk, by=by, approve=True
        ),
    ),
    Action(
        "remove_key_date",
        _with_key_date,
        THERAPIST,
        lambda c, r, by: services.remove_key_date(
            referral_id=r.pk, by=by, key_date_id=r.key_dates.get().pk
        ),
        needs="therapist",
    ),
]


def _side_effects(referral: Referral) -> tuple:
    return (
        snapshot(referral),
        ClosureSummary.objects.filter(referral=referral).count(),
        list(referral.extension_requests.values_list("status", flat=True)),
        referral.key_dates.count(),
        referral.therapy_sessions.count(),
        referral.information_requests.filter(answered_at__isnull=True).count(),
        referral.allocations.filter(ended_at__isnull=True).count(),
    )


@pytest.mark.parametrize("action", ACTIONS + SPECIAL_ACTIONS, ids=lambda a: a.name)
def test_every_other_role_is_refused_and_nothing_changes(request, flow, action):
    users = {persona: user_of(request, persona) for persona in PERSONAS}
    ctx = Ctx(request, flow)
    referral = action.build(flow)
    before = _side_effects(referral)

    refused = [p for p in PERSONAS if p not in action.allowed]
    assert "service_lead" in refused and "outsider" in refused
    for persona in refused:
        with pytest.raises(PermissionDenied):
            action.call(ctx, referral, users[persona])
        assert _side_effects(referral) == before, persona

    # The control: the role that may act can, from this very state.
    action.call(ctx, referral, users[action.allowed[0]])
    assert _side_effects(referral) != before


@pytest.mark.parametrize(
    "persona", ["coordinator", "therapist", "staff_member", "outsider"], ids=str
)
def test_only_group_referrers_make_group_referrals(request, flow, persona):
    by = user_of(request, persona)
    count = Referral.objects.count()

    with pytest.raises(PermissionDenied):
        services.create_group_referral(by=by, data=group_data(flow.team))

    assert Referral.objects.count() == count


@pytest.mark.parametrize(
    "persona", ["psw", "coordinator", "therapist", "service_lead", "staff_member", "outsider"]
)
def test_only_line_managers_start_an_individual_referral(request, flow, persona):
    by = user_of(request, persona)
    count = Referral.objects.count()

    with pytest.raises(PermissionDenied):
        services.save_referral_draft(by=by, data=referral_data(flow.team))

    assert Referral.objects.count() == count


def _legal(action: Action, state: str) -> bool:
    legal = {
        "submit": {S.DRAFT},
        "edit_draft": {S.DRAFT, S.MORE_INFO},  # the same form serves both
        "request_more_information": {S.SUBMITTED},
        "accept": {S.SUBMITTED},
        "decline": {S.SUBMITTED},
        "answer_information_request": {S.MORE_INFO},
        "allocate": {S.ACCEPTED},
        "reallocate": set(Referral.SUPPORT_STATES),
        "plan_first_meeting": {S.ALLOCATED},
        "record_first_meeting": {S.ALLOCATED},
        "record_manager_contact": set(Referral.SUPPORT_STATES),
        "record_attended_session": {S.ACTIVE},
        "record_missed_session": {S.ALLOCATED, S.ACTIVE},
        # Built by the flow, an active referral has one session: no review is due yet.
        "record_review": set(),
        "request_exceptional_session": set(),
        "save_key_date": set(Referral.SUPPORT_STATES),
        # Only an active case closes: the draft is refused before then too.
        "save_closure_summary": {S.ACTIVE},
        "close": {S.ACTIVE},
        "withdraw": set(Referral.WITHDRAWABLE_STATES),
    }
    return state in legal[action.name]


@pytest.mark.parametrize("state", [s.value for s in S])
def test_the_right_role_in_the_wrong_state_is_refused_and_nothing_changes(request, flow, state):
    """A closed, declined or withdrawn referral accepts nothing; every other state only
    what docs/service.md's flow allows. The role that may act is told the state moved on
    (409), never "forbidden", unless the referral is not theirs yet."""
    users = {persona: user_of(request, persona) for persona in PERSONAS}
    ctx = Ctx(request, flow)
    referral = flow.referral(state=state)
    before = _side_effects(referral)

    wrong = [a for a in ACTIONS if not _legal(a, state)]
    if state in Referral.CLOSED_STATES:
        assert wrong == ACTIONS
    for action in wrong:
        row = Referral.objects.get(pk=referral.pk)
        theirs = action.needs is None or getattr(row, f"{action.needs}_id") is not None
        expected = (TransitionNotAllowed, RuleRefused) if theirs else (PermissionDenied,)
        with pytest.raises(expected):
            action.call(ctx, row, users[action.allowed[0]])
        assert _side_effects(referral) == before, action.name


def test_refused_transition_on_the_model_itself_raises():
    """Even without the services, the state machine says no."""
    referral = Referral()
    with pytest.raises(TransitionNotAllowed):
        referral.close(at=timezone.now())
    assert referral.state == S.DRAFT


# --- rules not met ---------------------------------------------------------------------


def test_no_closure_without_exit_pathway_and_summary(flow):
    referral = flow.referral(state=S.ACTIVE)
    before = _side_effects(referral)

    with pytest.raises(RuleRefused):
        services.close_referral(referral_id=referral.pk, by=flow.therapist.user)
    # The model's own condition, independent of the service's friendly check.
    row = Referral.objects.get(pk=referral.pk)
    with pytest.raises(TransitionNotAllowed):
        row.close(at=timezone.now())

    assert _side_effects(referral) == before


def test_closure_summary_needs_a_pathway_and_comments(flow):
    referral = flow.referral(state=S.ACTIVE)
    before = _side_effects(referral)

    with pytest.raises(ValidationError) as excinfo:
        services.close_referral(
            referral_id=referral.pk, by=flow.therapist.user, exit_pathways=[], comments=" "
        )

    assert set(excinfo.value.message_dict) == {"exit_pathways", "comments"}
    assert _side_effects(referral) == before


def test_manager_contact_is_recorded_once(flow):
    referral = flow.referral(state=S.ACTIVE)
    services.record_manager_contact(
        referral_id=referral.pk, by=flow.therapist.user, contacted_at=_ago(hours=2)
    )
    before = _side_effects(referral)

    with pytest.raises(TransitionNotAllowed):
        services.record_manager_contact(
            referral_id=referral.pk, by=flow.therapist.user, contacted_at=_ago(hours=1)
        )

    assert _side_effects(referral) == before


def test_a_review_is_recorded_once(flow):
    referral = flow.referral(state=S.ACTIVE, sessions=3)
    services.record_review(
        referral_id=referral.pk, by=flow.therapist.user, outcome=Review.Outcome.CLOSE
    )
    before = _side_effects(referral)

    with pytest.raises(RuleRefused):
        services.record_review(
            referral_id=referral.pk, by=flow.therapist.user, outcome=Review.Outcome.CLOSE
        )

    assert _side_effects(referral) == before


def test_an_extension_cannot_be_decided_twice(flow):
    referral = flow.referral(state=S.EXTENSION_REQUESTED)
    pending = referral.extension_requests.get()
    services.decide_extension_request(request_id=pending.pk, by=flow.psw, approve=True)
    before = _side_effects(referral)

    with pytest.raises(services.ReferralChanged):
        services.decide_extension_request(
            request_id=pending.pk, by=flow.psw, approve=False, note="No"
        )

    assert _side_effects(referral) == before
    assert referral.extension_requests.get().status == ExtensionRequest.Status.APPROVED


def test_resubmission_needs_the_question_answered(flow):
    referral = flow.referral(state=S.MORE_INFO)

    row = Referral.objects.get(pk=referral.pk)
    with pytest.raises(TransitionNotAllowed):
        row.resubmit(at=timezone.now())

    assert snapshot(referral)[:3] == (S.MORE_INFO, referral.version, referral.transitions.count())


def test_group_sessions_only_on_a_group_referral(flow):
    referral = flow.referral(state=S.ACTIVE)
    before = _side_effects(referral)

    with pytest.raises(RuleRefused):
        services.record_group_session(
            referral_id=referral.pk, by=flow.therapist.user, held_at=_ago(hours=1), attendees=3
        )

    assert _side_effects(referral) == before
