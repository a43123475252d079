"""Reference data the service cannot run without: the role groups, the exit pathways
of SERVICE.md step 11, and (on PostgreSQL) the trigger that keeps the audit log
append-only even for code that bypasses the model."""

from django.db import migrations

from referrals.reference_data import ensure_reference_data

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION cirs_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS referrals_auditevent_append_only ON referrals_auditevent;
CREATE TRIGGER referrals_auditevent_append_only
    BEFORE UPDATE OR DELETE ON referrals_auditevent
    FOR EACH ROW EXECUTE FUNCTION cirs_audit_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS referrals_auditevent_append_only ON referrals_auditevent;
DROP FUNCTION IF EXISTS cirs_audit_append_only();
"""


def add_reference_data(apps, schema_editor):
    ensure_reference_data(
        apps.get_model("auth", "Group"), apps.get_model("referrals", "ExitPathway")
    )


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(add_reference_data, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
