"""docs/security-checklist.md row 6: the TOTP second step for every password sign-in
(configurable per role), a used code never works twice, and the admin asks for it too."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa import EXEMPT_URL_NAMES, check_mfa_roles, mfa_required_for
from accounts.models import AuditEvent
from accounts.roles import Role
from tests.config.conftest import PASSWORD, add_totp_device, code_for
from tests.factories import UserFactory

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?\w+>")


def _walk(patterns, prefix: str = ""):
    """Every URL the project serves, with each path parameter filled in as 1."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + _route(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + _route(entry.pattern), entry.name


def _route(pattern) -> str:
    text = str(pattern)
    if hasattr(pattern, "_route"):
        return _CONVERTER.sub("1", text)
    text = _GROUP.sub("1", text.lstrip("^").rstrip("$"))
    return text.replace("\\", "")


def all_urls() -> list[tuple[str, str | None]]:
    return sorted(set(_walk(get_resolver().url_patterns)), key=lambda item: item[0])


def protected_urls() -> list[str]:
    return ["/" + route for route, name in all_urls() if name not in EXEMPT_URL_NAMES]


@pytest.fixture
def enrolled(manager):
    return add_totp_device(manager)


def _signed_in(client, user):
    client.force_login(user)
    return client


# --- the matrix: nothing but the sign-in pages without the code -------------------------


def test_matrix_covers_the_whole_project():
    urls = protected_urls()
    # Every app's pages, the admin and the password reset are in the matrix.
    assert any(url.startswith("/referrals/") for url in urls)
    assert any(url.startswith("/admin/") for url in urls)
    assert any(url.startswith("/accounts/password_reset/") for url in urls)
    assert "/accounts/login/" not in urls


@pytest.mark.parametrize("has_device", [True, False], ids=["enrolled", "not-enrolled"])
def test_password_without_code_reaches_no_page(client, mfa_on, manager, has_device):
    if has_device:
        add_totp_device(manager)
    manager.is_staff = True
    manager.save()
    _signed_in(client, manager)
    step = reverse("otp_verify" if has_device else "otp_enrol")

    refused = []
    for url in protected_urls():
        for method in (client.get, client.post):
            response = method(url)
            ok = response.status_code == 403 or (
                response.status_code == 302 and response["Location"].startswith(step)
            )
            if not ok:
                refused.append((method.__name__, url, response.status_code))

    assert refused == []


def test_the_code_step_keeps_where_the_person_was_going(client, mfa_on, manager, enrolled):
    _signed_in(client, manager)

    response = client.get(reverse("referrals:notifications"))

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("otp_verify") + "?next=" + reverse("referrals:notifications").replace("/", "%2F")
    )


def test_without_the_second_step_configured_pages_open(client, mfa_off, manager):
    _signed_in(client, manager)

    assert client.get(reverse("referrals:notifications")).status_code == 200


def test_second_step_can_be_required_for_some_roles_only(client, settings, therapist, psw):
    settings.CIRS_MFA_REQUIRED_ROLES = [Role.THERAPIST.value]
    page = reverse("referrals:notifications")

    _signed_in(client, psw)
    assert client.get(page).status_code == 200

    _signed_in(client, therapist.user)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_enrol"))


def test_admin_staff_always_need_the_code_when_roles_are_listed(settings, psw):
    settings.CIRS_MFA_REQUIRED_ROLES = "therapist,coordinator"
    psw.is_staff = True

    assert mfa_required_for(psw) is True
    assert mfa_required_for(AnonymousUser()) is False


def test_unknown_role_in_setting_is_a_system_check_error(settings):
    settings.CIRS_MFA_REQUIRED_ROLES = ["psw", "caretaker"]

    errors = check_mfa_roles(None)

    assert [error.id for error in errors] == ["cirs.E001"]
    assert "caretaker" in errors[0].msg


# --- verify -------------------------------------------------------------------------------


def test_valid_code_completes_sign_in_with_a_new_session_id(client, mfa_on, manager, enrolled):
    with time_machine.travel(NOW, tick=False):
        client.post(reverse("login"), {"username": manager.username, "password": PASSWORD})
        before = client.cookies[settings.SESSION_COOKIE_NAME].value
        target = reverse("referrals:notifications")

        response = client.post(reverse("otp_verify"), {"token": code_for(enrolled), "next": target})

        assert response.status_code == 302
        assert response["Location"] == target
        assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
        assert client.get(target).status_code == 200
    assert AuditEvent.objects.filter(
        user=manager, action=AuditEvent.Action.LOGIN, detail__startswith="Second step"
    ).exists()


def test_verify_page_asks_kindly(client, mfa_on, manager, enrolled):
    _signed_in(client, manager)

    response = client.get(reverse("otp_verify"))

    assert response.status_code == 200
    assert (
        "To keep people&#x27;s information safe, please enter the 6-digit code"
        in response.content.decode()
    )


def test_wrong_code_is_refused_kindly_and_audited(client, mfa_on, manager, enrolled):
    with time_machine.travel(NOW, tick=False):
        _signed_in(client, manager)
        wrong = f"{(int(code_for(enrolled)) + 1) % 1_000_000:06d}"

        response = client.post(reverse("otp_verify"), {"token": wrong})

        assert response.status_code == 200
        assert "That code didn&#x27;t work" in response.content.decode()
        assert client.get(reverse("referrals:notifications")).status_code == 302
    assert AuditEvent.objects.filter(
        user=manager, action=AuditEvent.Action.LOGIN_FAILED, detail__startswith="Second step"
    ).exists()


