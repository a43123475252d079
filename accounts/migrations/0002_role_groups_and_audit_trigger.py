"""What accounts cannot run without: one group per role, named by the role's stable
code, and (on PostgreSQL) the trigger that keeps the audit log append-only even for code
that bypasses the model."""

from django.db import migrations

from accounts.roles import ensure_role_groups

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION cirs_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
CREATE TRIGGER accounts_auditevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditevent
    FOR EACH ROW EXECUTE FUNCTION cirs_audit_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
DROP FUNCTION IF EXISTS cirs_audit_append_only();
"""


def add_role_groups(apps, schema_editor):
    ensure_role_groups(apps.get_model("auth", "Group"))


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(add_role_groups, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
