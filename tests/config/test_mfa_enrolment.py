"""Issue 14 point 3 (docs/security-checklist.md row 29): the authenticator is bound to its
owner. Knowing the password is not enough to set it up: the first set-up needs a
one-time link; the secret belongs to the session that showed it; a confirmed device is
replaced only after a fresh sign-in with a code, or an administrator's reset."""

from __future__ import annotations

import re
from base64 import b32decode
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import enrolment
from accounts.models import AuditEvent, EnrolmentLink
from tests.config.conftest import add_totp_device, code_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
SECRET = re.compile(r'data-testid="otp-secret">([A-Z2-7 ]+)<')


def _secret(html: str) -> bytes | None:
    found = SECRET.search(html)
    return b32decode(found.group(1).replace(" ", "")) if found else None


def _code(secret: bytes) -> str:
    return f"{totp(secret):06d}"


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _link_from_mail() -> str:
    body = mail.outbox[-1].body
    return re.search(r"https?://[^/\s]+(/accounts/code/set-up/[^\s]+/)", body).group(1)


def test_a_password_alone_shows_no_secret_only_an_offer_to_e_mail_a_link(client, mfa_on, manager):
    client.force_login(manager)

    page = client.get(reverse("otp_enrol")).text

    assert _secret(page) is None
    assert "E-mail me a set-up link" in page
    assert not TOTPDevice.objects.filter(user=manager).exists()


def test_the_link_goes_to_the_account_s_own_address_and_works_once(client, mfa_on, manager):
    client.force_login(manager)
    sent = client.post(reverse("otp_enrol"), {"send_link": "1"})
    assert "We have e-mailed you a link" in sent.text
    assert mail.outbox[-1].to == [manager.email]
    link = _link_from_mail()

    assert client.get(link)["Location"] == reverse("otp_enrol")
    assert _secret(client.get(reverse("otp_enrol")).text) is not None

    other_session = _browser(manager)
    assert other_session.get(link)["Location"].endswith("?link=used")
    assert _secret(other_session.get(reverse("otp_enrol")).text) is None


def test_asking_again_within_minutes_sends_nothing_more(client, mfa_on, manager):
    client.force_login(manager)
    client.post(reverse("otp_enrol"), {"send_link": "1"})
    client.post(reverse("otp_enrol"), {"send_link": "1"})

    assert len(mail.outbox) == 1


def test_a_link_expires(client, mfa_on, manager, settings):
    with time_machine.travel(NOW, tick=False):
        path = enrolment.issue_link(manager)
    client.force_login(manager)
    later = NOW + timedelta(hours=settings.CIRS_MFA_ENROLMENT_LINK_HOURS, seconds=1)
    with time_machine.travel(later, tick=False):
        assert client.get(path)["Location"].endswith("?link=used")
        assert _secret(client.get(reverse("otp_enrol")).text) is None


def test_a_link_works_only_for_its_own_account(client, mfa_on, manager, other_manager):
    path = enrolment.issue_link(manager)
    client.force_login(other_manager)

    assert client.get(path)["Location"].endswith("?link=used")
    assert EnrolmentLink.objects.get(user=manager).used_at is None


def test_two_browsers_with_the_password_cannot_bind_the_owner_to_the_attacker_s_device(
    mfa_on, manager
):
    """The audit's attack: two sessions on a new account. Even when both may set up
    (two links), each is shown its own secret, and a code from one session's secret is
    refused in the other."""
    owner, attacker = _browser(manager), _browser(manager)
    owner.get(enrolment.issue_link(manager))
    attacker.get(enrolment.issue_link(manager))
    with time_machine.travel(NOW, tick=False):
        owner_secret = _secret(owner.get(reverse("otp_enrol")).text)
        attacker_secret = _secret(attacker.get(reverse("otp_enrol")).text)
        assert owner_secret != attacker_secret

        refused = owner.post(reverse("otp_enrol"), {"token": _code(attacker_secret)})
        assert "That code didn&#x27;t work" in refused.text
        assert not TOTPDevice.objects.filter(user=manager).exists()


def test_the_attacker_without_the_link_sees_no_secret_while_the_owner_sets_up(mfa_on, manager):
    owner, attacker = _browser(manager), _browser(manager)
    owner.get(enrolment.issue_link(manager))

    assert _secret(owner.get(reverse("otp_enrol")).text) is not None
    assert _secret(attacker.get(reverse("otp_enrol")).text) is None


def test_each_visit_makes_a_new_secret_and_only_the_latest_confirms(mfa_on, manager):
    browser = _browser(manager)
    browser.get(enrolment.issue_link(manager))
    with time_machine.travel(NOW, tick=False):
        first = _secret(browser.get(reverse("otp_enrol")).text)
        second = _secret(browser.get(reverse("otp_enrol")).text)
        assert first != second

        stale = browser.post(reverse("otp_enrol"), {"token": _code(first)})
        assert "That code didn&#x27;t work" in stale.text
        latest = _secret(stale.text)
        target = reverse("referrals:notifications")
        done = browser.post(reverse("otp_enrol"), {"token": _code(latest), "next": target})
        assert done["Location"] == target
        assert browser.get(target).status_code == 200

    device = TOTPDevice.objects.get(user=manager)
    assert device.confirmed and device.bin_key == latest
    assert AuditEvent.objects.filter(user=manager, detail__contains="set up").exists()


def test_a_confirmed_device_is_not_replaced_without_a_fresh_sign_in(mfa_on, manager, settings):
    device = add_totp_device(manager)
    browser = Client()
    with time_machine.travel(NOW, tick=False):
        browser.force_login(manager)
        browser.post(reverse("otp_verify"), {"token": code_for(device)})
        assert _secret(browser.get(reverse("otp_enrol")).text) is not None  # fresh: allowed

    stale = NOW + timedelta(minutes=settings.CIRS_MFA_FRESH_MINUTES, seconds=1)
    with time_machine.travel(stale, tick=False):
        page = browser.get(reverse("otp_enrol")).text
        assert _secret(page) is None
        assert "please sign out and sign in again" in page
        # A link issued to the account does not help either once a device is confirmed.
        browser.get(enrolment.issue_link(manager))
        assert _secret(browser.get(reverse("otp_enrol")).text) is None
    assert list(TOTPDevice.objects.filter(user=manager)) == [device]


def test_a_fresh_sign_in_replaces_the_device(mfa_on, manager):
    old = add_totp_device(manager)
    browser = Client()
    with time_machine.travel(NOW, tick=False):
        browser.force_login(manager)
        browser.post(reverse("otp_verify"), {"token": code_for(old)})
        new_secret = _secret(browser.get(reverse("otp_enrol")).text)
        browser.post(reverse("otp_enrol"), {"token": _code(new_secret)})

    device = TOTPDevice.objects.get(user=manager)
    assert device.pk != old.pk and device.bin_key == new_secret


def test_an_administrator_resets_the_device_and_sends_a_new_link(client, mfa_off, manager):
    add_totp_device(manager)
    admin = UserFactory(username="ada", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_authenticator", "_selected_action": [manager.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert mail.outbox[-1].to == [manager.email]
    assert EnrolmentLink.objects.filter(user=manager, issued_by=admin, used_at=None).exists()
    assert AuditEvent.objects.filter(user=admin, detail__contains="reset").exists()
