"""The audit log is also a stream (docs/security-checklist.md row 21): every row is logged to
"cirs.audit" as one JSON line as it is written, and can go to syslog."""

import json
import logging
import logging.handlers
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import AuditEvent
from config.logging import JsonFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_every_audit_row_is_logged_as_it_is_written(caplog, manager):
    with caplog.at_level(logging.INFO, logger="cirs.audit"):
        event = AuditEvent.objects.create(
            user=manager, action=AuditEvent.Action.VIEW, object_type="referral", object_id="7"
        )

    (record,) = [r for r in caplog.records if r.name == "cirs.audit"]
    assert record.audit_id == event.pk
    assert record.user_id == manager.pk
    assert record.action == "view"
    assert record.object_id == "7"


@pytest.mark.django_db
def test_a_syslog_listener_reads_the_stream(manager):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    handler = logging.handlers.SysLogHandler(address=listener.getsockname())
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    stream = logging.getLogger("cirs.audit")
    stream.addHandler(handler)
    try:
        event = AuditEvent.objects.create(
            user=manager,
            action=AuditEvent.Action.DOWNLOAD,
            object_type="report",
            object_id="q1",
            detail="line one\r\nforged: line two",
        )
        datagram = listener.recv(65536).decode()
    finally:
        stream.removeHandler(handler)
        handler.close()
        listener.close()

    priority, _, body = datagram.partition(">")
    assert priority.startswith("<")
    assert "\n" not in body.rstrip("\x00")
    line = json.loads(body.rstrip("\x00"))
    assert line["audit_id"] == event.pk
    assert line["action"] == "download"
    assert line["detail"] == "line one\r\nforged: line two"


def test_syslog_address_from_the_environment_adds_the_handler():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "LOG_SYSLOG_ADDRESS": "127.0.0.1:5514",
    }
    probe = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.LOGGING['handlers']['syslog']['address'], "
        "settings.LOGGING['loggers']['cirs.audit']['handlers']]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    address, handlers = json.loads(out.stdout.strip().splitlines()[-1])
    assert address == ["127.0.0.1", 5514]
    assert handlers == ["syslog"]
