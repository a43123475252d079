"""Issue 14 point 8: a service lead who made a group referral follows its status and
outcome, but sees no event details and cannot withdraw it (the council's need-to-know
rule, applied in referrals/permissions.py ``is_group_author_only``). The cells of the
URL x role table for that author, on their own group referral."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import KeyDate, PlannedSession, Referral
from tests.security.conftest import Target
from tests.security.routes import GET, POST, ROWS, _extension_request

pytestmark = pytest.mark.django_db

EVENT = "MARK-GROUP-EVENT-5521"
DESCRIPTION = "MARK-GROUP-DESCRIPTION-9034"


def _group(flow, by) -> Referral:
    referral = services.create_group_referral(
        by=by,
        data={
            "occurred_on": flow.refresh(flow.draft()).incident.occurred_on,
            "category": "practitioner_harmed",
            "team": flow.team,
            "description": DESCRIPTION,
            "event_details": EVENT,
            "referrer_role": "service_manager",
            "number_of_staff": 6,
            "group_consulted": True,
            "group_wishes_to_take_part": True,
        },
    )
    return flow.refresh(referral)


@pytest.fixture
def lead_group(flow, service_lead):
    return _group(flow, service_lead)


# Each object route, pointed at the service lead's own group referral in support:
# what the author gets. Only the referral page opens; withdrawing, and every case,
# triage and allocation page, is refused (403: they made it, so they know it exists).
AUTHOR_CELLS: dict[str, dict[str, set[int]]] = {
    "referrals:detail": {GET: {200}},
    "referrals:withdraw": {GET: {403}, POST: {403}},
    # The referral has moved on from a draft: a kind "can no longer be changed".
    "referrals:edit": {GET: {302}, POST: {302}},
    "referrals:answer": {GET: {302, 403}, POST: {302, 403}},
}


@pytest.fixture
def target(flow, lead_group) -> Target:
    """The group referral in support, with a key date: every object route can point at it."""
    services.accept_referral(referral_id=lead_group.pk, by=flow.psw, provider=flow.provider)
    services.allocate_referral(
        referral_id=lead_group.pk, therapist=flow.therapist, by=flow.coordinator
    )
    key_date = services.save_key_date(
        referral_id=lead_group.pk,
        by=flow.therapist.user,
        kind=KeyDate.Kind.INQUEST,
        date=timezone.localdate() + timedelta(days=30),
    )
    planned = PlannedSession.objects.create(
        referral=lead_group,
        starts_at=timezone.now() + timedelta(days=2),
        mode="virtual",
        link="https://meet.example.org/group",
        planned_by=flow.therapist.user,
    )
    return Target(
        label="the lead's group",
        referral=flow.refresh(lead_group),
        visible=frozenset(),
        key_date=key_date,
        extra={"planned": planned},
    )


# Every route about a referral. Left out, because a group referral has none of them:
# notifications and the therapist pool (read_action None: not a referral's pages) and
# deciding an extension request (a group referral cannot ask for more sessions).
GROUP_ROUTES = sorted(
    name
    for name, row in ROWS.items()
    if row.read_action is not None and row.kwargs is not _extension_request
)


def test_every_route_about_a_group_referral_has_a_cell():
    assert len(GROUP_ROUTES) == len(ROWS) - 5
    assert "therapists:planned_session_record" in GROUP_ROUTES


@pytest.mark.parametrize("name", GROUP_ROUTES)
def test_the_group_author_s_cells(client, flow, service_lead, target, name):
    row = ROWS[name]
    kwargs = row.kwargs(target)
    assert kwargs is not None, name
    client.force_login(service_lead)
    url = reverse(name, kwargs=kwargs)
    for method in row.methods:
        response = getattr(client, method.lower())(url, {"version": target.referral.version})
        # Refused either way: 403 (the author knows the referral exists) or 404.
        allowed = AUTHOR_CELLS.get(name, {}).get(method, {403, 404})
        assert response.status_code in allowed, (name, method, response.status_code)
        assert EVENT not in response.text and DESCRIPTION not in response.text
    assert flow.refresh(target.referral).state == Referral.State.ALLOCATED


def test_the_group_author_follows_status_and_outcome_not_the_event(client, flow, service_lead):
    referral = _group(flow, service_lead)
    client.force_login(service_lead)

    page = client.get(reverse("referrals:detail", args=[referral.pk])).text
    mine = client.get(reverse("referrals:mine")).text

    assert referral.reference in page and referral.get_state_display() in page
    assert EVENT not in page and DESCRIPTION not in page
    assert reverse("referrals:withdraw", args=[referral.pk]) not in page
    assert referral.reference in mine and EVENT not in mine


def test_a_line_manager_who_made_a_group_referral_keeps_the_details_and_withdraw(
    client, flow, manager
):
    referral = _group(flow, manager)
    client.force_login(manager)

    page = client.get(reverse("referrals:detail", args=[referral.pk])).text

    assert EVENT in page
    assert client.get(reverse("referrals:withdraw", args=[referral.pk])).status_code == 200
