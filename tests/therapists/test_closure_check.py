"""Issue 14 point 4 and issue 13's name check: anything personal in the closure summary
blocks it until changed, with a kind message next to the field saying what to change."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from referrals import services
from referrals.models import ClosureSummary, ExitPathway, Referral
from referrals.services.core import RuleRefused
from referrals.summaries import personal_detail_problems

pytestmark = pytest.mark.django_db

GENERAL = "Support came to a natural end and the ending was planned together."


@pytest.fixture
def case(flow):
    referral = flow.referral(
        state=Referral.State.ACTIVE,
        staff_name="Jo Marsh-Pell",
        staff_phone="07700 900123",
        event_details="The family became angry at the door and shouted at the worker for minutes",
    )
    flow.session(referral, notes="Talked through sleep and the walk home after work")
    return flow.refresh(referral)


def problems(referral, text):
    return personal_detail_problems(referral, text)


def test_general_comments_pass(case):
    assert problems(case, GENERAL) == []


@pytest.mark.parametrize(
    "text",
    ["Jo engaged well.", "JO engaged well.", "jo engaged well.", "Marsh-Pell engaged well."],
)
def test_any_part_of_the_staff_member_s_name_in_any_case(case, text):
    assert any("part of the name of the staff member" in p for p in problems(case, text))


def test_a_name_inside_another_word_is_not_flagged(case):
    assert problems(case, "Jolly good progress; she enjoyed the journey.") == []


def test_the_manager_s_and_therapist_s_names_and_the_team(case, flow):
    manager_first = flow.manager.first_name
    therapist_first = flow.therapist.user.first_name
    team = flow.team.name

    found = problems(case, f"{manager_first} and {therapist_first} met; {team.upper()} helped.")

    assert any("name of the line manager" in p for p in found)
    assert any("name of the therapist" in p for p in found)
    assert any("name the team" in p for p in found)


@pytest.mark.parametrize(
    "number",
    [
        "+44 7700 900123",
        "+447700900123",
        "07700 900123",
        "07700-900-123",
        "(07700) 900123",
        "+44 (0)7700 900 123",
        "0116 496 0999",  # not stored: any phone-shaped text is flagged
    ],
)
def test_telephone_numbers_in_any_format(case, number):
    assert "The comments contain a telephone number. Please take it out." in problems(
        case, f"Ring {number} if needed."
    )


@pytest.mark.parametrize("address", ["jo@example.org", "Someone.Else@Council.GOV.uk"])
def test_anything_shaped_like_an_e_mail_address(case, address):
    assert "The comments contain an e-mail address. Please take it out." in problems(
        case, f"Write to {address} later."
    )


def test_dates_and_counts_are_not_telephone_numbers(case):
    assert problems(case, "Six sessions from 3 May 2025 to 14.06.2025, 50 minutes each.") == []


@pytest.mark.parametrize(
    "copied",
    [
        "She said the family became angry at the door again.",  # event details
        "We talked through sleep and the walk home often.",  # session notes
    ],
)
def test_six_words_in_a_row_copied_from_the_event_or_notes(case, copied):
    assert any(
        "copied from the event details or the session notes" in p for p in problems(case, copied)
    )


def test_five_words_in_common_are_not_a_copy(case):
    assert problems(case, "The family became angry at times, which is common.") == []


def test_a_flagged_summary_is_not_saved_and_the_message_sits_next_to_the_field(client, case, flow):
    client.force_login(flow.therapist.user)
    typed = "Jo engaged well; call +44 7700 900123."

    response = client.post(
        reverse("therapists:closure", args=[case.pk]),
        {
            "version": case.version,
            "comments": typed,
            "exit_pathways": [ExitPathway.objects.get(code="no_further_support").pk],
        },
    )

    page = html.unescape(response.text)
    assert response.status_code == 200
    assert typed in page
    # next to the comments field: crispy puts the field's errors in its invalid-feedback
    assert 'id="error_1_id_closure-comments"' in response.text or "invalid-feedback" in page
    assert "Please write \u201cthe staff member\u201d instead, or leave it out." in page
    assert not ClosureSummary.objects.filter(referral=case).exists()


def test_a_flagged_summary_saved_earlier_cannot_be_sent(case, flow):
    """A summary written before the check existed is refused at sending too."""
    services.save_closure_summary(
        referral_id=case.pk,
        by=flow.therapist.user,
        exit_pathways=ExitPathway.objects.filter(code="no_further_support"),
        comments=GENERAL,
    )
    ClosureSummary.objects.filter(referral=case).update(comments="Jo did well.")

    with pytest.raises(RuleRefused, match="still holds something personal"):
        services.close_referral(referral_id=case.pk, by=flow.therapist.user)
    assert flow.refresh(case).state == Referral.State.ACTIVE


def test_the_preview_of_a_flagged_summary_offers_no_send_button(client, case, flow):
    services.save_closure_summary(
        referral_id=case.pk,
        by=flow.therapist.user,
        exit_pathways=ExitPathway.objects.filter(code="no_further_support"),
        comments=GENERAL,
    )
    ClosureSummary.objects.filter(referral=case).update(comments="Jo did well.")
    client.force_login(flow.therapist.user)

    page = client.get(reverse("therapists:closure_preview", args=[case.pk])).text

    assert "Please change the summary before it is sent." in page
    assert "Send the summary and end support" not in page
