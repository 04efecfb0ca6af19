"""`manage.py seed_demo`: one demo login per role, then every service's demo data."""

import os

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from busanhub import registry
from busanhub.accounts.models import User
from busanhub.accounts.roles import ADMIN_ROLES, ROLES, role_assign

DEFAULT_PASSWORD = "busan-demo-2026"  # noqa: S105 - a published demo password, dev only
DEMO_DOMAIN = "demo.busanhub.kr"
ADMIN_KEY = "admin"


def demo_email(role: str) -> str:
    return f"{role}@{DEMO_DOMAIN}"


@transaction.atomic
def demo_user_upsert(
    *,
    email: str,
    name: str,
    password: str,
    roles: list[str],
    is_staff: bool,
    is_superuser: bool = False,
) -> User:
    """Creates or updates one demo login with a verified primary email. Idempotent."""
    user = User.objects.filter(email=email).first() or User(email=email)
    user.name = name
    user.is_active = True
    user.is_staff = is_staff
    user.is_superuser = is_superuser
    user.set_password(password)
    user.full_clean(exclude=["password"], validate_unique=user._state.adding)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    for role in roles:
        role_assign(user=user, role=role)
    return user


class Command(BaseCommand):
    help = "Creates demo users for every role and each service's demo data (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for every demo login")
        parser.add_argument(
            "--force", action="store_true", help="run even though DEBUG is off (never in prod)"
        )

    def handle(self, *args, password=None, force=False, **options):
        if not (settings.DEBUG or force):
            raise CommandError(
                "seed_demo creates known logins: it runs only with DEBUG or --force."
            )
        password = password or os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD

        users: dict[str, User] = {}
        for role in ROLES:
            users[role] = demo_user_upsert(
                email=demo_email(role),
                name=f"Demo {role}",
                password=password,
                roles=[role],
                is_staff=role in ADMIN_ROLES,
            )
        users[ADMIN_KEY] = demo_user_upsert(
            email=demo_email(ADMIN_KEY),
            name="Demo admin",
            password=password,
            roles=[],
            is_staff=True,
            is_superuser=True,
        )

        for seeder in registry.demo_seeders():
            seeder(stdout=self.stdout, users=users)

        width = max(len(role) for role in users)
        self.stdout.write(self.style.SUCCESS("Demo logins (all with the same password):"))
        self.stdout.write(f"  {'role'.ljust(width)}  email")
        for role, user in users.items():
            self.stdout.write(f"  {role.ljust(width)}  {user.email}")
        self.stdout.write(f"  password: {password}")
