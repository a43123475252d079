"""The writes every page makes, with their SQL written once (config/writes.py): the
row is the ORM's, column for column, on whichever database the suite runs (SQLite by
default, PostgreSQL in CI); the model's signals are sent; what ``Model.save`` refuses is
refused; a session's save still says when the session is gone."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent, User
from config import writes

pytestmark = pytest.mark.django_db


def _event(who, **changes):
    fields = {
        "at": datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=UTC),  # the clocks go forward
        "user": who,
        "action": AuditEvent.Action.VIEW,
        "object_type": "referral",
        "object_id": "list of 3",
        "object_ids": "1,2,therapist:3",
        "path": '/referrals/triage/?q=O\'Brien & "Sons"',
        "ip": "2001:db8::1",
        "request_id": "req-1",
        "detail": "Zoë, naïve – ✓",
    }
    return AuditEvent(**(fields | changes))


def _columns(event) -> dict:
    row = model_to_dict(AuditEvent.objects.get(pk=event.pk))
    row.pop("id")
    return row


def test_the_inserted_row_is_the_orms(manager):
    for changes in ({}, {"user": None, "ip": None, "object_ids": "", "detail": ""}):
        ours = _event(manager, **changes)
        writes.insert_new(ours)
        theirs = _event(manager, **changes)
        theirs.save(force_insert=True)  # the ORM's own insert (save with arguments)

        assert ours.pk is not None and ours.pk != theirs.pk
        assert _columns(ours) == _columns(theirs)
        assert ours._state.adding is False
        assert ours._state.db == "default"


def test_an_audit_row_is_written_with_the_kept_statement(manager):
    event = _event(manager)
    with CaptureQueriesContext(connection) as captured:
        event.save()
    statement, fields, _returns = writes._insert_statement(AuditEvent, "default")
    assert [q["sql"] for q in captured.captured_queries][-1].startswith(
        statement.split(" VALUES ")[0]
    )
    assert "id" not in [field.column for field in fields]
    assert AuditEvent.objects.get(pk=event.pk).detail == event.detail
    # The same statement object next time: written once.
    assert writes._insert_statement(AuditEvent, "default")[0] is statement


def test_the_models_signals_are_sent(manager):
    heard = []

    def before(sender, instance, **kwargs):
        heard.append(("pre", instance.pk, kwargs["raw"], kwargs["using"]))

    def after(sender, instance, created, **kwargs):
        heard.append(("post", instance.pk is not None, created, kwargs["using"]))

    pre_save.connect(before, sender=AuditEvent)
    post_save.connect(after, sender=AuditEvent)
    try:
        writes.insert_new(_event(manager))
    finally:
        pre_save.disconnect(before, sender=AuditEvent)
        post_save.disconnect(after, sender=AuditEvent)
    assert heard == [("pre", None, False, "default"), ("post", True, True, "default")]


def test_what_save_refuses_is_refused(manager):
    saved = _event(manager)
    writes.insert_new(saved)
    with pytest.raises(ValueError, match="new row"):
        writes.insert_new(saved)
    with pytest.raises(PermissionError):
        saved.save()  # the audit log is append-only
    from django.contrib.sessions.models import Session as KeyChosenByCaller

    with pytest.raises(ValueError, match="database-made key"):
        writes.insert_new(KeyChosenByCaller(session_data="x", expire_date=timezone.now()))
    never_saved = User(username="not-saved")
    with pytest.raises(ValueError, match="unsaved related object"):
        writes.insert_new(_event(never_saved))
    assert AuditEvent.objects.count() == 1


def test_update_by_pk_is_the_orms_update():
    expiry = timezone.now() + timedelta(hours=12)
    Session.objects.create(session_key="k" * 32, session_data="before", expire_date=expiry)
    Session.objects.create(session_key="o" * 32, session_data="other", expire_date=expiry)

    later = expiry + timedelta(minutes=5, microseconds=7)
    updated = writes.update_by_pk(
        Session, "k" * 32, session_data="after: ' \" \\ ✓", expire_date=later
    )

    assert updated == 1
    row = Session.objects.get(session_key="k" * 32)
    assert (row.session_data, row.expire_date) == ("after: ' \" \\ ✓", later)
    assert Session.objects.get(session_key="o" * 32).session_data == "other"
    assert writes.update_by_pk(Session, "gone" * 8, session_data="x", expire_date=later) == 0
    assert not Session.objects.filter(session_key="gone" * 8).exists()
