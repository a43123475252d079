"""Dates must make sense (issue 13): each refused next to its field, with a clear message.
The rules live in the services (``services.core.held_when_it_could_be``, ``save_key_date``,
``record_review``); the view tests show the message next to the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import KeyDate, Referral, Review
from referrals.services import RuleRefused


def _sent_days_ago(referral: Referral, days: int) -> Referral:
    Referral.objects.filter(pk=referral.pk).update(
        first_submitted_at=timezone.now() - timedelta(days=days)
    )
    referral.refresh_from_db()
    return referral


def test_a_first_meeting_before_the_referral_was_sent_is_refused(flow):
    referral = _sent_days_ago(flow.referral(state="allocated"), 3)

    with pytest.raises(RuleRefused) as refused:
        flow.first_meeting(referral, held_at=timezone.now() - timedelta(days=4))

    assert refused.value.field == "held_at"
    assert "before the referral was sent" in refused.value.message
    assert flow.refresh(referral).state == Referral.State.ALLOCATED
    # The day it was sent is fine.
    flow.first_meeting(referral, held_at=timezone.now() - timedelta(days=3))
    assert flow.refresh(referral).state == Referral.State.ACTIVE


def test_a_first_meeting_in_the_future_is_refused(flow):
    referral = flow.referral(state="allocated")
    with pytest.raises(RuleRefused, match="in the future") as refused:
        flow.first_meeting(referral, held_at=timezone.now() + timedelta(hours=2))
    assert refused.value.field == "held_at"


@pytest.mark.parametrize("attendance", ["attended", "did_not_attend"])
def test_a_session_before_the_referral_was_sent_is_refused(flow, attendance):
    referral = _sent_days_ago(flow.referral(state="active"), 2)
    with pytest.raises(RuleRefused, match="before the referral was sent"):
        flow.session(
            referral,
            held_at=timezone.now() - timedelta(days=5),
            attendance=attendance,
            cancellation_reason="Unwell",
        )


def test_a_contact_with_the_manager_before_the_referral_was_sent_is_refused(flow):
    referral = _sent_days_ago(flow.referral(state="active"), 2)
    with pytest.raises(RuleRefused, match="before the referral was sent") as refused:
        services.record_manager_contact(
            referral_id=referral.pk,
            by=flow.therapist.user,
            contacted_at=timezone.now() - timedelta(days=6),
        )
    assert refused.value.field == "contacted_at"


def test_a_key_date_before_the_incident_is_refused(flow):
    referral = flow.referral(state="active")
    before = referral.incident.occurred_on - timedelta(days=1)
    with pytest.raises(RuleRefused) as refused:
        services.save_key_date(
            referral_id=referral.pk, by=flow.therapist.user, kind=KeyDate.Kind.INQUEST, date=before
        )
    assert refused.value.field == "date"
    assert "before the incident" in refused.value.message
    assert not referral.key_dates.exists()


def _three_sessions(flow, referral: Referral, *, days_ago: int):
    """Attended sessions up to the 3rd; returns the day of the 3rd in date order."""
    while flow.refresh(referral).counted_sessions() < 3:
        flow.session(referral, held_at=timezone.now() - timedelta(days=days_ago))
    return timezone.localdate(flow.refresh(referral).third_session_at)


def test_a_review_before_the_third_attended_session_is_refused(flow):
    referral = _sent_days_ago(flow.referral(state="active"), 10)
    third = _three_sessions(flow, referral, days_ago=2)

    with pytest.raises(RuleRefused) as refused:
        services.record_review(
            referral_id=referral.pk,
            by=flow.therapist.user,
            outcome=Review.Outcome.CLOSE,
            held_on=third - timedelta(days=1),
        )
    assert refused.value.field == "held_on"
    assert "after the 3rd attended session" in refused.value.message

    with pytest.raises(RuleRefused, match="in the future"):
        services.record_review(
            referral_id=referral.pk,
            by=flow.therapist.user,
            outcome=Review.Outcome.CLOSE,
            held_on=timezone.localdate() + timedelta(days=1),
        )

    review = services.record_review(
        referral_id=referral.pk, by=flow.therapist.user, outcome=Review.Outcome.CLOSE, held_on=third
    )
    assert review.held_on == third


def test_the_message_is_next_to_the_field_and_what_was_typed_is_kept(client, flow):
    referral = _sent_days_ago(flow.referral(state="allocated"), 1)
    client.force_login(flow.therapist.user)
    typed = (timezone.localtime() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("therapists:first_meeting", args=[referral.pk]),
        {"version": referral.version, "held_at": typed, "mode": "virtual", "notes": "kept"},
    )

    form = response.context["forms"]["first"]
    assert response.status_code == 200
    assert "before the referral was sent" in form.errors["held_at"][0]
    assert form["notes"].value() == "kept"


def test_the_review_form_shows_its_date_message_next_to_the_field(client, flow):
    referral = _sent_days_ago(flow.referral(state="active"), 10)
    _three_sessions(flow, referral, days_ago=2)
    client.force_login(flow.therapist.user)
    referral.refresh_from_db()

    response = client.post(
        reverse("therapists:review", args=[referral.pk]),
        {
            "version": referral.version,
            "outcome": "close",
            "held_on": (timezone.localdate() - timedelta(days=5)).isoformat(),
        },
    )

    assert (
        "after the 3rd attended session" in response.context["forms"]["review"].errors["held_on"][0]
    )
