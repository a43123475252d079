"""The state machine itself: the state field is protected, every transition of
docs/service.md's flow declares who may make it and on what conditions, and every change
records who made it and when."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
import time_machine
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin

from referrals import services
from referrals.models import Referral
from tests.referrals.test_transitions import S

FIELD = Referral._meta.get_field("state")
TRANSITIONS = {t.name: t for t in FIELD.get_all_transitions(Referral)}
# The rules of docs/service.md each transition checks, beyond the role.
CONDITIONS = {
    "submit": {"is_eligible"},
    "resubmit": {"has_answered_information_request", "is_eligible"},
    "record_manager_contact": {"manager_contact_not_recorded"},
    "record_attended_session": {"may_record_session"},
    "record_review": {"review_is_due"},
    "request_extension": {"may_request_extension"},
    "request_exceptional_session": {"may_request_exceptional_session"},
    "close": {"has_closure_summary"},
}


def test_state_is_a_protected_fsm_field_with_concurrency_protection():

    assert isinstance(FIELD, FSMField)
    assert FIELD.protected
    assert issubclass(Referral, ConcurrentTransitionMixin)
    assert issubclass(Referral, FSMModelMixin)


def test_the_state_cannot_be_assigned_directly(flow):
    referral = flow.referral(state=S.SUBMITTED)

    with pytest.raises(AttributeError):
        referral.state = S.CLOSED

    assert Referral.objects.get(pk=referral.pk).state == S.SUBMITTED


def test_refresh_from_db_works_on_the_protected_field(flow):
    referral = flow.referral(state=S.SUBMITTED)
    stale = Referral.objects.get(pk=referral.pk)

    services.accept_referral(referral_id=referral.pk, by=flow.psw, provider=flow.provider)
    stale.refresh_from_db()

    assert stale.state == S.ACCEPTED


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_every_transition_declares_its_permission(name):
    transition = TRANSITIONS[name]
    assert callable(transition.permission)
    assert transition.permission.__module__ == "referrals.permissions"


@pytest.mark.parametrize("name", sorted(CONDITIONS))
def test_the_rules_of_the_service_are_transition_conditions(name):
    conditions = {c.__name__ for c in TRANSITIONS[name].conditions}
    assert conditions == CONDITIONS[name]


def test_every_state_has_a_way_in_and_only_closed_states_have_no_way_out():
    targets = {t.target for t in TRANSITIONS.values() if t.target}
    sources = {
        t.source for t in FIELD.get_all_transitions(Referral) if t.target and t.target != t.source
    }
    assert targets == set(S) - {S.DRAFT}
    assert set(S) - sources == set(Referral.CLOSED_STATES)


@pytest.mark.parametrize("state", [s.value for s in S])
def test_every_transition_writes_a_log_with_who_and_when(flow, state):
    moment = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        referral = flow.referral(state=state)

    logs = list(referral.transitions.all())
    assert logs, "at least the draft is logged"
    assert all(log.by_id is not None and log.at == moment for log in logs)
    # The log retells the journey: each row starts where the previous one ended.
    for earlier, later in itertools.pairwise(logs):
        assert later.from_state == earlier.to_state
    assert logs[-1].to_state == state
