"""Line manager: a closed referral's page shows the frozen anonymised summary and the
notice that support has ended; "My referrals" and the notification lead there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from referrals import services
from referrals.models import Referral

COMMENTS = "Engaged well with the sessions and feels ready to end support."


@pytest.fixture
def closed(flow, staff_member):
    referral = flow.referral(state=Referral.State.ACTIVE, staff_email=staff_member.email)
    flow.close(referral, comments=COMMENTS)
    services.send_closure_summary(referral.pk)
    return flow.refresh(referral)


def test_the_manager_sees_the_summary_and_that_support_has_ended(client, manager, closed):
    client.force_login(manager)

    response = client.get(reverse("referrals:detail", args=[closed.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Support has ended" in page
    assert response.context["summary_text"] == closed.closure_summary.text
    assert COMMENTS in page
    assert "Next steps, in general terms" in page


def test_the_summary_shown_is_the_frozen_text_not_a_new_one(client, manager, closed):
    frozen = closed.closure_summary.text
    closed.closure_summary.comments = "Changed afterwards: must never be shown."
    closed.closure_summary.save()
    client.force_login(manager)

    page = client.get(reverse("referrals:detail", args=[closed.pk])).content.decode()

    assert "Changed afterwards" not in page
    assert COMMENTS in frozen and COMMENTS in page


def test_before_the_summary_goes_out_the_page_says_it_is_on_its_way(client, flow, manager):
    referral = flow.referral(state=Referral.State.ACTIVE)
    flow.close(referral, comments=COMMENTS)  # the sending task has not run yet
    client.force_login(manager)

    response = client.get(reverse("referrals:detail", args=[referral.pk]))

    assert response.context["summary_text"] == ""
    assert b"on its way" in response.content
    assert COMMENTS.encode() not in response.content


def test_the_coordinator_sees_that_support_ended_but_not_the_summary(client, coordinator, closed):
    client.force_login(coordinator)

    response = client.get(reverse("referrals:detail", args=[closed.pk]))

    assert response.status_code == 200
    assert b"Support has ended" in response.content
    assert COMMENTS.encode() not in response.content


def test_an_open_referral_shows_no_ended_notice(client, flow, manager):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(manager)

    response = client.get(reverse("referrals:detail", args=[referral.pk]))

    assert b"Support has ended" not in response.content


def test_my_referrals_links_a_closed_referral_to_its_summary(client, manager, closed):
    client.force_login(manager)

    page = client.get(reverse("referrals:mine")).content.decode()

    assert "Read the therapist&#x27;s summary" in page or "Read the therapist's summary" in page
    assert reverse("referrals:detail", args=[closed.pk]) + "#ended-heading" in page


def test_the_notification_opens_the_page_with_the_summary(client, manager, closed):
    notice = manager.notifications.get(referral=closed, subject__icontains="has ended")
    client.force_login(manager)

    response = client.post(reverse("referrals:notification_read", args=[notice.pk]), follow=True)

    assert response.status_code == 200
    assert COMMENTS.encode() in response.content
