"""Closing a case while a key date is still to come (issue 13): the closure page lists
the dates and the therapist keeps support open, or closes and says who follows up
(named in the summary). The reminder is never dropped in silence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import ClosureSummary, ExitPathway, KeyDate, Referral
from referrals.services import RuleRefused


@pytest.fixture
def case_with_a_date(flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=2)
    key_date = services.save_key_date(
        referral_id=referral.pk,
        by=flow.therapist.user,
        kind=KeyDate.Kind.INQUEST,
        date=timezone.localdate() + timedelta(days=20),
    )
    services.save_closure_summary(
        referral_id=referral.pk,
        by=flow.therapist.user,
        exit_pathways=ExitPathway.objects.filter(code="no_further_support"),
        comments="Support came to a natural end.",
    )
    return flow.refresh(referral), key_date


def test_closing_with_a_date_to_come_needs_who_will_follow_up(flow, case_with_a_date):
    referral, _ = case_with_a_date
    with pytest.raises(RuleRefused) as refused:
        services.close_referral(referral_id=referral.pk, by=flow.therapist.user)
    assert refused.value.field == "key_date_follow_up"
    assert "1 key date still to come" in refused.value.message
    assert flow.refresh(referral).state == Referral.State.ACTIVE


def test_the_follow_up_is_named_in_the_summary(flow, case_with_a_date):
    referral, key_date = case_with_a_date

    services.close_referral(
        referral_id=referral.pk, by=flow.therapist.user, key_date_follow_up="the team manager"
    )
    services.send_closure_summary(referral.pk)

    text = ClosureSummary.objects.get(referral=referral).text
    assert "Dates still to come:" in text
    assert f"- Inquest, {key_date.date:%-d %B %Y}" in text
    assert "Who will follow these up: the team manager" in text
    assert referral.transitions.get(event="closed").note == "the team manager"


def test_without_dates_to_come_nothing_more_is_asked(flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=2)
    flow.close(referral)
    services.send_closure_summary(referral.pk)
    assert "Dates still to come" not in ClosureSummary.objects.get(referral=referral).text


def test_the_closure_page_lists_the_dates_and_asks_what_to_do(client, flow, case_with_a_date):
    referral, key_date = case_with_a_date
    client.force_login(flow.therapist.user)

    page = client.get(reverse("therapists:closure_preview", args=[referral.pk]))

    assert page.status_code == 200
    assert 'data-testid="dates-to-come"' in page.text
    assert f"{key_date.date:%A %-d %B %Y}" in page.text
    assert "Keep support open until the dates have passed" in page.text


def test_keep_open_leaves_support_open(client, flow, case_with_a_date):
    referral, _ = case_with_a_date
    client.force_login(flow.therapist.user)

    response = client.post(
        reverse("therapists:closure_confirm", args=[referral.pk]),
        {"version": referral.version, "choice": "keep_open"},
    )

    assert response.status_code == 302
    assert flow.refresh(referral).state == Referral.State.ACTIVE


def test_closing_from_the_page_without_a_follow_up_keeps_the_choice(client, flow, case_with_a_date):
    referral, _ = case_with_a_date
    client.force_login(flow.therapist.user)
    url = reverse("therapists:closure_confirm", args=[referral.pk])

    response = client.post(url, {"version": referral.version, "choice": "close"})

    form = response.context["form"]
    assert "in general terms" in form.errors["key_date_follow_up"][0]
    assert form["choice"].value() == "close"
    assert flow.refresh(referral).state == Referral.State.ACTIVE

    response = client.post(
        url,
        {"version": referral.version, "choice": "close", "key_date_follow_up": "their GP"},
    )
    assert response.status_code == 302
    referral = flow.refresh(referral)
    assert referral.state == Referral.State.CLOSED
    assert referral.closure_summary.key_date_follow_up == "their GP"


def test_another_therapist_cannot_confirm(client, flow, other_therapist, case_with_a_date):
    referral, _ = case_with_a_date
    client.force_login(other_therapist.user)
    response = client.post(
        reverse("therapists:closure_confirm", args=[referral.pk]),
        {"version": referral.version, "choice": "close", "key_date_follow_up": "x"},
    )
    assert response.status_code == 404
    assert flow.refresh(referral).state == Referral.State.ACTIVE
