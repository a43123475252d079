"""Issue 14 point 6 (docs/security-checklist.md row 33): the audit log survives its own
application. On PostgreSQL a statement trigger refuses TRUNCATE, and the application's
role (which owns nothing) can neither TRUNCATE, disable the trigger nor drop the table.
People are deactivated, never deleted, so their audit rows keep saying who it was."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.models import AuditEvent, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_role(requires_postgres):
    """A fresh application role (and one that may TRUNCATE, to prove the trigger),
    made in the test and dropped after it."""
    name = f"cirs_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN NOSUPERUSER")
    call_command("grant_app_role", name, stdout=io.StringIO())
    yield name
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(f"DROP OWNED BY {name}")
        cursor.execute(f"DROP ROLE {name}")


def _as(role: str, sql: str) -> None:
    """Run ``sql`` as ``role`` in a savepoint; the error, if any, propagates."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Rows made earlier in the test's transaction have deferred checks pending,
        # which PostgreSQL would give as its reason to refuse a TRUNCATE: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # On an error the savepoint's rollback undoes SET LOCAL ROLE as well.
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql)
        cursor.execute("RESET ROLE")


@pytest.fixture
def event(db):
    return AuditEvent.objects.create(action=AuditEvent.Action.VIEW, detail="kept")


def test_the_app_role_reads_and_adds_audit_rows(app_role, event):
    _as(app_role, "SELECT count(*) FROM accounts_auditevent")
    _as(
        app_role,
        "INSERT INTO accounts_auditevent (at, action, object_type, object_id, path, "
        "request_id, detail, object_ids) VALUES (now(), 'view', '', '', '', '', 'x', '')",
    )
    assert AuditEvent.objects.filter(detail="x").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE accounts_auditevent CASCADE",
        "ALTER TABLE accounts_auditevent DISABLE TRIGGER accounts_auditevent_append_only",
        "ALTER TABLE accounts_auditevent DISABLE TRIGGER accounts_auditevent_no_truncate",
        "DROP TRIGGER accounts_auditevent_no_truncate ON accounts_auditevent",
        "DROP TABLE accounts_auditevent CASCADE",
        "UPDATE accounts_auditevent SET detail = 'rewritten'",
        "DELETE FROM accounts_auditevent",
    ],
    ids=[
        "truncate",
        "disable",
        "disable truncate trigger",
        "drop trigger",
        "drop",
        "update",
        "delete",
    ],
)
def test_the_app_role_cannot_wipe_or_unguard_the_audit_log(app_role, event, sql):
    with pytest.raises(DatabaseError, match=r"permission denied|must be owner|append-only"):
        _as(app_role, sql)
    assert AuditEvent.objects.filter(pk=event.pk, detail="kept").exists()


def test_the_trigger_refuses_truncate_even_with_the_privilege(app_role, event):
    """Defence in depth: a role wrongly granted TRUNCATE still meets the trigger."""
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT TRUNCATE ON accounts_auditevent TO {app_role}")
    with pytest.raises(DatabaseError, match="TRUNCATE is refused"):
        _as(app_role, "TRUNCATE accounts_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- deactivate, never delete ------------------------------------------------------------


@pytest.fixture
def admin(db, settings):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    return UserFactory(username="ada", is_staff=True, is_superuser=True)


def test_deleting_a_person_in_the_admin_deactivates_them_and_keeps_their_audit(client, admin, flow):
    flow.referral()  # the manager now has referrals and audit history
    history = AuditEvent.objects.filter(user=flow.manager).count()
    assert history
    client.force_login(admin)
    url = reverse("admin:accounts_user_delete", args=[flow.manager.pk])

    page = client.get(url)
    response = client.post(url, {"post": "yes"}, follow=True)

    assert page.status_code == 200
    assert response.status_code == 200
    assert "deactivated instead of deleted" in response.text
    manager = User.objects.get(pk=flow.manager.pk)
    assert manager.is_active is False
    assert AuditEvent.objects.filter(user=manager).count() >= history
    assert AuditEvent.objects.filter(
        user=admin, object_id=str(manager.pk), detail="account deactivated"
    ).exists()


def test_the_admin_offers_no_bulk_delete_only_deactivate(client, admin, flow):
    client.force_login(admin)
    changelist = reverse("admin:accounts_user_changelist")

    page = client.get(changelist).text
    client.post(changelist, {"action": "deactivate", "_selected_action": [flow.manager.pk]})

    assert "delete_selected" not in page
    assert User.objects.get(pk=flow.manager.pk).is_active is False
