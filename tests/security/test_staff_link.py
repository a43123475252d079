"""Issue 14 point 1: a referral follows the staff member named on it at submission.

The attack: a manager saves a draft with colleague A's e-mail, corrects it to B's and
submits. A must not read, withdraw or be told the summary; B must."""

import pytest
from django.urls import reverse

from referrals import services
from referrals.models import Notification, OutboundEmail, Referral
from tests.factories import UserFactory, referral_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague_a(db):
    return UserFactory(username="colleague_a", email="a.colleague@example.org")


@pytest.fixture
def colleague_b(db):
    return UserFactory(username="colleague_b", email="b.colleague@example.org")


def _corrected_and_submitted(flow, colleague_a, colleague_b) -> Referral:
    draft = flow.draft(staff_email=colleague_a.email)
    assert draft.staff_user == colleague_a  # linked while the draft named A
    services.save_referral_draft(
        by=flow.manager,
        referral_id=draft.pk,
        data=referral_data(flow.team, staff_email=colleague_b.email),
    )
    services.submit_referral(referral_id=draft.pk, by=flow.manager)
    return flow.refresh(draft)


def test_correcting_the_e_mail_unlinks_the_first_colleague(flow, colleague_a, colleague_b):
    referral = _corrected_and_submitted(flow, colleague_a, colleague_b)

    assert referral.staff_user == colleague_b
    assert not Referral.objects.visible_to(colleague_a).filter(pk=referral.pk).exists()
    assert Referral.objects.visible_to(colleague_b).filter(pk=referral.pk).exists()


def test_the_wrong_colleague_cannot_read_or_withdraw_it(client, flow, colleague_a, colleague_b):
    referral = _corrected_and_submitted(flow, colleague_a, colleague_b)
    detail = reverse("referrals:detail", args=[referral.pk])
    withdraw = reverse("referrals:withdraw", args=[referral.pk])

    client.force_login(colleague_a)
    assert client.get(detail).status_code == 404
    assert client.post(withdraw, {"version": referral.version}).status_code == 404
    assert flow.refresh(referral).state == Referral.State.SUBMITTED

    client.force_login(colleague_b)
    assert client.get(detail).status_code == 200
    assert client.get(withdraw).status_code == 200


def test_only_the_right_colleague_gets_the_closure_summary(flow, colleague_a, colleague_b):
    referral = _corrected_and_submitted(flow, colleague_a, colleague_b)
    services.accept_referral(referral_id=referral.pk, by=flow.psw, provider=flow.provider)
    services.allocate_referral(
        referral_id=referral.pk, therapist=flow.therapist, by=flow.coordinator
    )
    flow.first_meeting(referral)
    flow.close(referral)
    services.send_closure_summary(referral.pk)

    summary_to = set(
        OutboundEmail.objects.filter(
            dedupe_key__startswith=f"summary:{referral.pk}:staff"
        ).values_list("to", flat=True)
    )
    assert summary_to == {colleague_b.email}
    assert not Notification.objects.filter(user=colleague_a).exists()
    assert Notification.objects.filter(user=colleague_b, referral=referral).exists()


def test_a_link_made_before_the_colleague_changed_their_address_is_rechecked_at_submission(
    flow, colleague_a
):
    draft = flow.draft(staff_email=colleague_a.email)
    colleague_a.email = "a.new.address@example.org"
    colleague_a.save()

    services.submit_referral(referral_id=draft.pk, by=flow.manager)

    assert flow.refresh(draft).staff_user is None


def test_an_address_shared_by_two_accounts_links_no_one(flow):
    UserFactory(username="twin1", email="shared@example.org")
    UserFactory(username="twin2", email="SHARED@example.org")

    referral = flow.referral(staff_email="shared@example.org")

    assert referral.staff_user is None
