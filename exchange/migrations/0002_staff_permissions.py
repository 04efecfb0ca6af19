from django.db import migrations

from busanhub.accounts.roles import grant_app_permissions


def grant(apps, schema_editor):
    grant_app_permissions(apps, schema_editor, group_name="staff-exchange", app_labels=["exchange"])
    grant_app_permissions(
        apps, schema_editor, group_name="auditor", app_labels=["exchange"], view_only=True
    )


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial"), ("accounts", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
