import uuid

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from busanhub.accounts.models import User
from busanhub.accounts.roles import ROLES, grant_app_permissions, role_assign

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_is_normalised():
    user = User.objects.create_user(email="Jane@Example.KR", password="x-long-password")

    assert user.email == "jane@example.kr"
    assert user.check_password("x-long-password")
    assert isinstance(user.public_id, uuid.UUID)
    assert user.preferred_language == "ko"
    assert not user.is_staff


def test_create_user_without_email_is_refused():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(email="", password="x")
    assert User.objects.count() == 0


def test_superuser_is_staff():
    admin = User.objects.create_superuser(email="root@busan.go.kr", password="pw-pw-pw-pw")
    assert admin.is_staff and admin.is_superuser


def test_every_role_exists_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def test_auditor_has_only_view_permissions_on_every_model():
    auditor = Group.objects.get(name="auditor")
    codenames = set(auditor.permissions.values_list("content_type__app_label", "codename"))

    assert codenames
    assert all(codename.startswith("view_") for _, codename in codenames)
    for model in (
        apps.get_model("accounts", "User"),
        apps.get_model("auth", "Group"),
        apps.get_model("account", "EmailAddress"),
        apps.get_model("mfa", "Authenticator"),
    ):
        assert (model._meta.app_label, f"view_{model._meta.model_name}") in codenames


def test_role_assign_is_idempotent_and_refuses_unknown_roles():
    user = UserFactory()
    role_assign(user=user, role="merchant")
    role_assign(user=user, role="merchant")
    assert list(user.groups.values_list("name", flat=True)) == ["merchant"]

    with pytest.raises(ValueError, match="unknown role"):
        role_assign(user=user, role="mayor")
    assert list(user.groups.values_list("name", flat=True)) == ["merchant"]


def test_grant_app_permissions_full_and_view_only():
    granted = grant_app_permissions(apps, None, group_name="test-staff", app_labels=["mfa"])
    again = grant_app_permissions(apps, None, group_name="test-staff", app_labels=["mfa"])
    grant_app_permissions(apps, None, group_name="new-group", app_labels=["mfa"], view_only=True)

    mfa_perms = Permission.objects.filter(content_type__app_label="mfa")
    staff = Group.objects.get(name="test-staff")
    assert granted == again == mfa_perms.count()
    assert set(staff.permissions.all()) == set(mfa_perms)
    assert set(Group.objects.get(name="new-group").permissions.all()) == set(
        mfa_perms.filter(codename__startswith="view_")
    )


def test_module_permissions_follow_the_users_permissions():
    # Given a staff member who may only view payments
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_payment"))
    user = User.objects.get(pk=user.pk)

    # Then the admin shows her the vouchers app only
    assert user.has_module_perms("vouchers") is True
    assert user.has_module_perms("exchange") is False

    # And once deactivated, nothing
    user.is_active = False
    user.save(update_fields=["is_active"])
    user = User.objects.get(pk=user.pk)
    assert user.has_module_perms("vouchers") is False
