"""Withdrawal (docs/service.md step 12): "the staff member may decline or stop support at any
point" — a kind confirmation page, then the case closes kindly."""

import pytest
from django.urls import reverse

from referrals.models import Referral

pytestmark = pytest.mark.django_db


def url(referral):
    return reverse("referrals:withdraw", args=[referral.pk])


@pytest.fixture
def case(flow, staff_member):
    return flow.referral(state=Referral.State.ACTIVE, staff_email=staff_member.email)


def test_the_staff_member_sees_a_kind_confirmation_page(client, staff_member, case):
    client.force_login(staff_member)

    response = client.get(url(case))

    assert response.status_code == 200
    assert "completely fine" in response.text
    assert "Yes, stop my support" in response.text
    case.refresh_from_db()
    assert case.state == Referral.State.ACTIVE


def test_the_staff_member_withdraws_and_is_thanked(client, staff_member, case):
    client.force_login(staff_member)

    response = client.post(url(case), {"version": case.version, "reason": ""}, follow=True)

    case.refresh_from_db()
    assert case.state == Referral.State.WITHDRAWN
    assert case.withdrawn_at is not None
    assert case.transitions.filter(event="withdrawn", by=staff_member).exists()
    assert response.redirect_chain[-1][0] == reverse("referrals:own")
    assert "Thank you for letting us know" in response.text


@pytest.mark.parametrize("who", ["manager", "therapist", "psw"])
def test_the_manager_therapist_or_psw_can_record_it_for_them(client, flow, case, who):
    user = {"manager": flow.manager, "therapist": flow.therapist.user, "psw": flow.psw}[who]
    client.force_login(user)

    response = client.post(url(case), {"version": case.version, "reason": "Said on the phone"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Referral.State.WITHDRAWN
    assert case.withdrawal_reason == "Said on the phone"


def test_a_role_that_sees_the_referral_but_may_not_withdraw_gets_403(client, flow, case):
    client.force_login(flow.coordinator)

    assert client.get(url(case)).status_code == 403
    assert client.post(url(case), {"version": case.version}).status_code == 403
    case.refresh_from_db()
    assert case.state == Referral.State.ACTIVE


def test_someone_else_gets_not_found(client, other_manager, other_therapist, case):
    for user in (other_manager, other_therapist.user):
        client.force_login(user)
        assert client.post(url(case), {"version": case.version}).status_code == 404
    case.refresh_from_db()
    assert case.state == Referral.State.ACTIVE


def test_a_stale_confirmation_is_a_conflict_and_keeps_the_words(client, flow, staff_member, case):
    stale = case.version
    flow.session(case)
    client.force_login(staff_member)

    response = client.post(url(case), {"version": stale, "reason": "I feel better now"})

    assert response.status_code == 409
    assert "just updated by someone else" in response.text
    assert "I feel better now" in response.text
    case.refresh_from_db()
    assert case.state == Referral.State.ACTIVE


def test_an_ended_case_says_so_kindly(client, flow, staff_member):
    withdrawn = flow.referral(state=Referral.State.WITHDRAWN, staff_email=staff_member.email)
    client.force_login(staff_member)

    page = client.get(url(withdrawn))
    again = client.post(url(withdrawn), {"version": withdrawn.version})

    assert page.status_code == 200
    assert "Support has already ended" in page.text
    assert again.status_code == 409


def test_before_support_starts_it_reads_as_withdrawing_the_referral(client, flow):
    """ "Stop support" reads oddly on a referral still awaiting triage."""
    referral = flow.referral(state=Referral.State.SUBMITTED)
    client.force_login(flow.psw)

    page = client.get(url(referral)).text
    detail = client.get(reverse("referrals:detail", args=[referral.pk])).text

    assert "Yes, withdraw this referral" in page
    assert "stop support" not in page.lower().replace("decline or stop support", "")
    assert "Withdraw this referral" in detail
    assert "Stop support" not in detail
    response = client.post(url(referral), {"version": referral.version, "reason": ""}, follow=True)
    assert "The referral has been withdrawn, as asked." in response.text


def test_once_support_has_started_it_reads_as_stopping_support(client, flow, case):
    client.force_login(flow.manager)

    detail = client.get(reverse("referrals:detail", args=[case.pk])).text

    assert "Stop support" in detail
    assert "Withdraw this referral" not in detail
    assert "Yes, stop support" in client.get(url(case)).text
