"""The group referral in the browser (docs/service.md step 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from referrals.models import GroupReferral, Notification, Referral
from tests.referrals.test_referral_form_view import token_from


def group_post(team, **overrides) -> dict:
    data = {
        "referrer_role": "service_manager",
        "number_of_staff": "7",
        "incident_date": (timezone.localdate() - timedelta(days=3)).isoformat(),
        "category": "child_death_or_injury",
        "team": str(team.pk),
        "event_details": "The whole duty team supported the family that night.",
        "group_consulted": "on",
        "group_wishes_to_take_part": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def open_form(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("referrals:create_group"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "I have discussed this with the staff concerned" in html
    assert "Number of staff in the group" in html
    assert "data-once" in html
    return token_from(response)


@pytest.mark.parametrize("persona", ["manager", "service_lead"])
def test_line_managers_and_heads_of_service_refer_a_group(
    client, request, persona, psw, smpe, team, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(persona)
    token = open_form(client, user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("referrals:create_group"), group_post(team, form_token=token)
        )

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("referrals:detail", args=[referral.pk])
    assert referral.is_group
    assert referral.state == Referral.State.SUBMITTED
    assert referral.created_by == user
    group = GroupReferral.objects.get(referral=referral)
    assert group.number_of_staff == 7
    assert group.group_consulted and group.group_wishes_to_take_part
    assert sorted(m.to[0] for m in mail.outbox) == sorted([psw.email, smpe.email])
    assert Notification.objects.filter(referral=referral).count() == 2


@pytest.mark.parametrize("persona", ["coordinator", "therapist", "outsider", "staff_member"])
def test_other_roles_cannot_refer_a_group(client, request, persona, team):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))

    assert client.get(reverse("referrals:create_group")).status_code == 403
    assert client.post(reverse("referrals:create_group"), group_post(team)).status_code == 403
    assert not Referral.objects.exists()


def test_the_group_must_have_been_consulted(client, manager, team):
    token = open_form(client, manager)

    response = client.post(
        reverse("referrals:create_group"),
        group_post(team, form_token=token, group_wishes_to_take_part=None),
    )

    assert response.status_code == 400
    assert "group_consulted" in response.context["form"].errors
    assert "Please talk with the staff concerned first" in response.content.decode()
    assert "The whole duty team" in response.content.decode()
    assert not Referral.objects.exists()


def test_an_ineligible_incident_date_is_explained_with_alternatives(client, manager, team):
    token = open_form(client, manager)
    long_ago = (timezone.localdate() - timedelta(days=150)).isoformat()

    response = client.post(
        reverse("referrals:create_group"),
        group_post(team, form_token=token, incident_date=long_ago),
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "incident_date" in response.context["form"].errors
    assert 'data-testid="alternatives"' in html
    assert not Referral.objects.exists()


def test_a_double_post_makes_one_group_referral(client, manager, team):
    token = open_form(client, manager)
    data = group_post(team, form_token=token)

    first = client.post(reverse("referrals:create_group"), data)
    second = client.post(reverse("referrals:create_group"), data)

    assert Referral.objects.count() == 1
    assert first.url == second.url
