"""The coordinator's pool pages and the therapist's session booking in a real browser
(issue 13): the pool list, a therapist's page with capacity and leave (a mistake first),
a therapist with no places left who cannot be chosen, the leave notice on their open
case with a reallocation, and booking a session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import OutboundEmail, PlannedSession
from therapists.models import TherapistLeave

PASSWORD = "a-long-test-passphrase"  # tests/factories.py UserFactory


def _expected_400(tab, live_server, path: str) -> list[str]:
    """A form shown again with its messages comes back as 400; Chromium notes that."""
    expected = f"status of 400 (Bad Request) ({live_server.url}{path})"
    return [problem for problem in tab.problems() if expected not in problem]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_coordinator_manages_capacity_and_leave(
    live_server, open_tab, settings, flow, coordinator, therapist, other_therapist
):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    settings.CIRS_LEAVE_NOTICE_DAYS = 14
    referral = flow.referral(state="active")
    waiting = flow.referral(state="accepted")
    today = timezone.localdate()
    problems: list[str] = []

    tab = open_tab()
    problems += tab.sign_in(coordinator.username, PASSWORD)
    page = tab.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Therapists").click()
    page.wait_for_url(f"**{reverse('therapists:pool')}")
    assert page.get_by_test_id("pool-row").count() == 2
    problems += tab.problems()

    page.get_by_test_id("pool").get_by_role("link", name=str(therapist)).click()
    edit = reverse("therapists:therapist_edit", args=[therapist.pk])
    page.wait_for_url(f"**{edit}")
    assert page.get_by_test_id("caseload").get_by_text(referral.reference).is_visible()
    page.get_by_label("Capacity").fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**{edit}")
    assert page.get_by_text("are saved").is_visible()
    therapist.refresh_from_db()
    assert therapist.capacity == 1
    # She holds one case, as many as her capacity: no places left.
    assert "no places left" in page.get_by_test_id("places").inner_text()
    problems += tab.problems()

    page.goto(reverse("therapists:pool"))
    row = page.get_by_test_id("pool-row").filter(has_text=str(therapist))
    assert "No places left (capacity 1)" in row.inner_text()
    page.goto(reverse("therapists:allocate", args=[waiting.pk]))
    tess = page.locator(f'#id_therapist option[value="{therapist.pk}"]')
    assert tess.is_disabled()
    assert "no places left" in tess.inner_text()
    assert page.locator(f'#id_therapist option[value="{other_therapist.pk}"]').is_enabled()
    problems += tab.problems()
    page.goto(edit)

    # Leave typed the wrong way round: the message sits next to the last day.
    first, last = today + timedelta(days=5), today + timedelta(days=9)
    page.get_by_label("First day of leave").fill(last.isoformat())
    page.get_by_label("Last day of leave").fill(first.isoformat())
    page.get_by_label("Note (optional)").fill("annual leave")
    page.get_by_role("button", name="Add leave").click()
    page.wait_for_load_state("load")
    assert page.locator("#div_id_leave_ends_on").get_by_text("before the first day").is_visible()
    assert page.get_by_label("Note (optional)").input_value() == "annual leave"
    assert not TherapistLeave.objects.exists()
    problems += _expected_400(
        tab, live_server, reverse("therapists:leave_add", args=[therapist.pk])
    )

    page.get_by_label("First day of leave").fill(first.isoformat())
    page.get_by_label("Last day of leave").fill(last.isoformat())
    page.get_by_role("button", name="Add leave").click()
    page.wait_for_url(f"**{edit}#leave")
    assert page.get_by_test_id("leave-row").count() == 1
    notice = page.get_by_test_id("leave-notice")
    assert f"On leave from {first:%-d %b %Y} to {last:%-d %b %Y}" in notice.inner_text()
    problems += tab.problems()

    # The open case offers a reallocation with the reason written in.
    page.get_by_test_id("case-row").get_by_role("link", name="Reallocate").click()
    page.wait_for_url("**because=leave")
    assert "on leave from" in page.get_by_label("Reason for reallocating").input_value()
    page.locator("#id_therapist").select_option(str(other_therapist.pk))
    page.get_by_role("button", name="Reallocate").click()
    page.wait_for_url(f"**{reverse('therapists:allocation_queue')}")
    referral.refresh_from_db()
    assert referral.therapist == other_therapist
    assert "on leave from" in referral.transitions.get(event="reallocated").note
    problems += tab.problems()

    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_therapist_books_a_session(live_server, open_tab, settings, flow):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    referral = flow.referral(state="active")
    when = (timezone.localtime() + timedelta(days=2)).replace(hour=10, minute=0)
    problems: list[str] = []

    tab = open_tab()
    problems += tab.sign_in(flow.therapist.user.username, PASSWORD)
    page = tab.page
    case = reverse("therapists:case", args=[referral.pk])
    page.goto(case)
    section = page.locator("#planned-sessions")
    assert section.get_by_label("Length in minutes").input_value() == "60"
    section.get_by_label("Date and start time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    section.get_by_label("Face to face", exact=True).check()
    section.get_by_role("button", name="Book the session").click()
    page.wait_for_load_state("load")
    # No place given: the message is next to the field, the time is kept.
    section = page.locator("#planned-sessions")
    assert section.get_by_text("Please say where you will meet.", exact=True).is_visible()
    assert section.get_by_label("Date and start time").input_value() == when.strftime(
        "%Y-%m-%dT%H:%M"
    )
    assert not PlannedSession.objects.exists()
    problems += tab.problems()

    section.get_by_label("Where you will meet (face to face)").fill("Room 2, Civic Centre")
    section.get_by_role("button", name="Book the session").click()
    page.wait_for_url(f"**{case}#planned-sessions")
    assert page.get_by_text("The session is booked").is_visible()
    row = page.get_by_test_id("planned-row")
    assert "Room 2, Civic Centre" in row.inner_text()
    planned = PlannedSession.objects.get()
    invites = OutboundEmail.objects.filter(dedupe_key__startswith=f"planned:{planned.pk}:")
    assert {e.to for e in invites} == {referral.staff_email, flow.therapist.user.email}
    problems += tab.problems()

    # Cancel it from the row.
    row.get_by_text("Record how it went, or cancel it").click()
    row.get_by_label("Cancelled").check()
    row.get_by_label("If it did not take place, a short reason").fill("Rearranged")
    row.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**{case}#planned-sessions")
    planned.refresh_from_db()
    assert planned.status == PlannedSession.Status.CANCELLED
    assert invites.filter(attachment_type="text/calendar; method=CANCEL").count() == 2
    problems += tab.problems()

    assert problems == []
