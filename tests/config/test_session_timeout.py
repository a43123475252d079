"""docs/security-checklist.md row 5: 30 minutes idle and 12 hours absolute (ASVS 3.3.2)."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from django.urls import reverse

START = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


def _is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_idle_session_ends_after_the_idle_limit(client, manager):
    page = reverse("referrals:notifications")
    idle = timedelta(seconds=settings.SESSION_IDLE_SECONDS)
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(manager)
        assert client.get(page).status_code == 200

        traveller.shift(idle - timedelta(minutes=1))
        assert client.get(page).status_code == 200

        traveller.shift(idle + timedelta(minutes=1))
        response = client.get(page)

    assert _is_sign_in_redirect(response)


def test_idle_limit_is_thirty_minutes():
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_absolute_limit_holds_even_while_active(client, manager):
    page = reverse("referrals:notifications")
    absolute = timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)
    step = timedelta(minutes=20)
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(manager)
        elapsed = timedelta(0)
        while elapsed + step <= absolute:
            traveller.shift(step)
            elapsed += step
            assert client.get(page).status_code == 200, elapsed

        traveller.move_to(START + absolute + timedelta(seconds=1))
        response = client.get(page)

    assert _is_sign_in_redirect(response)
    assert "expired=1" in response["Location"]
    assert "next=" in response["Location"]
    # The session is gone: a second request is not signed in either.
    assert _is_sign_in_redirect(client.get(page))


def test_absolute_limit_is_twelve_hours():
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60


def test_expired_sign_in_page_explains_kindly(client):
    response = client.get(reverse("login"), {"expired": 1})

    assert "You were signed out to keep things private" in response.content.decode()
