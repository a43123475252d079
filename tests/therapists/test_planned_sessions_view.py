"""Booking, changing and recording sessions ahead from the case page (issue 13)."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import PlannedSession, TherapySession


class _ElementText(HTMLParser):
    """The text inside the element with ``element_id``."""

    VOID = {"input", "br", "img", "meta", "link", "hr"}

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.text = ""

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth or dict(attrs).get("id") == self.element_id:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text += data


def _element_text(html: str, element_id: str) -> str:
    parser = _ElementText(element_id)
    parser.feed(html)
    assert parser.text, f"no element {element_id!r} on the page"
    return parser.text


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

    # A page loaded before the first booking still shows the form.
    response = _book(
        client, referral, starts_at=_when(4), mode="face_to_face", link="", place="Room 7"
    )

    form = response.context["forms"]["plan_session"]
    assert response.status_code == 200
    assert "planned make 3" in form.errors["starts_at"][0]
    # On the page: the form as typed, the message in the date field's own block, and
    # not in a box above the form in place of it.
    html = response.content.decode()
    field = _element_text(html, "div_id_plan_session_starts_at")
    assert form.errors["starts_at"][0] in field
    assert 'data-testid="planning-refusal"' not in html
    assert form["starts_at"].value() == _when(4)
    assert 'value="Room 7"' in html
    assert PlannedSession.objects.filter(referral=referral).count() == 1
    # Shown afresh, the page says up front that no more can be booked.
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