def test_a_used_code_is_refused_the_second_time(client, mfa_on, manager, enrolled):
    with time_machine.travel(NOW, tick=False):
        _signed_in(client, manager)
        code = code_for(enrolled)
        assert client.post(reverse("otp_verify"), {"token": code}).status_code == 302
        used_step = TOTPDevice.objects.get(pk=enrolled.pk).last_t

        # Someone who saw the code and has the password tries it in their own session.
        client.logout()
        _signed_in(client, manager)
        response = client.post(reverse("otp_verify"), {"token": code})

        assert response.status_code == 200
        assert "each one can be used once" in response.content.decode()
        assert TOTPDevice.objects.get(pk=enrolled.pk).last_t == used_step
        assert client.get(reverse("referrals:notifications")).status_code == 302


def test_repeated_wrong_codes_are_slowed_down(client, mfa_on, manager, enrolled):
    with time_machine.travel(NOW, tick=False) as traveller:
        _signed_in(client, manager)
        good = code_for(enrolled)
        wrong = f"{(int(good) + 1) % 1_000_000:06d}"
        client.post(reverse("otp_verify"), {"token": wrong})

        refused = client.post(reverse("otp_verify"), {"token": good})
        assert "please wait a few seconds" in refused.content.decode()

        traveller.shift(timedelta(seconds=2))
        assert client.post(reverse("otp_verify"), {"token": code_for(enrolled)}).status_code == 302


def test_a_backup_code_works_once(client, mfa_on, manager):
    device = StaticDevice.objects.create(user=manager, name="Backup codes", confirmed=True)
    StaticToken.objects.create(device=device, token="k3v9x2p7")
    _signed_in(client, manager)

    assert client.post(reverse("otp_verify"), {"token": "k3v9x2p7"}).status_code == 302
    client.logout()
    _signed_in(client, manager)
    assert client.post(reverse("otp_verify"), {"token": "k3v9x2p7"}).status_code == 200


def test_code_step_never_redirects_off_site(client, mfa_on, manager, enrolled):
    with time_machine.travel(NOW, tick=False):
        _signed_in(client, manager)

        response = client.post(
            reverse("otp_verify"),
            {"token": code_for(enrolled), "next": "https://evil.example.org/"},
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_code_pages_need_a_password_first(client, mfa_on):
    for name in ("otp_verify", "otp_enrol"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- enrolment ----------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_key_for_an_unconfirmed_device(client, mfa_on, manager):
    _signed_in(client, manager)

    response = client.get(reverse("otp_enrol"))
    client.get(reverse("otp_enrol"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    device = TOTPDevice.objects.get(user=manager)
    assert device.confirmed is False
    assert re.search(r'data-testid="otp-secret">[A-Z2-7 ]{32,}<', html)
    assert ' style="' not in html


def test_enrolment_is_confirmed_by_a_valid_code(client, mfa_on, manager):
    with time_machine.travel(NOW, tick=False):
        _signed_in(client, manager)
        client.get(reverse("otp_enrol"))
        device = TOTPDevice.objects.get(user=manager)
        target = reverse("referrals:notifications")

        response = client.post(reverse("otp_enrol"), {"token": code_for(device), "next": target})

        assert response.status_code == 302
        assert response["Location"] == target
        device.refresh_from_db()
        assert device.confirmed is True
        assert client.get(target).status_code == 200


def test_enrolment_with_a_wrong_code_stays_unconfirmed(client, mfa_on, manager):
    with time_machine.travel(NOW, tick=False):
        _signed_in(client, manager)
        client.get(reverse("otp_enrol"))
        device = TOTPDevice.objects.get(user=manager)
        wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

        response = client.post(reverse("otp_enrol"), {"token": wrong})

    assert response.status_code == 200
    assert "That code didn&#x27;t work" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get(reverse("referrals:notifications")).status_code == 302


def test_enrolled_person_goes_to_the_code_step_not_a_new_set_up(client, mfa_on, manager, enrolled):
    _signed_in(client, manager)

    response = client.get(reverse("otp_enrol"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_verify"))
    assert TOTPDevice.objects.filter(user=manager).count() == 1


# --- admin --------------------------------------------------------------------------------


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", is_staff=True, is_superuser=True)


def test_admin_needs_the_code_when_the_second_step_is_on(client, mfa_on, admin_user):
    device = add_totp_device(admin_user)
    _signed_in(client, admin_user)
    assert client.get(reverse("admin:index")).status_code == 302

    with time_machine.travel(NOW, tick=False):
        client.post(reverse("otp_verify"), {"token": code_for(device)})
        assert client.get(reverse("admin:index")).status_code == 200


def test_admin_is_an_otp_admin_site(mfa_on):
    from django.contrib import admin
    from django_otp.admin import OTPAdminSite

    reverse("admin:index")  # loads the URLconf, which sets the admin's class

    assert isinstance(admin.site._wrapped, OTPAdminSite)


def test_admin_opens_without_a_code_when_the_second_step_is_off(client, mfa_off, admin_user):
    _signed_in(client, admin_user)

    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_sign_in_goes_through_the_service_sign_in(client):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_admin_refuses_a_signed_in_person_without_staff_access(client, mfa_off, manager):
    _signed_in(client, manager)

    assert client.get(reverse("admin:login")).status_code == 403
