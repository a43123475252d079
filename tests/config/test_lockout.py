"""docs/security-checklist.md row 9: repeated failures lock a username from one address for a
limited time (django-axes); the same person elsewhere is not locked out."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from tests.config.conftest import PASSWORD

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
HOME_IP = "203.0.113.10"
OTHER_IP = "198.51.100.20"


def _sign_in(client, user, password, ip):
    return client.post(
        reverse("login"), {"username": user.username, "password": password}, REMOTE_ADDR=ip
    )


def _fail_until_locked(client, user):
    responses = [
        _sign_in(client, user, "not-the-right-passphrase", HOME_IP)
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    return responses


@pytest.fixture
def cool_off() -> timedelta:
    return timedelta(hours=settings.AXES_COOLOFF_TIME)


def test_failures_up_to_the_limit_lock_with_a_kind_page(client, manager):
    with time_machine.travel(NOW, tick=False):
        responses = _fail_until_locked(client, manager)
        after = _sign_in(client, manager, PASSWORD, HOME_IP)

    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert responses[-1].status_code == 403
    assert after.status_code == 403
    assert "paused sign-in for a short while" in after.content.decode()
    assert "We couldn&#x27;t sign you in" in responses[0].content.decode()


def test_the_same_person_from_another_address_is_not_locked(client, manager):
    with time_machine.travel(NOW, tick=False):
        _fail_until_locked(client, manager)

        response = _sign_in(client, manager, PASSWORD, OTHER_IP)

    assert response.status_code == 302


def test_lock_lifts_after_the_cool_off(client, manager, cool_off):
    with time_machine.travel(NOW, tick=False) as traveller:
        _fail_until_locked(client, manager)

        traveller.shift(cool_off - timedelta(seconds=1))
        still_locked = _sign_in(client, manager, PASSWORD, HOME_IP)
        traveller.shift(timedelta(seconds=2))
        lifted = _sign_in(client, manager, PASSWORD, HOME_IP)

    assert still_locked.status_code == 403
    assert lifted.status_code == 302


def test_lockout_is_per_username_and_address():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_COOLOFF_TIME > 0


def test_tries_during_the_lock_do_not_extend_it(client, manager, cool_off):
    with time_machine.travel(NOW, tick=False) as traveller:
        _fail_until_locked(client, manager)
        for _ in range(3):
            traveller.shift(cool_off / 4)
            assert _sign_in(client, manager, "still-guessing-wrong", HOME_IP).status_code == 403

        traveller.move_to(NOW + cool_off + timedelta(seconds=1))
        response = _sign_in(client, manager, PASSWORD, HOME_IP)

    assert response.status_code == 302
