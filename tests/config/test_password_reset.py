"""docs/security-checklist.md row 7 (without a browser): a reset link changes the password but
never signs anyone in, so the code step still follows. The browser walk-through is
tests/browser/test_password_reset_mfa.py."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User

NEW_PASSWORD = "a brand new passphrase for the winter"


def _reset_link() -> str:
    return re.search(r"https?://[^/\s]+(/accounts/password_reset/\S+/)", mail.outbox[-1].body)[1]


@pytest.fixture
def requested(client, manager):
    client.post(reverse("password_reset"), {"email": manager.email})
    return client


def test_reset_request_sends_a_kind_email_with_a_link(requested, manager):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [manager.email]
    assert message.subject == "Resetting your CIRS password"
    assert "you can ignore this e-mail" in message.body
    assert _reset_link().startswith("/accounts/password_reset/")
    assert any("Choose a new password" in body for body, _ in message.alternatives)


def test_reset_request_for_an_unknown_address_looks_the_same(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_reset_changes_the_password_but_does_not_sign_in(requested, manager, mfa_on):
    form_url = requested.get(_reset_link())["Location"]

    response = requested.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    assert User.objects.get(pk=manager.pk).check_password(NEW_PASSWORD)
    follow = requested.get(reverse("referrals:notifications"))
    assert follow["Location"].startswith(reverse("login"))


def test_reset_refuses_a_weak_password_and_says_why(requested):
    form_url = requested.get(_reset_link())["Location"]

    response = requested.post(
        form_url, {"new_password1": "password1234", "new_password2": "password1234"}
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()


def test_a_used_reset_link_explains_kindly(requested):
    link = _reset_link()
    form_url = requested.get(link)["Location"]
    requested.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = requested.get(link)

    assert "This link has expired" in response.content.decode()
