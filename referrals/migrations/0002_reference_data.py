"""Reference data the service cannot run without: the exit pathways (docs/service.md,
step 11)."""

from django.db import migrations

from referrals.reference_data import ensure_exit_pathways


def add_exit_pathways(apps, schema_editor):
    ensure_exit_pathways(apps.get_model("referrals", "ExitPathway"))


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(add_exit_pathways, migrations.RunPython.noop)]
