"""Reference data the service cannot run without: the role groups, the exit pathways
of SERVICE.md step 11, and (on PostgreSQL) the trigger that keeps the audit log
append-only even for code that bypasses the model."""

from django.db import migrations

ROLES = [
    "Line manager",
    "Principal Social Worker",
    "Service Manager for Practice Excellence",
    "Provider coordinator",
    "Therapist",
    "Service lead",
]

EXIT_PATHWAYS = [
    ("no_further_support", "No further support needed", "No further support is needed from this service.", 1),
    (
        "wellbeing_service",
        "LCC wellbeing service",
        "The council's wellbeing service has been suggested as a source of further support.",
        2,
    ),
    ("gp", "GP", "Support through their own GP has been suggested.", 3),
    (
        "nhs_mental_health",
        "NHS mental health services",
        "Longer-term support through health services has been suggested.",
        4,
    ),
    (
        "out_of_scope",
        "Out of scope of this service (advised to see GP)",
        "Support outside the scope of this service has been suggested, through their own GP.",
        5,
    ),
]

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
    Group = apps.get_model("auth", "Group")
    ExitPathway = apps.get_model("referrals", "ExitPathway")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for code, label, wording, order in EXIT_PATHWAYS:
        ExitPathway.objects.update_or_create(
            code=code, defaults={"label": label, "general_wording": wording, "order": order}
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
