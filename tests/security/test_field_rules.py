"""docs/security-checklist.md row 13, field-level and state-level rules.

Posting a field a role may not change leaves the database as it was, even alongside
a valid form; and each role's pages show exactly the parts of the referral that role
may see (a snapshot per role, with unique marker strings on our referral).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import KeyDate, Referral, TherapySession
from tests.security.conftest import MARKERS, World

FORBIDDEN = {
    "event_details": "CHANGED-EVENT-DETAILS",
    "staff_name": "Changed Name",
    "staff_email": "changed@example.org",
    "description": "CHANGED-DESCRIPTION",
    "state": Referral.State.CLOSED,
    "created_by": "1",
    "line_manager": "1",
}


def _protected(referral: Referral) -> dict:
    referral = Referral.objects.select_related("incident").get(pk=referral.pk)
    return {
        "event_details": referral.event_details,
        "staff_name": referral.staff_name,
        "staff_email": referral.staff_email,
        "description": referral.incident.description,
        "state": referral.state,
        "created_by": referral.created_by_id,
        "line_manager": referral.line_manager_id,
        "staff_user": referral.staff_user_id,
    }


def _markers_in(html: str) -> set[str]:
    return {key for key, marker in MARKERS.items() if marker in html}


# --- snapshot per role -------------------------------------------------------------------

# What the referral page shows each role of our referral (docs/service.md "Who uses it" and
# "Data"): the coordinator gets only what a therapist needs to make contact; the staff
# member their status; session notes are on no referral page at all.
DETAIL_PAGE_SEES = {
    "manager": {"event_details"},
    "psw": {"event_details"},
    "smpe": {"event_details"},
    "therapist": {"event_details"},
    "coordinator": set(),
    "staff_member": set(),
}


def test_each_role_sees_exactly_its_part_of_the_referral_page(client, world: World):
    url = reverse("referrals:detail", args=[world.ours.referral.pk])
    seen = {}
    for persona in DETAIL_PAGE_SEES:
        client.force_login(world.users[persona])
        response = client.get(url)
        assert response.status_code == 200, persona
        seen[persona] = _markers_in(response.content.decode())

    assert seen == DETAIL_PAGE_SEES


def test_only_the_allocated_therapist_sees_the_session_notes(client, world: World):
    referral = world.ours.referral
    pages = [
        reverse("referrals:detail", args=[referral.pk]),
        reverse("therapists:case", args=[referral.pk]),
        reverse("referrals:withdraw", args=[referral.pk]),
        reverse("referrals:own"),
        reverse("referrals:mine"),
        reverse("referrals:extension_requests"),
        reverse("therapists:allocate", args=[referral.pk]),
    ]
    shown_notes = set()
    for persona in ("manager", "psw", "smpe", "coordinator", "therapist", "staff_member"):
        client.force_login(world.users[persona])
        for url in pages:
            response = client.get(url)
            assert response.status_code in (200, 302, 403), (persona, url)
            if MARKERS["notes"] in response.content.decode():
                shown_notes.add((persona, url))

    assert shown_notes == {("therapist", reverse("therapists:case", args=[referral.pk]))}


def test_the_coordinator_allocating_sees_no_event_details(client, world: World):
    client.force_login(world.users["coordinator"])

    response = client.get(reverse("therapists:allocate", args=[world.ours.referral.pk]))

    assert response.status_code == 200
    assert _markers_in(response.content.decode()) == set()


# --- forbidden fields --------------------------------------------------------------------


def _key_date_post(referral: Referral, **extra) -> dict:
    return {
        "version": referral.version,
        "kind": KeyDate.Kind.FUNERAL,
        "date": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "label": "",
        **extra,
    }


def test_a_therapist_cannot_change_the_referral_through_a_case_form(client, world: World):
    referral = world.ours.referral
    before = _protected(referral)
    client.force_login(world.users["therapist"])

    response = client.post(
        reverse("therapists:key_date_add", args=[referral.pk]),
        _key_date_post(referral, **FORBIDDEN),
    )

    assert response.status_code == 302, "the key date itself is fine and is saved"
    assert referral.key_dates.filter(kind=KeyDate.Kind.FUNERAL).exists()
    assert _protected(referral) == before


@pytest.mark.parametrize("persona", ["therapist", "coordinator", "staff_member", "psw"])
def test_only_the_referrer_edits_the_referral(client, world: World, persona):
    referral = world.ours.referral
    before = _protected(referral)
    client.force_login(world.users[persona])

    response = client.post(
        reverse("referrals:edit", args=[referral.pk]),
        {"version": referral.version, **FORBIDDEN},
    )

    assert response.status_code == 403
    assert _protected(referral) == before


def test_the_line_manager_cannot_edit_once_triage_has_it(client, world: World):
    """State-level: the referral moved on, so the manager's edit changes nothing."""
    referral = world.ours.referral
    before = _protected(referral)
    client.force_login(world.users["manager"])

    response = client.post(
        reverse("referrals:edit", args=[referral.pk]),
        {"version": referral.version, **FORBIDDEN},
    )

    assert response.status_code == 302
    assert _protected(referral) == before


@pytest.mark.parametrize(
    "name", ["therapists:key_date_add", "therapists:session", "therapists:manager_contact"]
)
def test_the_line_manager_cannot_post_to_a_therapist_form(client, world: World, name):
    referral = world.ours.referral
    before = (_protected(referral), referral.key_dates.count(), referral.version)
    sessions = TherapySession.objects.filter(referral=referral).count()
    client.force_login(world.users["manager"])
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse(name, args=[referral.pk]),
        _key_date_post(
            referral, held_at=now, contacted_at=now, mode="virtual", attendance="attended"
        ),
    )

    referral.refresh_from_db()
    assert response.status_code == 403
    assert (_protected(referral), referral.key_dates.count(), referral.version) == before
    assert TherapySession.objects.filter(referral=referral).count() == sessions


def test_the_coordinator_cannot_change_event_details_while_reallocating(client, world: World):
    referral = world.ours.referral
    before = _protected(referral)
    new_therapist = world.users["other_therapist"].therapist
    client.force_login(world.users["coordinator"])

    response = client.post(
        reverse("therapists:allocate", args=[referral.pk]),
        {
            "version": referral.version,
            "therapist": new_therapist.pk,
            "reason": "Tess is on leave from next week.",
            **{k: v for k, v in FORBIDDEN.items() if k != "state"},
        },
    )

    referral.refresh_from_db()
    assert response.status_code == 302, "the reallocation itself is allowed"
    assert referral.therapist_id == new_therapist.pk
    assert _protected(referral) == before
