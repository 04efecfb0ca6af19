from django.db import migrations

from busanhub.accounts.roles import grant_app_permissions


def grant(apps, schema_editor):
    # Auditors watch anchoring (batches, leaves, deployments) but change nothing.
    grant_app_permissions(
        apps, schema_editor, group_name="auditor", app_labels=["chain"], view_only=True
    )


class Migration(migrations.Migration):
    dependencies = [("chain", "0002_periodic_tasks"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
