"""The staff member's own page: their referral's status in plain words, their copy of
the closure summary, and a way to stop support."""

import pytest
from django.urls import reverse

from referrals.models import ClosureSummary, Referral
from referrals.views.support import STATUS_FOR_STAFF

pytestmark = pytest.mark.django_db


def test_every_state_a_staff_member_can_see_has_a_kind_explanation():
    visible = set(Referral.State) - {Referral.State.DRAFT}
    assert visible <= set(STATUS_FOR_STAFF)


@pytest.mark.parametrize(
    "state",
    [Referral.State.SUBMITTED, Referral.State.ALLOCATED, Referral.State.ACTIVE],
)
def test_the_status_is_explained_in_plain_words(client, flow, staff_member, state):
    referral = flow.referral(state=state, staff_email=staff_member.email)
    client.force_login(staff_member)

    response = client.get(reverse("referrals:own"))

    assert response.status_code == 200
    assert referral.reference in response.text
    assert STATUS_FOR_STAFF[state] in response.text
    assert reverse("referrals:withdraw", args=[referral.pk]) in response.text


def test_only_their_own_referral_is_shown(client, flow, staff_member):
    theirs = flow.referral(state=Referral.State.SUBMITTED, staff_email=staff_member.email)
    someone_else = flow.referral(state=Referral.State.SUBMITTED, staff_email="x@example.org")
    client.force_login(staff_member)

    response = client.get(reverse("referrals:own"))

    assert theirs.reference in response.text
    assert someone_else.reference not in response.text


def test_the_copy_of_the_closure_summary_is_shown_once_sent(
    client, flow, staff_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = flow.referral(state=Referral.State.CLOSED, staff_email=staff_member.email)
    client.force_login(staff_member)

    response = client.get(reverse("referrals:own"))

    summary = ClosureSummary.objects.get(referral=referral)
    assert summary.text
    assert "Your copy of the summary" in response.text
    assert "Support came to a natural end." in response.text
    assert reverse("referrals:withdraw", args=[referral.pk]) not in response.text


def test_a_draft_summary_is_not_shown_before_it_is_sent(client, flow, staff_member):
    referral = flow.referral(state=Referral.State.ACTIVE, staff_email=staff_member.email)
    from referrals import services
    from referrals.models import ExitPathway

    services.save_closure_summary(
        referral_id=referral.pk,
        by=flow.therapist.user,
        exit_pathways=ExitPathway.objects.all()[:1],
        comments="DRAFT-WORDING-NOT-SENT",
    )
    client.force_login(staff_member)

    assert "DRAFT-WORDING-NOT-SENT" not in client.get(reverse("referrals:own")).text


def test_the_page_costs_the_same_for_one_or_several_referrals(
    client, flow, staff_member, django_assert_max_num_queries
):
    flow.referral(state=Referral.State.SUBMITTED, staff_email=staff_member.email)
    client.force_login(staff_member)
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("referrals:own"))
    for _ in range(4):
        flow.referral(state=Referral.State.SUBMITTED, staff_email=staff_member.email)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("referrals:own"))

    assert response.text.count('data-testid="status"') == 5
