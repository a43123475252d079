"""Council sign-in in Chromium, through a real OpenID provider (oidc-provider in Node):
a PSW signs in with the council account and out again (ending the provider's session
too), and a referred staff member signs in and finds their own support."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from referrals.views.support import STATUS_FOR_STAFF
from tests.accounts.conftest import directory
from tests.accounts.oidc_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    ROLE_GROUPS,
    RunningProvider,
    require_node,
)
from tests.browser.axe import Checker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def council_provider(live_server, settings):
    require_node()
    provider = RunningProvider(
        redirect_uris=[f"{live_server.url}/accounts/oidc/callback/"],
        post_logout_redirect_uris=[f"{live_server.url}/accounts/login/"],
        users=list(directory().values()),
    )
    settings.CIRS_OIDC_ISSUER = provider.issuer
    settings.CIRS_OIDC_CLIENT_ID = CLIENT_ID
    settings.CIRS_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.CIRS_OIDC_ROLE_GROUPS = ROLE_GROUPS
    settings.CIRS_MFA_REQUIRED_ROLES = ["all"]
    cache.clear()
    try:
        yield provider
    finally:
        provider.stop()
        cache.clear()


def council_sign_in(tab, live_server, login: str) -> None:
    page = tab.page
    person = directory()[login]
    page.goto(live_server.url + reverse("login"))
    assert tab.problems() == []
    page.get_by_role("link", name="Sign in with your council account").click()
    # The provider's own page, on its own origin.
    page.get_by_label("Council username").fill(person.login)
    page.get_by_label("Council password").fill(person.password)
    page.get_by_role("button", name="Sign in to the council").click()
    page.wait_for_url(re.compile("^" + re.escape(live_server.url)))


def test_a_psw_signs_in_and_out_with_the_council_account(
    council_provider, live_server, open_tab, axe_source
):
    tab = open_tab()
    page = tab.page
    checker = Checker(axe_source)
    # The sign-in page with both ways in, and a refusal page, pass axe.
    checker.visit(tab, "signed out", live_server.url + reverse("login"))
    checker.visit(tab, "signed out", live_server.url + reverse("oidc_authentication_callback"))
    assert page.get_by_role("heading", name="This sign-in link has already been used").count() == 1
    assert checker.violations == []
    # The refusal page answers 400, which the console reports; nothing else went wrong.
    assert [p for p in tab.problems() if "status of 400" not in p] == []

    council_sign_in(tab, live_server, "priya")

    # Straight to their work: no CIRS password, no CIRS code (the directory did MFA).
    page.wait_for_url(re.compile(re.escape(reverse("referrals:triage"))))
    assert tab.problems() == []

    page.get_by_role("button", name="Sign out").click()
    # The council's sign-in ends its session too, then sends the browser back.
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(live_server.url + reverse("login"))
    assert tab.problems() == []

    # Signing in again needs the council password again.
    page.get_by_role("link", name="Sign in with your council account").click()
    page.get_by_label("Council username").wait_for()
    assert page.url.startswith(council_provider.issuer)


@pytest.fixture
def robins_referral(flow):
    """Made before the browser starts (see tests/browser/test_password_reset_mfa.py)."""
    return flow.referral(staff_email="robin@council.example", staff_name="Robin Lee")


def test_a_referred_staff_member_signs_in_and_sees_their_own_support(
    council_provider, robins_referral, live_server, open_tab
):
    tab = open_tab()
    page = tab.page

    council_sign_in(tab, live_server, "robin")
    page.goto(live_server.url + reverse("referrals:own"))

    assert page.get_by_text(robins_referral.reference).count() >= 1
    assert page.get_by_text(STATUS_FOR_STAFF[robins_referral.state]).count() >= 1
    assert tab.problems() == []
