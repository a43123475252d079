"""The triage queue and decisions for the PSW and SMPE (docs/service.md step 4)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from referrals import services
from referrals.models import InformationRequest, Referral
from tests.factories import ProviderFactory, TeamFactory, referral_data

LONDON = ZoneInfo("Europe/London")
QUEUE = "referrals:triage"


def decide_url(referral) -> str:
    return reverse("referrals:triage_decide", args=[referral.pk])


# --- the queue ------------------------------------------------------------------------


def test_queue_lists_every_referral_awaiting_a_decision_oldest_first(client, flow, psw):
    first = flow.referral(state="submitted", staff_name="First Person")
    paused = flow.referral(state="more_info", staff_name="Paused Person")
    second = flow.referral(state="submitted", staff_name="Second Person")
    flow.referral(state="accepted", staff_name="Already Accepted")
    flow.referral(state="draft", staff_name="Still Drafting")
    client.force_login(psw)

    response = client.get(reverse(QUEUE))

    html = response.content.decode()
    shown = [row["pk"] for row in response.context["rows"]]
    assert response.status_code == 200
    assert set(shown) == {first.pk, paused.pk, second.pk}
    assert shown.index(first.pk) < shown.index(second.pk)
    assert "Already Accepted" not in html
    assert "Still Drafting" not in html
    assert "Paused: waiting for the line manager" in html


@pytest.mark.parametrize("persona", ["manager", "coordinator", "service_lead", "outsider"])
def test_only_triage_sees_the_queue(client, flow, request, persona):
    flow.referral(state="submitted")
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse(QUEUE)).status_code == 403


def test_therapists_cannot_see_the_queue(client, therapist):
    client.force_login(therapist.user)

    assert client.get(reverse(QUEUE)).status_code == 403


def test_age_and_badges_follow_the_working_day_clock(client, flow, psw):
    # Monday 2 March 2026, 10:00: triage target 1 working day, limit 2.
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False):
        flow.referral(state="submitted")

    def queue_at(moment: datetime) -> str:
        with time_machine.travel(moment, tick=False):
            client.force_login(psw)  # a fresh sign-in: sessions end after 12 hours
            return client.get(reverse(QUEUE)).content.decode()

    fresh = queue_at(datetime(2026, 3, 2, 11, tzinfo=LONDON))
    at_limit = queue_at(datetime(2026, 3, 4, 10, tzinfo=LONDON))
    past = queue_at(datetime(2026, 3, 4, 10, 1, tzinfo=LONDON))

    assert "0 working days" in fresh
    assert "badge-ok" in fresh and "badge-breached" not in fresh
    assert "2 working days" in at_limit
    assert "badge-near" in at_limit and "badge-breached" not in at_limit
    assert "badge-breached" in past
    assert "past the limit" in past


def test_filters_by_state_team_category_and_name(client, flow, psw):
    other_team = TeamFactory(name="Youth Justice")
    robin = flow.referral(state="submitted")
    sam = services.save_referral_draft(
        by=flow.manager,
        data=referral_data(other_team, staff_name="Sam Otherperson", category="abuse_network"),
    )
    services.submit_referral(referral_id=sam.pk, by=flow.manager)
    asked = flow.referral(state="more_info", staff_name="Ali Asked")
    client.force_login(psw)

    def shown(data, method="post"):
        response = getattr(client, method)(reverse(QUEUE), data)
        assert response.status_code == 200
        return {row["pk"] for row in response.context["rows"]}

    assert shown({"state": "more_info"}, "get") == {asked.pk}
    assert shown({"team": other_team.pk}, "get") == {sam.pk}
    assert shown({"category": "abuse_network"}) == {sam.pk}
    assert shown({"staff_name": "robin"}) == {robin.pk}
    # A name never travels in a URL: the search posts, and a name in the query is ignored.
    assert shown({"staff_name": "robin"}, "get") == {robin.pk, sam.pk, asked.pk}


def test_queue_uses_a_constant_number_of_queries(client, flow, psw, django_assert_max_num_queries):
    client.force_login(psw)
    for _ in range(5):
        flow.referral(state="submitted")
    flow.referral(state="more_info")
    with django_assert_max_num_queries(30) as five:
        response = client.get(reverse(QUEUE))
    assert len(response.context["rows"]) == 6
    for _ in range(200):
        flow.referral(state="submitted")

    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get(reverse(QUEUE))

    # 50 to a page, the total shown.
    assert len(response.context["rows"]) == 50
    assert response.context["page"].total == 206
    assert "Showing 1 to 50 of 206" in response.content.decode()


# --- decisions --------------------------------------------------------------------------


def test_decision_page_offers_the_only_provider_by_default(client, flow, psw, provider):
    referral = flow.referral(state="submitted")
    client.force_login(psw)

    response = client.get(decide_url(referral))

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["accept_form"]["provider"].value() == provider.pk
    assert "Test event details" in html
    assert 'name="version"' in html
    assert html.count("data-once") >= 3


def test_accept_sends_it_to_the_provider(
    client, flow, psw, coordinator, manager, provider, django_capture_on_commit_callbacks
):
    referral = flow.referral(state="submitted")
    client.force_login(psw)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            decide_url(referral),
            {
                "action": "accept",
                "version": referral.version,
                "accept-provider": provider.pk,
                "accept-note": "",
            },
        )

    referral.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse(QUEUE)
    assert referral.state == Referral.State.ACCEPTED
    assert referral.provider == provider
    assert {coordinator.email, manager.email} <= {m.to[0] for m in mail.outbox}
    assert referral.transitions.filter(event="accepted", by=psw).exists()


def test_accept_chooses_between_providers(client, flow, psw, provider):
    other = ProviderFactory(name="Second Provider")
    referral = flow.referral(state="submitted")
    client.force_login(psw)

    page = client.get(decide_url(referral))
    response = client.post(
        decide_url(referral),
        {"action": "accept", "version": referral.version, "accept-provider": other.pk},
    )

    assert page.context["accept_form"]["provider"].value() is None
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.provider == other


def test_decline_needs_a_reason_and_signposting(client, flow, psw):
    referral = flow.referral(state="submitted")
    client.force_login(psw)

    response = client.post(
        decide_url(referral),
        {
            "action": "decline",
            "version": referral.version,
            "decline-reason": "Better met by supervision",
            "decline-signposting": "",
        },
    )

    assert response.status_code == 400
    assert "signposting" in response.context["decline_form"].errors
    assert "Better met by supervision" in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == Referral.State.SUBMITTED


def test_decline_tells_the_manager_kindly(
    client, flow, psw, manager, django_capture_on_commit_callbacks
):
    referral = flow.referral(state="submitted")
    client.force_login(psw)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            decide_url(referral),
            {
                "action": "decline",
                "version": referral.version,
                "decline-reason": "Better met by supervision",
                "decline-signposting": "The wellbeing service",
            },
        )

    referral.refresh_from_db()
    assert response.status_code == 302
    assert referral.state == Referral.State.DECLINED
    assert referral.signposting == "The wellbeing service"
    to_manager = [m for m in mail.outbox if m.to == [manager.email]]
    assert to_manager and "Thank you" in to_manager[0].body
    client.force_login(manager)
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "The wellbeing service" in page
    assert "Declined, with other support suggested" in page


def test_request_more_information_pauses_triage(
    client, flow, psw, manager, django_capture_on_commit_callbacks
):
    referral = flow.referral(state="submitted")
    client.force_login(psw)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            decide_url(referral),
            {
                "action": "more_info",
                "version": referral.version,
                "more_info-question": "Was anyone else there?",
            },
        )

    referral.refresh_from_db()
    assert response.status_code == 302
    assert referral.state == Referral.State.MORE_INFO
    assert InformationRequest.objects.get(referral=referral).question == "Was anyone else there?"
    assert manager.email in [m.to[0] for m in mail.outbox]
    page = client.get(decide_url(referral)).content.decode()
    assert "The triage clock is paused" in page


def test_a_question_cannot_be_empty(client, flow, psw):
    referral = flow.referral(state="submitted")
    client.force_login(psw)

    response = client.post(
        decide_url(referral),
        {"action": "more_info", "version": referral.version, "more_info-question": ""},
    )

    assert response.status_code == 400
    assert "Please write the question for the line manager." in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == Referral.State.SUBMITTED
    assert not referral.information_requests.exists()


def test_two_triagers_at_once_the_second_keeps_what_they_typed(client, flow, psw, smpe, provider):
    referral = flow.referral(state="submitted")
    loaded = referral.version
    services.accept_referral(
        referral_id=referral.pk, by=smpe, provider=provider, expected_version=loaded
    )
    client.force_login(psw)

    response = client.post(
        decide_url(referral),
        {
            "action": "decline",
            "version": loaded,
            "decline-reason": "My considered reason",
            "decline-signposting": "Their GP",
        },
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "This referral was just updated by someone else" in html
    assert "My considered reason" in html
    assert "Their GP" in html
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED


def test_a_decision_on_a_referral_already_decided_is_a_conflict(client, flow, psw, smpe):
    referral = flow.referral(state="declined")
    client.force_login(psw)

    response = client.post(
        decide_url(referral),
        {"action": "more_info", "version": referral.version, "more_info-question": "Anyone else?"},
    )

    assert response.status_code == 409
    assert "Anyone else?" in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == Referral.State.DECLINED


def test_a_coordinator_cannot_triage(client, flow, coordinator, provider):
    referral = flow.referral(state="accepted")
    client.force_login(coordinator)

    page = client.get(decide_url(referral))
    response = client.post(
        decide_url(referral),
        {"action": "decline", "version": referral.version, "decline-reason": "x"},
    )

    assert page.status_code == 403
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED


def test_the_manager_cannot_triage_their_own_referral(client, flow, manager, provider):
    referral = flow.referral(state="submitted")
    client.force_login(manager)

    response = client.post(
        decide_url(referral),
        {"action": "accept", "version": referral.version, "accept-provider": provider.pk},
    )

    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.state == Referral.State.SUBMITTED


def test_a_referral_triage_cannot_see_is_not_found(client, flow, psw, other_coordinator):
    draft = flow.referral(state="draft")
    accepted = flow.referral(state="accepted")
    client.force_login(psw)
    assert client.get(decide_url(draft)).status_code == 404

    client.force_login(other_coordinator)
    response = client.post(decide_url(accepted), {"action": "accept", "version": accepted.version})
    assert response.status_code == 404
    accepted.refresh_from_db()
    assert accepted.state == Referral.State.ACCEPTED
