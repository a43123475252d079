"""Issue 14 points 9 and 10: oversized sign-in input gets a clear message, password reset
does the same work for a known and an unknown address and is rate-limited, and refused
codes while throttled and reset requests are logged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import password_reset
from accounts.models import AuditEvent
from tests.config.conftest import add_totp_device, code_for

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_ten_thousand_character_sign_in_gets_a_clear_message(client, manager, field):
    data = {"username": manager.username, "password": "a-long-test-passphrase"}
    data[field] = "x" * 10_000

    response = client.post(reverse("login"), data)

    assert response.status_code == 200
    assert "is at most" in response.text
    assert "Please check what you typed" in response.text


def test_a_ten_thousand_character_reset_address_gets_a_clear_message(client, db):
    response = client.post(reverse("password_reset"), {"email": "x" * 10_000 + "@example.org"})

    assert response.status_code == 200
    assert "at most 254 characters" in response.text
    assert mail.outbox == []


def _sql_of_a_reset_request(client, email: str) -> tuple[list[str], mock.MagicMock]:
    with (
        mock.patch.object(password_reset.send_password_reset_email, "delay") as delay,
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.post(reverse("password_reset"), {"email": email})
    assert response["Location"] == reverse("password_reset_done")
    # The statements, with their values (time, hashed address) left out.
    return [re.sub(r"'[^']*'", "?", q["sql"]) for q in queries.captured_queries], delay


def test_a_known_and_an_unknown_address_do_the_same_work(client, manager):
    """The timing leak closed at its root: the request runs the same statements either
    way and hands the address to the background task; only the task looks it up."""
    known_sql, known_task = _sql_of_a_reset_request(client, manager.email)
    unknown_sql, unknown_task = _sql_of_a_reset_request(client, "nobody@example.org")

    assert known_sql == unknown_sql
    assert not any('"accounts_user"' in sql for sql in known_sql)
    known_task.assert_called_once_with(manager.email)
    unknown_task.assert_called_once_with("nobody@example.org")


def test_the_task_sends_only_to_an_existing_account(manager):
    password_reset.send_password_reset_email("nobody@example.org")
    assert mail.outbox == []

    password_reset.send_password_reset_email(manager.email)
    assert [m.to for m in mail.outbox] == [[manager.email]]


def test_reset_requests_are_limited_per_address(client, manager, settings):
    settings.CIRS_PASSWORD_RESET_PER_EMAIL = 2
    with time_machine.travel(NOW, tick=False) as traveller:
        for _ in range(4):
            response = client.post(reverse("password_reset"), {"email": manager.email})
            assert response["Location"] == reverse("password_reset_done")
        assert len(mail.outbox) == 2

        traveller.shift(timedelta(hours=1, seconds=1))
        client.post(reverse("password_reset"), {"email": manager.email})
    assert len(mail.outbox) == 3


def test_reset_requests_are_limited_per_network_address(client, manager, settings):
    settings.CIRS_PASSWORD_RESET_PER_IP = 3
    for n in range(3):
        client.post(reverse("password_reset"), {"email": f"someone{n}@example.org"})

    response = client.post(reverse("password_reset"), {"email": manager.email})

    assert response.status_code == 429
    assert "Please wait a little and try again" in response.text
    assert mail.outbox == []
    other = client.post(
        reverse("password_reset"), {"email": manager.email}, REMOTE_ADDR="192.0.2.9"
    )
    assert other["Location"] == reverse("password_reset_done")


def test_reset_requests_are_audited_without_the_address(client, manager, caplog):
    client.post(reverse("password_reset"), {"email": manager.email})

    row = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_RESET)
    assert row.object_id == password_reset.address_key(manager.email)
    assert manager.email not in row.detail and manager.email not in row.object_id
    assert any(r.name == "cirs.auth" and "password reset" in r.getMessage() for r in caplog.records)


def test_a_code_refused_while_throttled_is_logged(client, mfa_on, manager):
    device = add_totp_device(manager)
    with time_machine.travel(NOW, tick=False):
        client.force_login(manager)
        good = code_for(device)
        client.post(reverse("otp_verify"), {"token": f"{(int(good) + 1) % 1_000_000:06d}"})
        client.post(reverse("otp_verify"), {"token": good})

    details = list(
        AuditEvent.objects.filter(user=manager, action=AuditEvent.Action.LOGIN_FAILED)
        .order_by("pk")
        .values_list("detail", flat=True)
    )
    assert details == [
        "Second step failed: code not accepted",
        "Second step refused: too many wrong codes, asked to wait",
    ]


def test_the_reset_link_comes_from_site_url_not_the_request_s_host(client, manager, settings):
    settings.SITE_URL = "https://cirs.example.org"

    client.post(reverse("password_reset"), {"email": manager.email}, HTTP_HOST="127.0.0.1")

    assert "https://cirs.example.org/accounts/password_reset/" in mail.outbox[-1].body
    assert "127.0.0.1" not in mail.outbox[-1].body
