"""docs/security-checklist.md rows 3 and 4: a ``__Host-`` session cookie that scripts cannot
read; a new session id at sign-in; sign-out ends the session on the server."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.config.conftest import PASSWORD


def test_session_cookie_is_host_prefixed_httponly_lax_and_secure(
    client, manager, apply_prod_settings
):
    response = client.post(
        reverse("login"), {"username": manager.username, "password": PASSWORD}, secure=True
    )

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.key.startswith("__Host-")
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    # __Host- cookies must have Path=/ and no Domain, or browsers drop them.
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""
    header = cookie.output()
    assert "HttpOnly" in header
    assert "Secure" in header
    assert "SameSite=Lax" in header


def test_csrf_cookie_is_host_prefixed_and_secure(client, apply_prod_settings):
    response = client.get(reverse("login"), secure=True)

    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie.key.startswith("__Host-")
    assert cookie["secure"] is True


def test_sign_in_gives_a_new_session_id(client, manager):
    session = client.session
    session["before_sign_in"] = True
    session.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post(reverse("login"), {"username": manager.username, "password": PASSWORD})

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert response.status_code == 302
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.filter(session_key=after).exists()


def test_sign_out_ends_the_session_on_the_server(client, manager):
    client.post(reverse("login"), {"username": manager.username, "password": PASSWORD})
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    protected = reverse("referrals:notifications")
    assert client.get(protected).status_code == 200

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=stolen).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = stolen
    replay = client.get(protected)
    assert replay.status_code == 302
    assert replay["Location"].startswith(reverse("login"))


def test_sign_out_by_get_is_refused(client, manager):
    client.force_login(manager)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.get(reverse("referrals:notifications")).status_code == 200


def test_a_session_past_its_expiry_on_the_server_reads_as_signed_out(client, manager):
    """config/sessions.py reads the row by its key and checks the expiry itself."""
    client.post(reverse("login"), {"username": manager.username, "password": PASSWORD})
    protected = reverse("referrals:notifications")
    assert client.get(protected).status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())

    response = client.get(protected)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_page_each_saves_the_session_and_its_stamp_moves_on(client, manager):
    client.post(reverse("login"), {"username": manager.username, "password": PASSWORD})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        assert client.get(reverse("referrals:notifications")).status_code == 200
    row = Session.objects.get(session_key=key)
    assert row.get_decoded()["cirs_session_last_seen"] > time.time() + 200
    assert row.expire_date > timezone.now() + timedelta(minutes=5)


def test_a_session_deleted_while_its_page_runs_is_not_written_again(client, manager):
    """Signed out elsewhere mid-request: the save finds no row and says so, as Django's
    own store does (its middleware then answers "the session was deleted")."""
    client.post(reverse("login"), {"username": manager.username, "password": PASSWORD})
    store = client.session
    store["touched"] = True  # read while the row is there, as a page's start does
    Session.objects.filter(session_key=store.session_key).delete()
    with pytest.raises(UpdateError):
        store.save()
