"""Numbered status lists: an issuer opens list n + 1 when list n is full. The lists made so far
are list 1 (their slugs and URLs unchanged), and every credential with a status entry is on
list 1."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0006_issuer_name_ko"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="credential",
            name="identity_unique_status_index",
        ),
        migrations.RemoveConstraint(
            model_name="statuslist",
            name="identity_one_list_per_purpose",
        ),
        migrations.AddField(
            model_name="credential",
            name="status_list_number",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="status list number"
            ),
        ),
        migrations.RunSQL(
            "UPDATE identity_credential SET status_list_number = 1 WHERE status_index IS NOT NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AddField(
            model_name="statuslist",
            name="capacity",
            field=models.PositiveIntegerField(
                default=131072, verbose_name="capacity (entries issued)"
            ),
        ),
        migrations.AddField(
            model_name="statuslist",
            name="number",
            field=models.PositiveIntegerField(default=1, verbose_name="list number"),
        ),
        migrations.AddConstraint(
            model_name="credential",
            constraint=models.UniqueConstraint(
                fields=("issuer", "status_list_number", "status_index"),
                name="identity_unique_status_entry",
            ),
        ),
        migrations.AddConstraint(
            model_name="credential",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status_index__isnull", True), ("status_list_number__isnull", True)),
                    models.Q(
                        ("status_index__isnull", False), ("status_list_number__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="identity_status_entry_complete",
            ),
        ),
        migrations.AddConstraint(
            model_name="statuslist",
            constraint=models.UniqueConstraint(
                fields=("issuer", "purpose", "number"), name="identity_one_list_per_number"
            ),
        ),
        migrations.AddConstraint(
            model_name="statuslist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("number__gte", 1), ("capacity__gte", 1), ("capacity__lte", models.F("length"))
                ),
                name="identity_status_list_capacity_within_length",
            ),
        ),
    ]
