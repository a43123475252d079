"""The triage decision page shows the whole conversation: each question asked and the
manager's answer, with dates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from referrals import services
from referrals.models import Referral

LONDON = ZoneInfo("Europe/London")


def test_each_question_and_answer_is_shown_with_its_date(client, flow, psw, manager):
    with time_machine.travel(datetime(2026, 11, 2, 9, 30, tzinfo=LONDON), tick=False):
        referral = flow.referral(state=Referral.State.SUBMITTED)
        services.request_more_information(
            referral_id=referral.pk, by=psw, question="Who else was there?"
        )
    with time_machine.travel(datetime(2026, 11, 3, 14, 5, tzinfo=LONDON), tick=False):
        services.answer_information_request(
            referral_id=referral.pk, by=manager, answer="Two colleagues from the team."
        )
    with time_machine.travel(datetime(2026, 11, 4, 11, 0, tzinfo=LONDON), tick=False):
        services.request_more_information(
            referral_id=referral.pk, by=psw, question="Has there been a debrief?"
        )
        client.force_login(psw)
        response = client.get(reverse("referrals:triage_decide", args=[referral.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="conversation-item"') == 2
    first, second = page.split('data-testid="conversation-item"')[1:]
    assert "Who else was there?" in first
    assert "2 November 2026, 09:30" in first
    assert "Two colleagues from the team." in first
    assert "Answered by Amara" in first and "3 November 2026, 14:05" in first
    assert "Has there been a debrief?" in second
    assert "Waiting for an answer." in second


def test_with_no_questions_the_page_says_so(client, flow, psw):
    referral = flow.referral(state=Referral.State.SUBMITTED)
    client.force_login(psw)

    response = client.get(reverse("referrals:triage_decide", args=[referral.pk]))

    assert b"No questions have been asked about this referral." in response.content
