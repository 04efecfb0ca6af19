"""Creates the portal's roles and gives the auditor read-only access to every model so far.

Service apps grant their own models later, in their own data migrations, with
busanhub.accounts.roles.grant_app_permissions (staff group: all; auditor: view only).
"""

from django.db import migrations

from busanhub.accounts.roles import ROLES, ensure_permissions

AUDITOR = "auditor"


def create_roles(apps, schema_editor):
    using = schema_editor.connection.alias
    ensure_permissions(apps, using)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name in ROLES:
        group_model.objects.using(using).get_or_create(name=name)
    auditor = group_model.objects.using(using).get(name=AUDITOR)
    auditor.permissions.add(
        *permission_model.objects.using(using).filter(codename__startswith="view_")
    )


def delete_roles(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    group_model.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "__latest__"),
        ("contenttypes", "__latest__"),
        # Every model installed before the service apps, so the auditor can view them all.
        ("admin", "__latest__"),
        ("sessions", "__latest__"),
        ("sites", "__latest__"),
        ("account", "__latest__"),
        ("mfa", "__latest__"),
        ("authtoken", "__latest__"),
        ("django_celery_beat", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
