"""The portal's roles are auth Groups, created by the data migration `accounts.0002_roles`."""

from django.contrib.auth.models import Group

ROLES = [
    "citizen",
    "student",
    "instructor",
    "merchant",
    "auditor",
    "identity-issuer",
    "staff-safety",
    "staff-logistics",
    "staff-vouchers",
    "staff-exchange",
    "staff-education",
]

# Each staff group sees only its own admin sections: the app labels whose models it manages.
STAFF_ROLE_APPS = {
    "identity-issuer": ["identity"],
    "staff-safety": ["safety"],
    "staff-logistics": ["logistics"],
    "staff-vouchers": ["vouchers"],
    "staff-exchange": ["exchange"],
    "staff-education": ["education"],
}

# Roles whose members work in the Django admin (is_staff).
ADMIN_ROLES = ["auditor", *STAFF_ROLE_APPS]

AUDITOR_ROLE = "auditor"


def role_assign(*, user, role: str) -> None:
    """Adds the user to the role's group (idempotent)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)


def ensure_permissions(apps, using: str = "default") -> None:
    """Creates the content types and permissions of every app now, not after `migrate` ends.

    Django only creates permissions in its post_migrate signal, so a data migration that wants
    to grant them must create them first. `apps` is the migration's historical app registry.
    """
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        # Historical app configs leave models_module unset, and both helpers skip those.
        app_config.models_module = models_module or True
        try:
            create_contenttypes(app_config, verbosity=0, using=using, apps=apps)
            create_permissions(app_config, verbosity=0, using=using, apps=apps)
        finally:
            app_config.models_module = models_module


def grant_app_permissions(
    apps, schema_editor_or_none, *, group_name: str, app_labels, view_only: bool = False
) -> int:
    """Grants a group the permissions on every model of the given apps; returns how many.

    Meant for the data migrations of service apps, which give their staff group (see
    STAFF_ROLE_APPS) all permissions on their own models and the auditor the view ones::

        from busanhub.accounts.roles import grant_app_permissions

        def grant(apps, schema_editor):
            grant_app_permissions(apps, schema_editor, group_name="staff-safety",
                                  app_labels=["safety"])
            grant_app_permissions(apps, schema_editor, group_name="auditor",
                                  app_labels=["safety"], view_only=True)

        class Migration(migrations.Migration):
            dependencies = [("safety", "0001_initial"), ("accounts", "0002_roles")]
            operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

    `apps` is the migration's historical registry (or `django.apps.apps` outside migrations);
    `schema_editor_or_none` names the database (None: "default"). The permissions are
    created first, since `migrate` only creates them in its post_migrate step. The group is
    created when missing. Idempotent: granting again adds nothing. `view_only=True` grants
    only the `view_*` permissions.
    """
    using = schema_editor_or_none.connection.alias if schema_editor_or_none else "default"
    ensure_permissions(apps, using)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.using(using).get_or_create(name=group_name)
    permissions = permission_model.objects.using(using).filter(
        content_type__app_label__in=list(app_labels)
    )
    if view_only:
        permissions = permissions.filter(codename__startswith="view_")
    permissions = list(permissions)
    group.permissions.add(*permissions)
    return len(permissions)
