"""The PSW/SMPE's extension requests page: see pending requests, approve or refuse;
the therapist is told (docs/service.md step 8)."""

import html

import pytest
from django.urls import reverse

from referrals.models import ExtensionRequest, Notification, Referral

pytestmark = pytest.mark.django_db


def decide_url(request):
    return reverse("referrals:decide_extension", args=[request.referral_id, request.pk])


def post_decision(client, request, decision, note=""):
    request.referral.refresh_from_db()
    return client.post(
        decide_url(request),
        {"version": request.referral.version, "decision": decision, "note": note},
    )


@pytest.fixture
def pending(flow):
    referral = flow.referral(state=Referral.State.EXTENSION_REQUESTED)
    return referral.extension_requests.get()


def test_the_psw_and_smpe_see_pending_requests_with_the_reason(client, flow, smpe, pending):
    for user in (flow.psw, smpe):
        client.force_login(user)
        response = client.get(reverse("referrals:extension_requests"))
        assert response.status_code == 200
        assert pending.referral.reference in response.text
        assert pending.reason in response.text
        assert decide_url(pending) in response.text


def test_the_list_is_for_the_psw_and_smpe_only(client, flow, pending):
    for user in (flow.manager, flow.therapist.user, flow.coordinator):
        client.force_login(user)
        assert client.get(reverse("referrals:extension_requests")).status_code == 403


def test_the_list_costs_the_same_for_few_and_many_requests(
    client, flow, django_assert_max_num_queries
):
    flow.therapist.capacity = 20
    flow.therapist.save()
    client.force_login(flow.psw)
    flow.referral(state=Referral.State.EXTENSION_REQUESTED)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("referrals:extension_requests"))
    for _ in range(5):
        flow.referral(state=Referral.State.EXTENSION_REQUESTED)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("referrals:extension_requests"))

    assert response.text.count("Record the decision") == 6


def test_approving_lets_sessions_continue_and_tells_the_therapist(client, flow, pending):
    client.force_login(flow.psw)

    response = post_decision(client, pending, "approve")

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ExtensionRequest.Status.APPROVED
    assert pending.decided_by == flow.psw
    pending.referral.refresh_from_db()
    assert pending.referral.state == Referral.State.ACTIVE
    assert pending.referral.may_record_session()
    assert Notification.objects.filter(user=flow.therapist.user, referral=pending.referral).exists()


def test_refusing_needs_a_short_reason_for_the_therapist(client, flow, pending):
    client.force_login(flow.psw)

    response = post_decision(client, pending, "refuse")

    assert response.status_code == 200
    assert "Please give the therapist a short reason." in html.unescape(response.text)
    pending.refresh_from_db()
    assert pending.status == ExtensionRequest.Status.PENDING


def test_refusing_with_a_reason_is_recorded(client, flow, pending):
    client.force_login(flow.psw)

    response = post_decision(client, pending, "refuse", note="Please plan the ending")

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ExtensionRequest.Status.REFUSED
    assert pending.decision_note == "Please plan the ending"


def test_a_request_decided_by_someone_else_first_is_a_conflict(client, flow, smpe, pending):
    client.force_login(smpe)
    post_decision(client, pending, "approve")
    client.force_login(flow.psw)

    response = post_decision(client, pending, "refuse", note="no")

    assert response.status_code == 409
    assert "just decided or changed by someone else" in response.text
    pending.refresh_from_db()
    assert pending.status == ExtensionRequest.Status.APPROVED


def test_the_therapist_cannot_decide_their_own_request(client, flow, pending):
    client.force_login(flow.therapist.user)

    response = post_decision(client, pending, "approve")

    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == ExtensionRequest.Status.PENDING


def test_someone_who_cannot_see_the_referral_gets_not_found(client, outsider, pending):
    client.force_login(outsider)

    response = post_decision(client, pending, "approve")

    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == ExtensionRequest.Status.PENDING
