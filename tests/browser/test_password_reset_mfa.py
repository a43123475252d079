"""docs/security-checklist.md row 7: resetting a password through the e-mailed link does not
get past the second step — the first page after signing in still asks for the code."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp

from tests.config.conftest import add_totp_device
from tests.factories import UserFactory

# Chromium comes from the shared ``browser_page`` fixture in tests/browser/conftest.py.
NEW_PASSWORD = "lanterns over the harbour at midnight"


def _code_now(device) -> str:
    """The app's current code, computed without touching the database."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def person_with_app(settings):
    """Made before the browser starts: under Playwright's event loop Django would open a
    second, context-local database connection that nobody closes."""
    settings.CIRS_MFA_REQUIRED_ROLES = ["all"]
    user = UserFactory(username="robin", email="robin@example.org")
    return user, add_totp_device(user)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_password_reset_still_demands_the_code(live_server, person_with_app, browser_page):
    person, device = person_with_app
    page = browser_page

    page.goto(live_server.url + reverse("login"))
    page.get_by_role("link", name="Forgotten your password?").click()
    page.locator("#id_email").fill(person.email)
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("Please check your e-mail").wait_for()

    link = re.search(r"https?://\S+/accounts/password_reset/\S+/", mail.outbox[-1].body)[0]
    page.goto(link)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save my new password").click()
    page.get_by_text("Your password has been changed").wait_for()

    # Nothing is open yet: the reset did not sign anyone in.
    page.goto(live_server.url + reverse("referrals:notifications"))
    assert page.url.startswith(live_server.url + reverse("login"))

    page.locator("#id_username").fill(person.username)
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(reverse("otp_verify"))))
    assert "please enter the 6-digit code" in page.content()

    page.goto(live_server.url + reverse("referrals:notifications"))
    assert page.url.startswith(live_server.url + reverse("otp_verify"))

    page.locator("#id_token").fill(_code_now(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_server.url + reverse("referrals:notifications"))
    assert page.get_by_role("button", name="Sign out").is_visible()
