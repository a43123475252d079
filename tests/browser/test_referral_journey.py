"""One referral from the line manager's form to the first meeting, in a real browser:
Appendix 1 (with one mistake first), triage, allocation, the first meeting, and what
the line manager sees on "My referrals" along the way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.eligibility import add_months, incident_date_errors
from referrals.models import CriticalIncident, Referral, TherapySession, TransitionLog

PASSWORD = "a-long-test-passphrase"  # tests/factories.py UserFactory
TOO_LONG_AGO_MONTHS = 4
CATEGORY = CriticalIncident.Category.PRACTITIONER_HARMED
# Field labels from referrals/forms/intake.py; "Telephone" and "E-mail" appear twice (staff member
# and line manager), so those two are found by id.
TYPED = {
    "Name of staff member": "Robin Achebe",
    "#id_staff_phone": "07700 900123",
    "#id_staff_email": "robin.achebe@example.org",
    "Brief details of the critical event and staff members involvement": (
        "Robin was threatened by a parent during a home visit on the estate."
    ),
    "Who else may need support": "Two colleagues who were on the visit.",
}


def _fill(page, typed: dict[str, str]) -> None:
    for where, value in typed.items():
        field = page.locator(where) if where.startswith("#") else page.get_by_label(where)
        field.fill(value)


def _typed_is_kept(page, typed: dict[str, str]) -> None:
    for where, value in typed.items():
        field = page.locator(where) if where.startswith("#") else page.get_by_label(where)
        assert field.input_value() == value, where


def _my_referral_card(tab):
    tab.page.goto(reverse("referrals:mine"))
    card = tab.page.get_by_test_id("my-referral")
    card.get_by_text("What has happened so far").click()
    return card


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_referral_goes_from_the_form_to_the_first_meeting(
    live_server, open_tab, settings, manager, psw, coordinator, therapist, provider, team
):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    today = timezone.localdate()
    problems: list[str] = []

    # --- the line manager fills in Appendix 1, with an incident date too long ago -------
    lm = open_tab()
    problems += lm.sign_in(manager.username, PASSWORD)
    lm.page.get_by_role("navigation", name="Main").get_by_role("link", name="New referral").click()
    lm.page.wait_for_url(f"**{reverse('referrals:create')}")
    page = lm.page
    # The line manager's own details are filled in for them.
    assert page.get_by_label("Name of Line Manager").input_value() == manager.get_full_name()
    assert page.locator("#id_line_manager_phone").input_value() == manager.phone
    assert page.locator("#id_line_manager_email").input_value() == manager.email

    too_long_ago = add_months(today, -TOO_LONG_AGO_MONTHS)
    page.get_by_label("Date of the incident").fill(too_long_ago.isoformat())
    page.get_by_label("What kind of incident was it?").select_option(CATEGORY.value)
    page.get_by_label("Team or department").select_option(label=team.name)
    _fill(page, TYPED)
    page.get_by_label(Referral.TeamInput.YES.label, exact=True).check()
    discussed = today - timedelta(days=1)
    page.get_by_label("Date you discussed this referral with the staff member").fill(
        discussed.isoformat()
    )
    page.get_by_label("The staff member agrees to be referred").check()
    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Send referral").click()

    assert sent.value.status == 400
    kind_message = incident_date_errors(too_long_ago, today=today)["incident_date"]
    assert page.locator("#div_id_incident_date").get_by_text(kind_message).is_visible()
    assert page.get_by_test_id("alternatives").is_visible()
    assert page.get_by_text("Everything you typed is kept").is_visible()
    _typed_is_kept(page, TYPED)
    assert page.get_by_label("What kind of incident was it?").input_value() == CATEGORY.value
    assert page.get_by_label("Team or department").input_value() == str(team.pk)
    assert page.get_by_label(Referral.TeamInput.YES.label, exact=True).is_checked()
    assert page.get_by_label("The staff member agrees to be referred").is_checked()
    assert page.get_by_label(
        "Date you discussed this referral with the staff member"
    ).input_value() == (discussed.isoformat())
    assert not Referral.objects.exists()
    # The page comes back as 400 on purpose; Chromium notes any 4xx document in the
    # console. Anything else on the page still counts.
    expected = f"status of 400 (Bad Request) ({live_server.url}{reverse('referrals:create')})"
    problems += [problem for problem in lm.problems() if expected not in problem]

    # --- corrected, then sent with an impatient double click -----------------------------
    page.get_by_label("Date of the incident").fill((today - timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Send referral").dblclick()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    assert page.get_by_text("Thank you. Your referral has been sent").is_visible()
    referral = Referral.objects.get()
    assert referral.state == Referral.State.SUBMITTED
    assert referral.staff_name == "Robin Achebe"
    assert TransitionLog.objects.filter(referral=referral, event="submitted").count() == 1
    problems += lm.problems()

    # --- the PSW accepts it from the triage queue -----------------------------------------
    triage = open_tab()
    problems += triage.sign_in(psw.username, PASSWORD)
    assert triage.page.url.endswith(reverse("referrals:triage"))
    triage.page.get_by_test_id("triage-queue").get_by_role("link", name=referral.reference).click()
    triage.page.wait_for_url(f"**{reverse('referrals:triage_decide', args=[referral.pk])}")
    accept = triage.page.get_by_role("region", name="Accept and send to the provider")
    accept.get_by_label("Send to").select_option(label=provider.name)
    accept.get_by_role("button", name="Accept and send").click()
    triage.page.wait_for_url(f"**{reverse('referrals:triage')}")
    assert triage.page.get_by_text(f"Accepted and sent to {provider.name}").is_visible()
    assert triage.page.get_by_test_id("empty").is_visible()
    problems += triage.problems()

    # --- the coordinator allocates a therapist --------------------------------------------
    reed = open_tab()
    problems += reed.sign_in(coordinator.username, PASSWORD)
    row = reed.page.get_by_test_id("allocation-row").filter(has_text=referral.reference)
    row.get_by_role("link", name="Allocate").click()
    reed.page.wait_for_url(f"**{reverse('therapists:allocate', args=[referral.pk])}")
    reed.page.get_by_label("Therapist").select_option(str(therapist.pk))
    reed.page.get_by_role("button", name="Allocate").click()
    reed.page.wait_for_url(f"**{reverse('therapists:allocation_queue')}")
    assert reed.page.get_by_text(f"{referral.reference} is allocated to").is_visible()
    problems += reed.problems()

    card = _my_referral_card(lm)
    assert card.get_by_test_id("status").inner_text() == Referral.State.ALLOCATED.label
    assert card.get_by_test_id("timeline").get_by_text("Therapist allocated").is_visible()
    problems += lm.problems()

    # --- the therapist records the first meeting ------------------------------------------
    tess = open_tab()
    problems += tess.sign_in(therapist.user.username, PASSWORD)
    tess.page.get_by_test_id("my-cases").get_by_role("link", name=referral.reference).click()
    tess.page.wait_for_url(f"**{reverse('therapists:case', args=[referral.pk])}")
    first_meeting = tess.page.locator("#first-meeting")
    assert first_meeting.get_by_label("Date and time the first meeting was held").input_value()
    first_meeting.get_by_label(TherapySession.Mode.FACE_TO_FACE.label).check()
    first_meeting.get_by_role("button", name="Record the first meeting").click()
    tess.page.get_by_text("The first meeting is recorded. Thank you.").wait_for()
    assert tess.page.locator("#first-meeting").get_by_text("Held on").is_visible()
    problems += tess.problems()

    # --- the line manager sees where things are, in plain words ---------------------------
    card = _my_referral_card(lm)
    assert card.get_by_test_id("status").inner_text() == Referral.State.ACTIVE.label
    timeline = card.get_by_test_id("timeline")
    for words in (
        "Referral sent for triage",
        "Sent to the provider",
        "Therapist allocated",
        "First meeting held",
    ):
        assert timeline.get_by_text(words, exact=True).is_visible(), words
    problems += lm.problems()

    referral.refresh_from_db()
    assert referral.state == Referral.State.ACTIVE
    assert referral.therapist == therapist
    assert Referral.objects.count() == 1
    assert problems == []
