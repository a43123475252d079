"""The evaluation questionnaire: only the staff member, only after closure, once."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from referrals import services
from referrals.models import Notification, OutboundEmail, Referral
from reporting.evaluation import invite_to_evaluation
from reporting.models import EvaluationResponse

ANSWERS = {"timely": "4", "helpful": "5", "would_recommend": "yes", "comment": "Kind and calm."}


@pytest.fixture
def closed(flow, staff_member):
    # The staff member's e-mail on the referral links it to their account.
    referral = flow.referral(state=Referral.State.CLOSED)
    assert referral.staff_user == staff_member
    return referral


def _url(referral):
    return reverse("reporting:evaluation", args=[referral.pk])


def test_the_staff_member_answers_once(client, staff_member, closed):
    client.force_login(staff_member)
    assert client.get(_url(closed)).status_code == 200

    response = client.post(_url(closed), ANSWERS, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Thank you for taking the time to answer." in page
    assert "already received your answers" in page
    answer = EvaluationResponse.objects.get(referral=closed)
    assert (answer.timely, answer.helpful, answer.would_recommend) == (4, 5, True)
    assert (answer.respondent, answer.comment) == (staff_member, "Kind and calm.")


def test_a_second_submission_is_thanked_and_not_stored(client, staff_member, closed):
    client.force_login(staff_member)
    client.post(_url(closed), ANSWERS)

    response = client.post(_url(closed), {**ANSWERS, "timely": "1"})

    assert response.status_code == 200
    assert "already received your answers" in response.content.decode()
    assert EvaluationResponse.objects.get(referral=closed).timely == 4


def test_a_missing_answer_is_explained_and_keeps_what_was_typed(client, staff_member, closed):
    client.force_login(staff_member)

    response = client.post(_url(closed), {**ANSWERS, "helpful": ""})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Please choose the answer closest to how it was for you." in page
    assert "Kind and calm." in page
    assert re.search(r'name="timely" value="4"[^>]*checked', page)
    assert re.search(r'name="would_recommend" value="yes"[^>]*checked', page)
    assert not EvaluationResponse.objects.exists()


def test_it_opens_only_once_support_has_ended(client, staff_member, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(staff_member)

    response = client.post(_url(referral), ANSWERS)

    assert response.status_code == 200
    assert "opens once your support has ended" in response.content.decode()
    assert not EvaluationResponse.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_manager_may_not_answer_or_read_it(client, manager, closed, method):
    client.force_login(manager)

    response = getattr(client, method)(_url(closed), ANSWERS)

    assert response.status_code == 403
    assert not EvaluationResponse.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "other_manager", "service_lead"])
def test_someone_elses_questionnaire_is_not_found(client, closed, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    response = client.post(_url(closed), ANSWERS)

    assert response.status_code == 404
    assert not EvaluationResponse.objects.exists()
    assert AuditEvent.objects.filter(
        user=user, action=AuditEvent.Action.DENIED, object_id=str(closed.pk)
    ).exists()


def test_posting_without_the_csrf_token_is_refused(staff_member, closed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_member)

    response = client.post(_url(closed), ANSWERS)

    assert response.status_code == 403
    assert not EvaluationResponse.objects.exists()


def test_the_form_posts_once_with_a_csrf_token(client, staff_member, closed):
    client.force_login(staff_member)

    page = client.get(_url(closed)).content.decode()

    assert "csrfmiddlewaretoken" in page
    assert "data-once" in page


def test_closure_invites_the_staff_member_once(staff_member, closed):
    services.send_closure_summary(closed.pk)
    services.send_closure_summary(closed.pk)  # the task may run twice

    notices = Notification.objects.filter(user=staff_member, url=_url(closed))
    assert notices.count() == 1
    email = OutboundEmail.objects.get(to=staff_member.email, subject__startswith="A few questions")
    assert _url(closed) in email.body_text
    assert "never shown to your manager" in email.body_text


def test_no_invitation_before_closure_or_after_an_answer(client, staff_member, flow, closed):
    active = flow.referral(state=Referral.State.ACTIVE)
    invite_to_evaluation(active)
    client.force_login(staff_member)
    client.post(_url(closed), ANSWERS)
    invite_to_evaluation(closed)

    assert not Notification.objects.filter(user=staff_member, url__contains="evaluation").exists()
