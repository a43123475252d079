"""docs/security-checklist.md rows 20 and 22: sign-in events reach the ``cirs.auth`` log and the
audit table without passwords, codes or session ids; a CR/LF typed as a username stays
inside one JSON log line."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.models import AuditEvent
from config.logging import JsonFormatter, RequestIdFilter
from tests.config.conftest import PASSWORD, add_totp_device, code_for

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
WRONG_PASSWORD = "Wrong-Horse-Battery-Staple-42"


def _auth_records(records) -> list[logging.LogRecord]:
    return [record for record in records if record.name == "cirs.auth"]


def _rendered(records) -> list[str]:
    formatter = JsonFormatter()
    return [formatter.format(record) + repr(vars(record)) for record in records]


def _assert_no_secrets(records, secrets: list[str]) -> None:
    pattern = re.compile("|".join(re.escape(secret) for secret in secrets if secret))
    leaks = [text for text in _rendered(records) if pattern.search(text)]
    assert leaks == []


@pytest.fixture
def walked_through(client, caplog, mfa_on, manager):
    """A sign-in story: a wrong password, a right one, a wrong code, the right code,
    sign-out, then enough wrong passwords to be locked out."""
    device = add_totp_device(manager)
    caplog.set_level(logging.INFO)
    secrets: list[str] = [PASSWORD, WRONG_PASSWORD]
    with time_machine.travel(NOW, tick=False) as traveller:
        login = reverse("login")
        client.post(login, {"username": manager.username, "password": WRONG_PASSWORD})
        client.post(login, {"username": manager.username, "password": PASSWORD})
        secrets.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
        good = code_for(device)
        wrong = f"{(int(good) + 1) % 1_000_000:06d}"
        client.post(reverse("otp_verify"), {"token": wrong})
        traveller.shift(5)
        good = code_for(device)
        client.post(reverse("otp_verify"), {"token": good})
        secrets += [good, wrong, client.cookies[settings.SESSION_COOKIE_NAME].value]
        client.post(reverse("logout"))
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(login, {"username": manager.username, "password": WRONG_PASSWORD})
    secrets += list(Session.objects.values_list("session_key", flat=True))
    # Records from this fixture belong to pytest's "setup" phase: keep them for the test.
    return list(caplog.records), secrets


def test_every_kind_of_sign_in_event_is_logged(walked_through):
    records, _ = walked_through

    events = [getattr(record, "event", "") for record in _auth_records(records)]

    for event in ("login_failed", "login", "otp_failed", "otp_verified", "logout", "locked_out"):
        assert event in events, event


def test_sign_in_events_are_audited(walked_through, manager):
    actions = set(AuditEvent.objects.filter(user=manager).values_list("action", flat=True))

    assert {
        AuditEvent.Action.LOGIN,
        AuditEvent.Action.LOGIN_FAILED,
        AuditEvent.Action.LOGOUT,
    } <= actions
    assert AuditEvent.objects.filter(detail="Sign-in paused after repeated failures").exists()
    assert AuditEvent.objects.exclude(ip=None).filter(user=manager).exists()


def test_no_password_code_or_session_id_in_any_log_record(walked_through):
    records, secrets = walked_through

    assert _auth_records(records)
    _assert_no_secrets(records, secrets)


def test_no_password_code_or_session_id_in_the_audit_table(walked_through):
    _, secrets = walked_through
    rows = [
        " ".join(str(value) for value in row)
        for row in AuditEvent.objects.values_list("detail", "path", "object_id", "request_id")
    ]

    assert rows
    for secret in secrets:
        assert not any(secret in row for row in rows)


def test_a_crlf_username_stays_one_json_line(client, db):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("cirs.auth")
    logger.addHandler(handler)
    forged = 'mallory\r\n{"level": "INFO", "message": "Signed in", "username": "admin"}'
    try:
        client.post(reverse("login"), {"username": forged, "password": WRONG_PASSWORD})
    finally:
        logger.removeHandler(handler)

    output = stream.getvalue()
    lines = output.splitlines()
    assert len(lines) == 1
    assert output.endswith("\n")
    record = json.loads(lines[0])
    assert record["event"] == "login_failed"
    assert record["username"] == forged
    assert "\r" not in lines[0]
