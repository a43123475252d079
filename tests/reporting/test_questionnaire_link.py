"""Staff member: the evaluation questionnaire is linked from "My support" until it is
answered (offered through ``referrals.signals.own_support_links``)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from referrals import services
from referrals.models import Referral
from referrals.signals import own_support_links
from reporting.evaluation import evaluation_url, submit_evaluation

LABEL = "Tell us how the support went"


@pytest.fixture
def closed(flow, staff_member):
    referral = flow.referral(state=Referral.State.ACTIVE, staff_email=staff_member.email)
    flow.close(referral)
    services.send_closure_summary(referral.pk)
    return flow.refresh(referral)


def test_my_support_links_the_questionnaire_until_it_is_answered(client, staff_member, closed):
    client.force_login(staff_member)

    before = client.get(reverse("referrals:own")).content.decode()
    submit_evaluation(
        referral_id=closed.pk, by=staff_member, timely=4, helpful=5, would_recommend=True
    )
    after = client.get(reverse("referrals:own")).content.decode()

    assert LABEL in before and evaluation_url(closed) in before
    assert LABEL not in after and evaluation_url(closed) not in after


def test_the_link_is_not_offered_while_support_goes_on(client, flow, staff_member):
    flow.referral(state=Referral.State.ACTIVE, staff_email=staff_member.email)
    client.force_login(staff_member)

    page = client.get(reverse("referrals:own")).content.decode()

    assert LABEL not in page


def test_the_link_is_the_staff_members_alone(closed, manager, staff_member):
    for_manager = own_support_links.send(sender=Referral, referral=closed, user=manager)
    for_staff = own_support_links.send(sender=Referral, referral=closed, user=staff_member)

    assert [link for _, link in for_manager if link] == []
    assert [link for _, link in for_staff if link] == [
        (f"{LABEL} (a few short questions)", evaluation_url(closed))
    ]
