"""Every pair of state-changing services, run on the same referral at the same moment
on PostgreSQL, ends as if one had gone first: no deadlock and no server error, and the
loser gets exactly the refusal it gets when it comes second in plain order (the kind
"just updated by someone else" for a form loaded before the change).

Each pair starts on a barrier, and ``tests.concurrency.race`` proves that the two were
inside their transactions together. Needs PostgreSQL: SQLite serialises every writer.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from itertools import combinations_with_replacement

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from referrals import services
from referrals.clocks import earlier_today
from referrals.models import (
    ExitPathway,
    ExtensionRequest,
    KeyDate,
    PlannedSession,
    Referral,
    Review,
)
from referrals.services import ReferralChanged, RuleRefused
from tests.concurrency import race
from tests.factories import referral_data

S = Referral.State
# What a person may see when someone else acted first: each is a kind message (409,
# or the rule that now applies), never an error page.
KIND_OUTCOMES = (ReferralChanged, TransitionNotAllowed, RuleRefused, PermissionDenied)


def _edit(c, r):
    data = referral_data(c.flow.team, staff_name="Robin Achebe")
    return partial(
        services.save_referral_draft,
        by=c.flow.manager,
        data=data,
        referral_id=r.pk,
        expected_version=r.version,
    )


def _therapist(c):
    return c.flow.therapist.user


ACTIONS = {
    "edit": _edit,
    "submit": lambda c, r: partial(
        services.submit_referral, referral_id=r.pk, by=c.flow.manager, expected_version=r.version
    ),
    "answer": lambda c, r: partial(
        services.answer_information_request,
        referral_id=r.pk,
        by=c.flow.manager,
        answer="Two colleagues were there.",
        expected_version=r.version,
    ),
    "ask": lambda c, r: partial(
        services.request_more_information,
        referral_id=r.pk,
        by=c.flow.psw,
        question="Who else was there?",
        expected_version=r.version,
    ),
    "accept": lambda c, r: partial(
        services.accept_referral,
        referral_id=r.pk,
        by=c.flow.psw,
        provider=c.flow.provider,
        expected_version=r.version,
    ),
    "decline": lambda c, r: partial(
        services.decline_referral,
        referral_id=r.pk,
        by=c.flow.psw,
        reason="Not a critical incident for this service.",
        signposting="The wellbeing service.",
        expected_version=r.version,
    ),
    "allocate": lambda c, r: partial(
        services.allocate_referral,
        referral_id=r.pk,
        therapist=c.flow.therapist,
        by=c.flow.coordinator,
        expected_version=r.version,
    ),
    "reallocate": lambda c, r: partial(
        services.reallocate_referral,
        referral_id=r.pk,
        therapist=c.other_therapist,
        by=c.flow.coordinator,
        reason="Nearer to home.",
        expected_version=r.version,
    ),
    "plan": lambda c, r: partial(
        services.plan_first_meeting,
        referral_id=r.pk,
        by=_therapist(c),
        planned_at=timezone.now() + timedelta(days=2),
        expected_version=r.version,
    ),
    "first_meeting": lambda c, r: partial(
        services.record_first_meeting,
        referral_id=r.pk,
        by=_therapist(c),
        held_at=earlier_today(minutes=5),
        expected_version=r.version,
    ),
    "contact": lambda c, r: partial(
        services.record_manager_contact,
        referral_id=r.pk,
        by=_therapist(c),
        contacted_at=earlier_today(minutes=1),
        expected_version=r.version,
    ),
    "session": lambda c, r: partial(
        services.record_therapy_session,
        referral_id=r.pk,
        by=_therapist(c),
        held_at=earlier_today(minutes=1),
        expected_version=r.version,
    ),
    "key_date": lambda c, r: partial(
        services.save_key_date,
        referral_id=r.pk,
        by=_therapist(c),
        kind=KeyDate.Kind.INQUEST,
        date=timezone.localdate() + timedelta(days=7),
    ),
    "remove_key_date": lambda c, r: partial(
        services.remove_key_date,
        referral_id=r.pk,
        by=_therapist(c),
        key_date_id=r.key_dates.get().pk,
    ),
    "exceptional": lambda c, r: partial(
        services.request_exceptional_session,
        referral_id=r.pk,
        by=_therapist(c),
        reason="A second inquest date was set.",
        expected_version=r.version,
    ),
    "review": lambda c, r: partial(
        services.record_review,
        referral_id=r.pk,
        by=_therapist(c),
        outcome=Review.Outcome.EXTEND,
        reason="Sleep is still broken.",
        expected_version=r.version,
    ),
    "close": lambda c, r: partial(
        services.close_referral,
        referral_id=r.pk,
        by=_therapist(c),
        exit_pathways=list(ExitPathway.objects.filter(code="no_further_support")),
        comments="Support came to a natural end.",
        key_date_follow_up="the team manager",
        expected_version=r.version,
    ),
    "book": lambda c, r: partial(
        services.plan_session,
        referral_id=r.pk,
        by=_therapist(c),
        starts_at=timezone.now() + timedelta(days=2),
        mode="virtual",
        link="https://meet.example.org/x",
        expected_version=r.version,
    ),
    "cancel_booked": lambda c, r: partial(
        services.record_planned_session,
        referral_id=r.pk,
        by=_therapist(c),
        planned_id=r.planned_sessions.get().pk,
        outcome=PlannedSession.Status.CANCELLED,
        reason="Rearranged",
    ),
    "withdraw": lambda c, r: partial(
        services.withdraw_referral,
        referral_id=r.pk,
        by=c.flow.manager,
        reason="They would rather not go on.",
        expected_version=r.version,
    ),
    "approve": lambda c, r: partial(
        services.decide_extension_request,
        request_id=r.extension_requests.get(status=ExtensionRequest.Status.PENDING).pk,
        by=c.flow.psw,
        approve=True,
    ),
    "refuse": lambda c, r: partial(
        services.decide_extension_request,
        request_id=r.extension_requests.get(status=ExtensionRequest.Status.PENDING).pk,
        by=c.flow.psw,
        approve=False,
        note="Three sessions should be enough here.",
    ),
}

# The states a referral waits in, each with every service a person may start from it.
STARTS = {
    "draft": ({"state": S.DRAFT}, ["edit", "submit"]),
    "more_info": ({"state": S.MORE_INFO}, ["edit", "answer", "withdraw"]),
    "submitted": ({"state": S.SUBMITTED}, ["ask", "accept", "decline", "withdraw"]),
    "accepted": ({"state": S.ACCEPTED}, ["allocate", "withdraw"]),
    "allocated": (
        {"state": S.ALLOCATED},
        ["plan", "first_meeting", "reallocate", "key_date", "withdraw"],
    ),
    "active": (
        {"state": S.ACTIVE},
        [
            "session",
            "contact",
            "reallocate",
            "key_date",
            "remove_key_date",
            "book",
            "close",
            "withdraw",
        ],
    ),
    "booked": ({"state": S.ACTIVE}, ["cancel_booked", "book", "session", "close", "withdraw"]),
    "review_due": ({"state": S.ACTIVE, "sessions": 3}, ["review", "close", "withdraw"]),
    "extension_requested": (
        {"state": S.EXTENSION_REQUESTED},
        ["approve", "refuse", "key_date", "withdraw"],
    ),
    "sixth_session_held": (
        {"state": S.EXTENSION_REQUESTED},
        ["exceptional", "close", "withdraw"],
    ),
}


def pairs(start: str) -> list[tuple[str, str]]:
    return list(combinations_with_replacement(STARTS[start][1], 2))


class Cast:
    def __init__(self, flow, other_therapist):
        self.flow = flow
        self.other_therapist = other_therapist
        # Every pair makes two referrals held by these two: room for them all, so the
        # pairs race on the referral, not on a therapist's last place
        # (tests/referrals/test_concurrency.py races that).
        for therapist in (flow.therapist, other_therapist):
            therapist.capacity = 1000
            therapist.save()

    def referral(self, start: str) -> Referral:
        referral = self.flow.referral(**STARTS[start][0])
        therapist = self.flow.therapist.user
        if start == "active":  # a key date to remove
            services.save_key_date(
                referral_id=referral.pk,
                by=therapist,
                kind=KeyDate.Kind.FUNERAL,
                date=timezone.localdate() + timedelta(days=3),
            )
        if start == "booked":  # a session booked ahead, to cancel
            services.plan_session(
                referral_id=referral.pk,
                by=therapist,
                starts_at=timezone.now() + timedelta(days=1),
                mode="virtual",
                link="https://meet.example.org/x",
            )
        if start == "sixth_session_held":
            request = referral.extension_requests.get()
            services.decide_extension_request(request_id=request.pk, by=self.flow.psw, approve=True)
            while referral.counted_sessions() < 6:
                self.flow.session(referral)
        return self.flow.refresh(referral)


def outcome(result) -> str:
    if isinstance(result, Exception):
        assert isinstance(result, KIND_OUTCOMES), f"{type(result).__name__}: {result}"
        return type(result).__name__
    return "done"


def one_pair(cast: Cast, start: str, a: str, b: str, *, first: int) -> None:
    referral = cast.referral(start)
    run = race(ACTIONS[a](cast, referral), ACTIONS[b](cast, referral), first=first)

    outcomes = [outcome(result) for result in run.results]
    # One thread took the referral's lock and the other queued behind it.
    assert sorted(run.seen) == ["gate", "waited"], run.seen
    assert run.first == first
    assert outcomes[first] == "done", run.results[first]
    # The same two, one after the other, on a referral just like it.
    again = cast.referral(start)
    plain = [ACTIONS[a](cast, again), ACTIONS[b](cast, again)]
    in_order: list = [None, None]
    for index in (first, 1 - first):
        try:
            in_order[index] = plain[index]()
        except KIND_OUTCOMES as exc:
            in_order[index] = exc
    assert outcomes == [outcome(result) for result in in_order], (outcomes, in_order)
    row, twin = Referral.objects.get(pk=referral.pk), Referral.objects.get(pk=again.pk)
    assert (row.state, row.version) == (twin.state, twin.version)


# One test per starting state, each going through all its pairs: a transactional test
# empties every table when it ends, which on a busy machine costs about a second.
@pytest.mark.postgres
@pytest.mark.timeout(360)  # up to 49 races of two threads each, plus their twins
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("start", list(STARTS))
def test_every_pair_of_services_at_once_ends_as_if_one_went_first(
    requires_postgres, flow, other_therapist, start
):
    cast = Cast(flow, other_therapist)
    failures = {}
    for a, b in pairs(start):
        # Both orders: what the second one sees depends on what the first one did.
        for first in (0, 1) if a != b else (0,):
            try:
                one_pair(cast, start, a, b, first=first)
            except AssertionError as exc:
                failures[f"{(a, b)[first]} first, then {(a, b)[1 - first]}"] = str(exc)
    assert failures == {}


def test_every_service_that_changes_a_referral_is_in_a_pair():
    """A new service joins the table above, or this fails."""
    changing = {
        name
        for name in dir(services)
        if callable(getattr(services, name))
        and getattr(getattr(services, name), "__module__", "").startswith(f"{services.__name__}.")
        and not name.startswith("_")
        and name[0].islower()
    }
    covered = {
        "save_referral_draft": "edit",
        "submit_referral": "submit",
        "answer_information_request": "answer",
        "request_more_information": "ask",
        "accept_referral": "accept",
        "decline_referral": "decline",
        "allocate_referral": "allocate",
        "reallocate_referral": "reallocate",
        "plan_first_meeting": "plan",
        "record_first_meeting": "first_meeting",
        "record_manager_contact": "contact",
        "record_therapy_session": "session",
        "save_key_date": "key_date",
        "record_review": "review",
        "close_referral": "close",
        "withdraw_referral": "withdraw",
        "decide_extension_request": "approve",
        "remove_key_date": "remove_key_date",
        "request_exceptional_session": "exceptional",
        "plan_session": "book",
        "record_planned_session": "cancel_booked",
    }
    # Not raced here, each for a stated reason.
    apart = {
        "create_group_referral": "creates a new referral; nobody else can hold it yet",
        "log_transition": "a step inside the services, not a service",
        "closing_refusal": "reads only",
        "allocation_refusal": "reads only (the allocation services ask it under their locks)",
        "place_errors": "a rule on what was typed, reads nothing",
        # Same lock path as the services above (``lock_referral`` first); raced through them.
        "save_closure_summary": "the first step of close_referral",
        "record_group_session": "a group referral; the same lock_referral-then-apply_transition path as a session",
        "send_closure_summary": "a task after close_referral commits; locks the referral first",
        "send_closure_summary_task": "the Celery task of send_closure_summary",
        "link_staff_member_account": (
            "sets only staff_user, on referrals with none, read again under lock_referral; "
            "no version or state change (tests/accounts/test_council_signin.py)"
        ),
        "on_council_account_signed_in": "the signal receiver of link_staff_member_account",
        "retry_undelivered_email": "an outbox row, not a referral: locks that row alone",
    }
    in_pairs = {name for _, names in STARTS.values() for name in names}
    assert set(covered.values()) <= in_pairs
    assert changing - set(covered) - set(apart) == set()
