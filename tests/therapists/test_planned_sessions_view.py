"""Booking, changing and recording sessions ahead from the case page (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import PlannedSession, TherapySession


def _when(days: int) -> str:
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _book(client, referral, **data):
    referral.refresh_from_db()
    payload = {
        "version": referral.version,
        "starts_at": _when(2),
        "duration_minutes": 60,
        "mode": "virtual",
        "link": "https://meet.example.org/abc",
        "place": "",
        **data,
    }
    return client.post(reverse("therapists:plan_session", args=[referral.pk]), payload)


def test_the_therapist_books_a_session(client, flow):
    referral = flow.referral(state="active")
    client.force_login(flow.therapist.user)

    page = client.get(reverse("therapists:case", args=[referral.pk]))
    assert page.context["forms"]["plan_session"]["duration_minutes"].value() == 60
    response = _book(client, referral)

    assert response.status_code == 302
    planned = PlannedSession.objects.get(referral=referral)
    assert planned.link == "https://meet.example.org/abc"
    html = client.get(response.url).content.decode()
    assert "Booked sessions" in html and "meet.example.org/abc" in html


def test_a_face_to_face_booking_without_a_place_keeps_what_was_typed(client, flow):
    referral = flow.referral(state="active")
    client.force_login(flow.therapist.user)

    response = _book(client, referral, mode="face_to_face", link="", place="")

    form = response.context["forms"]["plan_session"]
    assert response.status_code == 200
    assert form.errors["place"] == ["Please say where you will meet."]
    assert form["starts_at"].value() == _when(2)
    assert not PlannedSession.objects.exists()


def test_a_booking_beyond_the_allowance_is_refused_next_to_the_date(client, flow):
    referral = flow.referral(state="active")
    flow.session(referral)
    client.force_login(flow.therapist.user)
    assert _book(client, referral).status_code == 302

    response = _book(client, referral, starts_at=_when(4))

    assert "planned make 3" in response.context["forms"]["plan_session"].errors["starts_at"][0]
    page = client.get(reverse("therapists:case", args=[referral.pk])).content.decode()
    assert 'data-testid="planning-refusal"' in page


def test_moving_and_cancelling_from_the_pages(client, flow):
    referral = flow.referral(state="active")
    client.force_login(flow.therapist.user)
    _book(client, referral)
    planned = PlannedSession.objects.get()
    referral.refresh_from_db()

    edit = reverse("therapists:planned_session_edit", args=[referral.pk, planned.pk])
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "version": referral.version,
            "starts_at": _when(3),
            "duration_minutes": 45,
            "mode": "face_to_face",
            "place": "Room 2",
            "link": "",
        },
    )
    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.place, planned.duration_minutes, planned.sequence) == ("Room 2", 45, 1)

    referral.refresh_from_db()
    response = client.post(
        reverse("therapists:planned_session_record", args=[referral.pk, planned.pk]),
        {"version": referral.version, "outcome": "cancelled", "reason": "Rearranged"},
    )
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.status == PlannedSession.Status.CANCELLED
    assert planned.session.attendance == TherapySession.Attendance.CANCELLED


@pytest.mark.parametrize("persona", ["manager", "coordinator"])
def test_other_roles_may_not_book(client, flow, request, persona):
    referral = flow.referral(state="active")
    client.force_login(request.getfixturevalue(persona))
    assert _book(client, referral).status_code == 403
    assert not PlannedSession.objects.exists()


def test_another_therapist_does_not_find_the_case(client, flow, other_therapist):
    referral = flow.referral(state="active")
    planned = services.plan_session(
        referral_id=referral.pk,
        by=flow.therapist.user,
        starts_at=timezone.now() + timedelta(days=1),
        mode="virtual",
        link="https://meet.example.org/x",
    )
    client.force_login(other_therapist.user)
    assert _book(client, referral).status_code == 404
    edit = reverse("therapists:planned_session_edit", args=[referral.pk, planned.pk])
    assert client.get(edit).status_code == 404
