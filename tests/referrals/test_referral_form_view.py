"""Appendix 1 in the browser: draft, come back, send; validation keeps what was typed;
eligibility is explained kindly; a double post makes one referral."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from referrals import services
from referrals.eligibility import ALTERNATIVES
from referrals.forms import validate_uk_phone
from referrals.models import Notification, Referral

TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{32})"')
APPENDIX_ONE_LABELS = (
    "Name of staff member",
    "Contact details (telephone and e-mail)",
    "Name of Line Manager",
    "Brief details of the critical event and staff members involvement",
    "Is in-put to be considered for other members of the team / team as a whole?",
)


def appendix_one_post(team, **overrides) -> dict:
    """Appendix 1 as a line manager types it into the browser; eligible today."""
    today = timezone.localdate()
    data = {
        "staff_name": "Robin Testperson",
        "staff_phone": "07700 900123",
        "staff_email": "robin@example.org",
        "line_manager_name": "Amara Example",
        "line_manager_phone": "0116 496 0000",
        "line_manager_email": "amara@example.org",
        "event_details": "A young person died suddenly; Robin found them.",
        "team_input": "unsure",
        "team_input_details": "Two colleagues on the duty desk",
        "incident_date": (today - timedelta(days=7)).isoformat(),
        "category": "child_death_or_injury",
        "team": str(team.pk),
        "discussion_date": (today - timedelta(days=1)).isoformat(),
        "practitioner_agrees": "on",
        "action": "submit",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def token_from(response) -> str:
    match = TOKEN.search(response.content.decode())
    assert match, "the form carries a one-time token"
    return match.group(1)


def new_form(client, user):
    client.force_login(user)
    response = client.get(reverse("referrals:create"))
    assert response.status_code == 200
    return token_from(response)


# --- the form -------------------------------------------------------------------------


def test_form_uses_appendix_one_wording_and_guards_double_submit(client, manager):
    client.force_login(manager)
    response = client.get(reverse("referrals:create"))

    html = response.content.decode()
    assert response.status_code == 200
    for label in APPENDIX_ONE_LABELS:
        assert label in html
    assert "Date of the incident" in html
    assert "The staff member agrees to be referred" in html
    assert "data-once" in html
    assert "csrfmiddlewaretoken" in html
    # The line manager's own details are filled in for them.
    assert manager.email in html


@pytest.mark.parametrize("persona", ["psw", "coordinator", "service_lead", "outsider"])
def test_only_line_managers_may_refer(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("referrals:create")).status_code == 403
    assert client.post(reverse("referrals:create"), {}).status_code == 403
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    "number", ["0116 496 0000", "+44 (0)116 496 0000", "07700900123", "(01632) 960 001"]
)
def test_uk_phone_numbers_are_accepted(number):
    assert validate_uk_phone(number) is None


@pytest.mark.parametrize("number", ["0116-496-0000", "call me", "12345", "+44 7700 900 123 4567"])
def test_other_phone_numbers_are_refused(number):
    with pytest.raises(Exception, match=r"digits"):
        validate_uk_phone(number)


# --- draft, come back, send -----------------------------------------------------------


def test_save_as_draft_then_come_back_and_send(
    client, manager, psw, smpe, team, django_capture_on_commit_callbacks
):
    token = new_form(client, manager)
    response = client.post(
        reverse("referrals:create"),
        appendix_one_post(team, form_token=token, action="draft", practitioner_agrees=None),
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("referrals:detail", args=[referral.pk])
    assert referral.state == Referral.State.DRAFT
    assert referral.staff_name == "Robin Testperson"
    assert referral.team_input == "unsure"
    assert not referral.practitioner_agrees
    assert not mail.outbox

    edit = client.get(reverse("referrals:edit", args=[referral.pk]))
    assert edit.status_code == 200
    assert "Robin Testperson" in edit.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            reverse("referrals:edit", args=[referral.pk]),
            appendix_one_post(team, version=referral.version),
        )

    referral.refresh_from_db()
    assert sent.status_code == 302
    assert referral.state == Referral.State.SUBMITTED
    assert referral.practitioner_agrees
    assert {m.to[0] for m in mail.outbox} == {psw.email, smpe.email}
    assert Notification.objects.filter(user__in=[psw, smpe], referral=referral).count() == 2


def test_send_straight_away_notifies_psw_and_smpe_after_commit(
    client, manager, psw, smpe, team, django_capture_on_commit_callbacks
):
    token = new_form(client, manager)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("referrals:create"), appendix_one_post(team, form_token=token)
        )

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert referral.state == Referral.State.SUBMITTED
    assert referral.created_by == manager
    assert referral.incident.occurred_on == timezone.localdate() - timedelta(days=7)
    assert callbacks, "e-mail is handed over only after the transaction commits"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([psw.email, smpe.email])
    assert all(m.body and "Robin found them" not in m.body for m in mail.outbox), (
        "e-mails carry no event details"
    )
    follow = client.get(response.url)
    assert "Thank you" in follow.content.decode()


def test_a_double_post_of_the_new_form_makes_one_referral(client, manager, team):
    token = new_form(client, manager)
    data = appendix_one_post(team, form_token=token)

    first = client.post(reverse("referrals:create"), data)
    second = client.post(reverse("referrals:create"), data)

    referral = Referral.objects.get()
    assert first.url == second.url == reverse("referrals:detail", args=[referral.pk])
    assert AuditEvent.objects.filter(detail__startswith="created from form").count() == 1


def test_a_post_without_its_token_is_kept_and_not_saved(client, manager, team):
    client.force_login(manager)
    response = client.post(reverse("referrals:create"), appendix_one_post(team))

    assert response.status_code == 400
    assert not Referral.objects.exists()
    html = response.content.decode()
    assert "Robin Testperson" in html
    assert token_from(response)


# --- mistakes keep everything typed ---------------------------------------------------


def test_a_bad_phone_number_is_explained_and_everything_typed_is_kept(client, manager, team):
    token = new_form(client, manager)
    data = appendix_one_post(team, form_token=token, staff_phone="0116-496", staff_email="robin@")
    response = client.post(reverse("referrals:create"), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert not Referral.objects.exists()
    assert "Please use only digits, spaces, + and brackets" in html
    assert "Please enter an e-mail address in the form name@example.org." in html
    for typed in ("Robin Testperson", "0116-496", "robin@", "Robin found them", "Two colleagues"):
        assert typed in html
    assert f'value="{data["incident_date"]}"' in html
    assert f'value="{token}"' in html, "the same form keeps its one-time token"


def test_an_incident_more_than_three_months_ago_is_explained_kindly(client, manager, team):
    token = new_form(client, manager)
    long_ago = (timezone.localdate() - timedelta(days=120)).isoformat()
    response = client.post(
        reverse("referrals:create"),
        appendix_one_post(team, form_token=token, incident_date=long_ago),
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert not Referral.objects.exists(), "a refused send saves nothing behind the person's back"
    assert "first 3 months after an incident" in html
    assert ALTERNATIVES.replace("'", "&#x27;") in html
    assert 'data-testid="alternatives"' in html
    assert "wellbeing service" in html
    assert "Robin found them" in html


def test_a_future_incident_date_is_refused_next_to_the_field(client, manager, team):
    token = new_form(client, manager)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(
        reverse("referrals:create"),
        appendix_one_post(team, form_token=token, incident_date=tomorrow),
    )

    assert response.status_code == 400
    assert "in the future" in response.content.decode()
    assert "incident_date" in response.context["form"].errors


def test_sending_needs_the_staff_members_agreement(client, manager, team):
    token = new_form(client, manager)
    response = client.post(
        reverse("referrals:create"),
        appendix_one_post(team, form_token=token, practitioner_agrees=None),
    )

    assert response.status_code == 400
    assert "practitioner_agrees" in response.context["form"].errors
    assert not Referral.objects.exists()


# --- editing ----------------------------------------------------------------------------


def test_another_managers_draft_is_not_found(client, flow, other_manager, team):
    referral = flow.referral(state="draft")
    client.force_login(other_manager)

    assert client.get(reverse("referrals:edit", args=[referral.pk])).status_code == 404
    response = client.post(
        reverse("referrals:edit", args=[referral.pk]), appendix_one_post(team, version=0)
    )
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_id=str(referral.pk)).exists()


def test_triage_cannot_edit_the_managers_referral(client, flow, psw, team):
    referral = flow.referral(state="submitted")
    client.force_login(psw)

    response = client.post(
        reverse("referrals:edit", args=[referral.pk]),
        appendix_one_post(team, version=referral.version, staff_name="Changed"),
    )

    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.staff_name == "Robin Testperson"


def test_a_sent_referral_can_no_longer_be_changed(client, flow, manager):
    referral = flow.referral(state="submitted")
    client.force_login(manager)

    response = client.get(reverse("referrals:edit", args=[referral.pk]))

    assert response.status_code == 302
    assert response.url == reverse("referrals:detail", args=[referral.pk])


def test_the_manager_may_edit_while_more_information_is_asked_for(client, flow, manager, team):
    referral = flow.referral(state="more_info")
    client.force_login(manager)

    page = client.get(reverse("referrals:edit", args=[referral.pk]))
    response = client.post(
        reverse("referrals:edit", args=[referral.pk]),
        appendix_one_post(
            team, version=referral.version, action="save", staff_phone="0116 496 0999"
        ),
    )

    assert "Save changes" in page.content.decode()
    assert "Send referral" not in page.content.decode()
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.MORE_INFO
    assert referral.staff_phone == "0116 496 0999"


def test_a_stale_edit_is_a_conflict_that_keeps_what_was_typed(client, flow, manager, team):
    referral = flow.referral(state="more_info")
    client.force_login(manager)
    stale = referral.version
    # Meanwhile the same referral was changed from another tab.
    services.save_referral_draft(
        by=manager,
        data={"staff_phone": "0116 496 0111"},
        referral_id=referral.pk,
        expected_version=stale,
    )

    response = client.post(
        reverse("referrals:edit", args=[referral.pk]),
        appendix_one_post(team, version=stale, action="save", event_details="My careful rewrite"),
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "just updated by someone else" in html
    assert "My careful rewrite" in html
    referral.refresh_from_db()
    assert referral.event_details != "My careful rewrite"
    assert f'name="version" value="{referral.version}"' in html
