"""On PostgreSQL, TRUNCATE of the audit log is refused too (a statement-level trigger:
the row-level one never sees a TRUNCATE). Only a superuser passes, so the test
database can still be emptied between tests; the application never runs as one
(docs/deployment-security.md, "Two database roles")."""

from django.db import migrations

NO_TRUNCATE_SQL = """
CREATE OR REPLACE FUNCTION cirs_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'The audit log is append-only: TRUNCATE is refused';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent;
CREATE TRIGGER accounts_auditevent_no_truncate
    BEFORE TRUNCATE ON accounts_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION cirs_audit_no_truncate();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent;
DROP FUNCTION IF EXISTS cirs_audit_no_truncate();
"""


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_TRUNCATE_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_audit_object_ids")]

    operations = [migrations.RunPython(add_trigger, drop_trigger)]
