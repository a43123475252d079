"""Erasure and retention (issue 14 point 7): an outbox e-mail knows its referral, and a
referral its last activity (existing ones: their latest transition, or creation)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import Max


def last_activity_from_history(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    for referral in Referral.objects.annotate(latest=Max("transitions__at")).iterator():
        at = max(filter(None, [referral.created_at, referral.latest]))
        Referral.objects.filter(pk=referral.pk).update(last_activity_at=at)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0004_name_characters"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="referral",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="referrals.referral",
            ),
        ),
        migrations.AddField(
            model_name="referral",
            name="last_activity_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.RunPython(last_activity_from_history, migrations.RunPython.noop),
    ]
