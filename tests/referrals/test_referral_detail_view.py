"""The referral page every role shares, and the line manager's answer to triage."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import NoReverseMatch, reverse

from accounts.models import AuditEvent
from referrals import services
from referrals.models import InformationRequest, Referral


def detail(client, user, referral):
    client.force_login(user)
    return client.get(reverse("referrals:detail", args=[referral.pk]))


def test_manager_sees_status_fields_clocks_and_timeline(client, flow, manager):
    referral = flow.referral(state="submitted")

    response = detail(client, manager, referral)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Awaiting triage" in html
    assert "Test event details" in html
    assert "Brief details of the critical event and staff members involvement" in html
    assert "Triage decision" in html, "the triage clock is shown with its badge"
    assert "Referral sent for triage" in html
    assert not response.context["can_triage"]
    assert not response.context["can_allocate"]
    assert AuditEvent.objects.filter(
        user=manager, action="view", object_id=str(referral.pk)
    ).exists()


@pytest.mark.parametrize("persona", ["other_manager", "outsider", "service_lead", "staff_member"])
def test_someone_elses_referral_is_not_found(client, flow, request, persona):
    referral = flow.referral(state="submitted", staff_email="someone@example.org")
    user = request.getfixturevalue(persona)

    response = detail(client, user, referral)

    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        user=user, action="denied", object_id=str(referral.pk)
    ).exists()


@pytest.mark.parametrize("number", [0, 2**63, 10**30])
def test_a_number_no_referral_could_have_is_not_found(client, psw, number):
    """The id goes into a statement written once (``selectors.get_referral_for_user``):
    one past the column's range is not found, as the ORM would say, never a database
    error."""
    client.force_login(psw)

    response = client.get(f"/referrals/{number}/")

    assert response.status_code == 404
    assert AuditEvent.objects.filter(user=psw, action="denied", object_id=str(number)).exists()


def test_each_persons_roles_choose_what_they_may_open(client, flow, manager, psw, coordinator):
    """One statement per set of roles: the triage lead's read is not reused for the
    manager, nor the manager's for the coordinator, whoever asks first."""
    theirs = flow.referral(state="submitted")
    draft = flow.draft()

    assert detail(client, psw, theirs).status_code == 200
    assert detail(client, psw, draft).status_code == 404, "another's draft"
    assert detail(client, manager, draft).status_code == 200
    assert detail(client, coordinator, theirs).status_code == 404, "not yet sent to them"
    assert detail(client, manager, theirs).status_code == 200


def test_the_staff_member_sees_their_own_referral(client, flow, staff_member):
    referral = flow.referral(state="submitted", staff_email=staff_member.email)

    response = detail(client, staff_member, referral)

    assert response.status_code == 200
    assert "Awaiting triage" in response.content.decode()


def test_triage_gets_the_decision_button(client, flow, psw):
    referral = flow.referral(state="submitted")

    response = detail(client, psw, referral)

    assert response.context["can_triage"]
    assert reverse("referrals:triage_decide", args=[referral.pk]) in response.content.decode()


def test_coordinator_sees_only_what_a_therapist_needs_to_make_contact(
    client, flow, coordinator, other_coordinator
):
    referral = flow.referral(state="accepted")

    response = detail(client, coordinator, referral)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Robin Testperson" in html
    assert "07700 900123" in html
    assert "Test event details" not in html
    assert "Brief details of the critical event" not in html
    assert response.context["can_allocate"]
    assert reverse("therapists:allocate", args=[referral.pk]) in html
    assert detail(client, other_coordinator, referral).status_code == 404


def test_the_allocated_therapist_gets_their_case_workspace(
    client, flow, therapist, other_therapist
):
    referral = flow.referral(state="allocated")

    response = detail(client, therapist.user, referral)

    try:
        case_url = reverse("therapists:case", args=[referral.pk])
    except NoReverseMatch:
        case_url = None
    assert response.status_code == 200
    assert response.context["therapist_case_url"] == case_url
    if case_url:
        assert case_url in response.content.decode()
    assert detail(client, other_therapist.user, referral).status_code == 404


def test_session_detail_is_the_therapists_alone(client, flow, manager, therapist):
    referral = flow.referral(state="active")
    flow.session(referral, notes="PRIVATE: what we talked about")

    manager_page = detail(client, manager, referral).content.decode()
    therapist_page = detail(client, therapist.user, referral).content.decode()

    assert "PRIVATE" not in manager_page
    assert "Session held" not in manager_page
    assert "Sessions held so far: 2" in manager_page
    assert "Session held" in therapist_page
    assert "PRIVATE" not in therapist_page, "notes live in the case workspace, not here"


# --- a request for more information ------------------------------------------------------


def test_the_paused_triage_clock_and_the_question_are_shown(client, flow, manager):
    referral = flow.referral(state="more_info")

    response = detail(client, manager, referral)

    html = response.content.decode()
    assert "More information requested" in html
    assert "Who else?" in html
    assert "The triage clock is paused" in html
    assert "More information asked for (the triage clock is paused)" in html
    assert response.context["can_answer"]
    assert reverse("referrals:answer", args=[referral.pk]) in html


def test_manager_answers_and_the_referral_goes_back_for_triage(
    client, flow, manager, psw, django_capture_on_commit_callbacks
):
    referral = flow.referral(state="more_info")
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("referrals:answer", args=[referral.pk]),
            {"answer": "Two colleagues were also there.", "version": referral.version},
        )

    referral.refresh_from_db()
    assert response.status_code == 302
    assert referral.state == Referral.State.SUBMITTED
    assert InformationRequest.objects.get().answer == "Two colleagues were also there."
    assert psw.email in [m.to[0] for m in mail.outbox]
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Information given and sent back for triage (the triage clock restarts)" in page
    assert "Two colleagues were also there." in page


def test_an_empty_answer_is_explained(client, flow, manager):
    referral = flow.referral(state="more_info")
    client.force_login(manager)

    response = client.post(
        reverse("referrals:answer", args=[referral.pk]),
        {"answer": "  ", "version": referral.version},
    )

    assert response.status_code == 400
    assert "Please write an answer to the question." in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == Referral.State.MORE_INFO


def test_a_stale_answer_is_a_conflict_that_keeps_the_answer(client, flow, manager):
    referral = flow.referral(state="more_info")
    stale = referral.version
    services.save_referral_draft(
        by=manager, data={"staff_phone": "0116 496 0111"}, referral_id=referral.pk
    )
    client.force_login(manager)

    response = client.post(
        reverse("referrals:answer", args=[referral.pk]),
        {"answer": "My long careful answer", "version": stale},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "just updated by someone else" in html
    assert "My long careful answer" in html
    referral.refresh_from_db()
    assert referral.state == Referral.State.MORE_INFO


def test_triage_cannot_answer_its_own_question(client, flow, psw):
    referral = flow.referral(state="more_info")
    client.force_login(psw)

    response = client.post(
        reverse("referrals:answer", args=[referral.pk]),
        {"answer": "I will answer for them", "version": referral.version},
    )

    assert response.status_code == 403
    assert not InformationRequest.objects.exclude(answer="").exists()


def test_another_manager_cannot_answer(client, flow, other_manager):
    referral = flow.referral(state="more_info")
    client.force_login(other_manager)

    response = client.post(
        reverse("referrals:answer", args=[referral.pk]),
        {"answer": "Not mine", "version": referral.version},
    )

    assert response.status_code == 404
    assert not InformationRequest.objects.exclude(answer="").exists()
