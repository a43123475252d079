"""Issue 14 point 10: a self-service password change, kind and in the navigation."""

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db
OLD = "a-long-test-passphrase"  # tests/factories.py
NEW = "a quiet walk by the river in spring"


def test_the_navigation_offers_it(client, manager):
    client.force_login(manager)

    assert reverse("password_change") in client.get(reverse("referrals:notifications")).text


def test_a_person_changes_their_password_and_stays_signed_in(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("password_change"),
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Your password is changed" in response.text
    assert User.objects.get(pk=manager.pk).check_password(NEW)
    assert client.get(reverse("referrals:notifications")).status_code == 200


def test_a_wrong_current_password_is_explained_kindly(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("password_change"),
        {"old_password": "not it", "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 200
    assert "That is not your current password" in response.text
    assert User.objects.get(pk=manager.pk).check_password(OLD)


def test_the_same_password_rules_apply(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("password_change"),
        {"old_password": OLD, "new_password1": "password1234", "new_password2": "password1234"},
    )

    assert "This password is too common." in response.text


def test_it_needs_signing_in(client, db):
    response = client.get(reverse("password_change"))

    assert response["Location"].startswith(reverse("login"))
