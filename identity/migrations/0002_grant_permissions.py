from django.db import migrations

from busanhub.accounts.roles import grant_app_permissions


def grant(apps, schema_editor):
    grant_app_permissions(
        apps, schema_editor, group_name="identity-issuer", app_labels=["identity"]
    )
    grant_app_permissions(
        apps, schema_editor, group_name="auditor", app_labels=["identity"], view_only=True
    )


class Migration(migrations.Migration):
    dependencies = [("identity", "0001_initial"), ("accounts", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
