"""Shared ground for the access-control tests (docs/security-checklist.md row 11, #13, #14, #16,
#18, #19): the persona users by name, every route the project serves, and a "world"
of two rich referrals, ours and the others', built through the real services.

Ours: made by ``manager`` for ``staff_member``, accepted to ``provider`` (coordinator
``coordinator``) and allocated to ``therapist``. Theirs: made by ``other_manager`` for
someone else, accepted to ``other_provider`` (coordinator ``other_coordinator``) and
allocated to a therapist of that provider's pool. Both wait for an extension decision
and hold a key date, notes, notifications and a closure-free history; plus a draft of
``other_manager``'s that nobody else may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.roles import Role
from referrals import services
from referrals.models import (
    ExtensionRequest,
    KeyDate,
    Notification,
    PlannedSession,
    Referral,
    Review,
)
from tests.factories import TherapistFactory, UserFactory
from tests.flow import Flow
from therapists.models import TherapistLeave

# The role personas of tests/conftest.py. "therapist" and "other_therapist" are
# Therapist objects there; here they are their users.
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

# Unique strings on our referral, to see exactly which role is shown what (#13).
MARKERS = {
    "event_details": "MARK-EVENT-DETAILS-4471",
    "description": "MARK-INCIDENT-DESCRIPTION-8812",
    "notes": "MARK-SESSION-NOTES-3307",
}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    route: str  # the whole route, e.g. "referrals/<int:referral_id>/"
    converters: frozenset[str]
    callback: object


def all_routes() -> list[Route]:
    """Every named route the project serves, admin aside (it has its own guard)."""
    found: list[Route] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                route = prefix + str(pattern.pattern)
                if route.startswith("admin/"):
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                converters = set(pattern.pattern.converters)
                found.append(
                    Route(
                        name=f"{namespace}{pattern.name}",
                        route=route,
                        converters=frozenset(converters | _prefix_converters(prefix)),
                        callback=pattern.callback,
                    )
                )

    walk(get_resolver().url_patterns, "", "")
    return found


def _prefix_converters(prefix: str) -> set[str]:
    import re

    return set(re.findall(r"<(?:\w+:)?(\w+)>", prefix))


@dataclass
class Target:
    """One object set a URL can be pointed at, and who may see it."""

    label: str
    referral: Referral
    visible: frozenset[str]
    key_date: KeyDate | None = None
    extension_request: ExtensionRequest | None = None
    notification: Notification | None = None
    notification_owner: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class World:
    ours: Target
    theirs: Target
    their_draft: Target
    users: dict

    @property
    def targets(self) -> list[Target]:
        return [self.ours, self.theirs, self.their_draft]


@pytest.fixture
def personas(request) -> dict:
    """Persona name -> User."""
    users = {}
    for name in PERSONAS:
        value = request.getfixturevalue(name)
        users[name] = getattr(value, "user", value)
    return users


def _in_support_awaiting_extension(flow: Flow, **overrides) -> tuple[Referral, KeyDate]:
    """Through the real services: allocated, first meeting, a noted session, a key date,
    three sessions, and a review asking for more (so an extension request is pending)."""
    referral = flow.referral(state=Referral.State.ACTIVE, **overrides)
    flow.session(referral, notes=MARKERS["notes"])
    key_date = services.save_key_date(
        referral_id=referral.pk,
        by=flow.therapist.user,
        kind=KeyDate.Kind.INQUEST,
        date=timezone.localdate() + timedelta(days=30),
    )
    while flow.refresh(referral).counted_sessions() < 3:
        flow.session(referral)
    services.record_review(
        referral_id=referral.pk,
        by=flow.therapist.user,
        outcome=Review.Outcome.EXTEND,
        reason="More sessions would help.",
    )
    return flow.refresh(referral), key_date


@pytest.fixture
def world(
    flow,
    personas,
    psw,
    other_manager,
    other_coordinator,
    other_provider,
    other_team,
    staff_member,
) -> World:
    ours, our_key_date = _in_support_awaiting_extension(
        flow,
        staff_email=staff_member.email,
        event_details=MARKERS["event_details"],
        description=MARKERS["description"],
    )

    far_therapist = TherapistFactory(
        user=UserFactory(username="farah", first_name="Farah", roles=[Role.THERAPIST]),
        provider=other_provider,
    )
    their_staff = UserFactory(username="sol", first_name="Sol", email="sol@example.org")
    their_flow = Flow(
        manager=other_manager,
        psw=psw,
        coordinator=other_coordinator,
        therapist=far_therapist,
        provider=other_provider,
        team=other_team,
    )
    theirs, their_key_date = _in_support_awaiting_extension(
        their_flow, staff_email=their_staff.email, staff_name="Sol Otherperson"
    )
    their_draft = their_flow.draft(staff_name="Drew Draftperson")
    our_planned, their_planned = (
        PlannedSession.objects.create(
            referral=r,
            starts_at=timezone.now() + timedelta(days=2),
            mode="virtual",
            link="https://meet.example.org/x",
            planned_by=r.therapist.user,
        )
        for r in (ours, theirs)
    )
    far_off = timezone.localdate() + timedelta(days=400)
    our_leave, their_leave = (
        TherapistLeave.objects.create(therapist=t, starts_on=far_off, ends_on=far_off)
        for t in (flow.therapist, far_therapist)
    )

    def notice(user, referral):
        found = Notification.objects.filter(user=user, referral=referral).first()
        assert found is not None, "the services tell the line manager"
        return found

    return World(
        ours=Target(
            label="ours",
            referral=ours,
            visible=frozenset(
                {"manager", "psw", "smpe", "coordinator", "therapist", "staff_member"}
            ),
            key_date=our_key_date,
            extension_request=ours.extension_requests.get(status=ExtensionRequest.Status.PENDING),
            notification=notice(personas["manager"], ours),
            notification_owner="manager",
            extra={"leave": our_leave, "coordinator": "coordinator", "planned": our_planned},
        ),
        theirs=Target(
            label="theirs",
            referral=theirs,
            # PSW and SMPE see every referral: for them there is no "others'".
            visible=frozenset({"other_manager", "psw", "smpe", "other_coordinator"}),
            key_date=their_key_date,
            extension_request=theirs.extension_requests.get(status=ExtensionRequest.Status.PENDING),
            notification=notice(other_manager, theirs),
            notification_owner="other_manager",
            extra={
                "leave": their_leave,
                "coordinator": "other_coordinator",
                "planned": their_planned,
            },
        ),
        their_draft=Target(
            label="their draft",
            referral=their_draft,
            # Only the referrer sees a draft, not even triage.
            visible=frozenset({"other_manager"}),
        ),
        users={**personas, "far_therapist": far_therapist.user, "their_staff": their_staff},
    )
