"""'My referrals': status in plain words and a timeline, never session detail."""

from __future__ import annotations

from django.urls import reverse

from referrals import services
from referrals.models import Referral
from tests.factories import referral_data


def test_manager_sees_only_their_referrals_with_status_and_timeline(
    client, flow, manager, other_manager
):
    active = flow.referral(state="active")
    flow.session(active, notes="SESSION NOTE: talked about sleep")
    draft = flow.referral(state="draft", staff_name="Sam Draftperson")
    theirs = services.save_referral_draft(
        by=other_manager, data=referral_data(flow.team, staff_name="Not Yours")
    )
    services.submit_referral(referral_id=theirs.pk, by=other_manager)
    client.force_login(manager)

    response = client.get(reverse("referrals:mine"))

    html = response.content.decode()
    assert response.status_code == 200
    shown = {item["referral"].pk for item in response.context["items"]}
    assert shown == {active.pk, draft.pk}
    assert theirs.pk not in shown
    assert "Not Yours" not in html
    assert "In support" in html
    assert "Draft" in html
    for words in ("Referral sent for triage", "Sent to the provider", "Therapist allocated"):
        assert words in html
    assert "SESSION NOTE" not in html
    assert "Session held" not in html
    assert "Carry on with this draft" in html


def test_the_timeline_keeps_first_meeting_for_the_therapist_only(client, flow, manager):
    active = flow.referral(state="active")
    client.force_login(manager)

    response = client.get(reverse("referrals:mine"))

    item = next(i for i in response.context["items"] if i["referral"].pk == active.pk)
    words = [entry.words for entry in item["timeline"]]
    assert words[:2] == ["Referral started and saved as a draft", "Referral sent for triage"]
    assert "Therapist allocated" in words
    assert "First meeting held" in words, "the first meeting is a milestone, not session detail"


def test_an_outsider_has_no_referrals(client, flow, outsider):
    flow.referral(state="submitted")
    client.force_login(outsider)

    response = client.get(reverse("referrals:mine"))

    assert response.status_code == 200
    assert response.context["items"] == []
    assert "You have not made any referrals yet." in response.content.decode()


def test_my_referrals_uses_a_constant_number_of_queries(
    client, flow, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    flow.therapist.capacity = 20  # room for every case allocated below
    flow.therapist.save()
    for _ in range(3):
        flow.referral(state="allocated")
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("referrals:mine"))
    for _ in range(12):
        flow.referral(state="allocated")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("referrals:mine"))

    assert len(response.context["items"]) == Referral.objects.filter(created_by=manager).count()
