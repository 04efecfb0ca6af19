import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.auth.models import Permission
from django.urls import reverse

from busanhub.accounts.models import User

from .factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def current_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def sign_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_admin_login_goes_through_allauth(client):
    response = client.get(reverse("admin:login") + "?next=/admin/auth/group/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fauth%2Fgroup%2F"


def test_admin_shows_a_signed_in_non_staff_user_the_403_page_not_a_login_loop(client):
    # Given a signed-in citizen
    client.force_login(UserFactory())

    # When she opens the admin, its login page, or a page inside it
    for url in (
        reverse("admin:index"),
        reverse("admin:login") + "?next=/admin/",
        reverse("admin:accounts_user_changelist"),
    ):
        response = client.get(url)
        # Then she gets the 403 page (before: a redirect to the login, which sent her back)
        assert response.status_code == 403, url
        assert "403.html" in [template.name for template in response.templates]


def test_admin_sends_an_anonymous_visitor_to_the_login(client):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_opens_for_staff_when_mfa_not_required(client, settings):
    settings.ADMIN_REQUIRE_MFA = False
    client.force_login(StaffFactory())

    assert client.get(reverse("admin:index")).status_code == 200


def test_mfa_gate_sends_staff_without_authenticator_to_activation(client, settings):
    settings.ADMIN_REQUIRE_MFA = True
    staff = StaffFactory(is_superuser=True)
    sign_in(client, staff)

    response = client.get(reverse("admin:accounts_user_changelist"), follow=False)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(response["Location"], follow=True)
    assert "two-factor" in page.text.lower() or "2단계" in page.text
    assert not staff.authenticator_set.exists()


def test_mfa_gate_admits_staff_who_signed_in_with_totp(client, settings):
    settings.ADMIN_REQUIRE_MFA = True
    staff = StaffFactory(is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    response = sign_in(client, staff)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302

    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.templates[0].name == "admin/index.html"


def test_mfa_gate_asks_for_the_second_factor_when_the_session_skipped_it(client, settings):
    settings.ADMIN_REQUIRE_MFA = True
    staff = StaffFactory(is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)  # e.g. logged in before activating MFA

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_auditor_sees_the_admin_read_only(client, settings):
    settings.ADMIN_REQUIRE_MFA = False
    auditor = StaffFactory(roles=["auditor"])
    other = UserFactory(name="Before")
    client.force_login(auditor)

    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    change_page = client.get(reverse("admin:accounts_user_change", args=[other.pk]))
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.text
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    response = client.post(
        reverse("admin:accounts_user_change", args=[other.pk]),
        {"email": other.email, "name": "After", "preferred_language": "ko"},
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("admin:accounts_user_delete", args=[other.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    other.refresh_from_db()
    assert other.name == "Before"
    assert User.objects.filter(pk=other.pk).exists()
    assert (
        not Permission.objects.filter(group__name="auditor")
        .exclude(codename__startswith="view_")
        .exists()
    )


def test_user_admin_search_and_public_id_read_only(client, settings):
    settings.ADMIN_REQUIRE_MFA = False
    client.force_login(StaffFactory(is_superuser=True))
    target = UserFactory(email="haeundae@example.kr", name="해운대")
    UserFactory(email="other@example.kr", name="기타")

    response = client.get(reverse("admin:accounts_user_changelist"), {"q": "해운대"})
    assert list(response.context["cl"].result_list) == [target]

    page = client.get(reverse("admin:accounts_user_change", args=[target.pk])).text
    assert str(target.public_id) in page
    assert 'name="public_id"' not in page


def test_user_admin_creates_user_by_email(client, settings):
    settings.ADMIN_REQUIRE_MFA = False
    client.force_login(StaffFactory(is_superuser=True))

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new@busan.go.kr",
            "usable_password": "true",
            "password1": "seomyeon-station-1",
            "password2": "seomyeon-station-1",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(email="new@busan.go.kr").check_password("seomyeon-station-1")
