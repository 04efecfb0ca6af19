from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from busanhub import registry
from busanhub.accounts.models import User
from busanhub.accounts.roles import ROLES

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_without_debug_or_force(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert User.objects.count() == 0


def test_seed_demo_creates_one_login_per_role_and_is_idempotent(settings):
    settings.DEBUG = True
    calls = []
    registry.register_demo_seeder("test", lambda *, stdout, users: calls.append(users))
    try:
        out = StringIO()
        call_command("seed_demo", "--password", "demo-password-1", stdout=out)
        call_command("seed_demo", "--password", "demo-password-2", stdout=StringIO())
    finally:
        registry._seeders.pop("test")

    assert User.objects.count() == len(ROLES) + 1
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == len(ROLES) + 1
    citizen = User.objects.get(email="citizen@demo.busanhub.kr")
    assert list(citizen.groups.values_list("name", flat=True)) == ["citizen"]
    assert not citizen.is_staff
    assert citizen.check_password("demo-password-2")
    safety = User.objects.get(email="staff-safety@demo.busanhub.kr")
    assert safety.is_staff and not safety.is_superuser
    assert User.objects.get(email="auditor@demo.busanhub.kr").is_staff
    assert User.objects.get(email="identity-issuer@demo.busanhub.kr").is_staff
    assert not User.objects.get(email="merchant@demo.busanhub.kr").is_staff
    admin = User.objects.get(email="admin@demo.busanhub.kr")
    assert admin.is_superuser and admin.is_staff
    assert len(calls) == 2
    assert set(calls[0]) == {*ROLES, "admin"}
    assert calls[1]["citizen"].pk == citizen.pk
    assert "citizen@demo.busanhub.kr" in out.getvalue()
    assert "demo-password-1" in out.getvalue()


def test_seed_demo_password_from_environment(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-env-1")

    call_command("seed_demo", "--force", stdout=StringIO())

    assert User.objects.get(email="admin@demo.busanhub.kr").check_password("from-the-env-1")
