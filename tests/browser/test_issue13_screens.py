"""The new screens of issue 13, in Chromium as the role that owns each: the PSW's list
of undelivered e-mails with "try again", the line manager's closed referral with its
summary, and the live character counter on a form. No CSP violation or script error
on any of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.forms.common import LONG_TEXT_MAX
from referrals.models import OutboundEmail, Referral

PASSWORD = "a-long-test-passphrase"  # tests/factories.py UserFactory
COMMENTS = "Engaged well with the sessions and feels ready to end support."
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_psw_tries_an_undelivered_e_mail_again(live_server, open_tab, settings, psw):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    stuck = OutboundEmail.objects.create(
        dedupe_key="browser:stuck",
        to="nobody@example.net",
        subject="Referral CIRS-00042 is waiting for a triage decision",
        body_text="-",
        status=OutboundEmail.Status.FAILED,
        attempts=5,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        created_at=timezone.now() - timedelta(hours=3),
    )
    tab = open_tab()
    page = tab.page
    problems = tab.sign_in(psw.username, PASSWORD)

    page.get_by_role("link", name="Undelivered e-mails").click()
    page.wait_for_url(f"**{reverse('referrals:undelivered_emails')}")
    row = page.get_by_test_id("undelivered-row")
    assert row.count() == 1
    assert "CIRS-00042" in row.inner_text()
    assert "could not reach the mail server" in row.inner_text()
    assert "No CIRS account" in row.inner_text()
    problems += tab.problems()

    with page.expect_navigation():
        row.get_by_role("button", name="Try again").click()

    assert "will be sent again now" in page.content()
    assert page.get_by_test_id("undelivered-row").count() == 0
    stuck.refresh_from_db()
    assert stuck.status != OutboundEmail.Status.FAILED
    assert stuck.attempts <= 1  # a fresh set of attempts
    problems += tab.problems()
    assert problems == []


def test_the_manager_reads_the_summary_of_a_closed_referral(
    live_server, open_tab, settings, flow, manager
):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    referral = flow.referral(state=Referral.State.ACTIVE)
    flow.close(referral, comments=COMMENTS)
    services.send_closure_summary(referral.pk)
    tab = open_tab()
    page = tab.page
    problems = tab.sign_in(manager.username, PASSWORD)

    page.goto(reverse("referrals:mine"))
    page.get_by_role("link", name="Read the therapist's summary").click()
    page.wait_for_url(f"**{reverse('referrals:detail', args=[referral.pk])}*")

    ended = page.get_by_test_id("support-ended").first
    assert "Support has ended" in ended.inner_text()
    assert COMMENTS in page.get_by_test_id("summary-text").inner_text()
    problems += tab.problems()
    assert problems == []


def test_the_counter_counts_and_warns_kindly(live_server, open_tab, settings, manager, team):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    tab = open_tab()
    page = tab.page
    problems = tab.sign_in(manager.username, PASSWORD)
    page.goto(reverse("referrals:create"))
    details = page.get_by_label("Brief details of the critical event")
    counter = page.locator("#id_event_details_counter")

    details.fill("Hello")
    assert counter.inner_text() == f"5 of {LONG_TEXT_MAX:,} characters"
    details.fill("x" * (LONG_TEXT_MAX + 12))

    assert "12 characters over the limit" in counter.inner_text()
    assert "everything you typed is kept" in counter.inner_text()
    # Nothing was cut off: the browser keeps the whole text for the server to explain.
    assert len(details.input_value()) == LONG_TEXT_MAX + 12
    assert details.get_attribute("aria-describedby").endswith("id_event_details_counter")
    problems += tab.problems()
    assert problems == []
