import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.urls import reverse

from busanhub import registry
from busanhub.accounts.middleware import APPLIED_SESSION_KEY
from busanhub.accounts.models import User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP_PASSWORD = "gwangalli-bridge-2026"


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_requires_email_confirmation_then_logs_in_as_citizen(client):
    response = client.post(
        reverse("account_signup"),
        {
            "name": "김민지",
            "email": "minji@example.kr",
            "password1": SIGNUP_PASSWORD,
            "password2": SIGNUP_PASSWORD,
            "accept_terms": "on",
        },
    )

    # Mandatory verification: not logged in yet, one email sent.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["minji@example.kr"]
    user = User.objects.get(email="minji@example.kr")
    assert list(user.groups.values_list("name", flat=True)) == ["citizen"]
    assert user.preferred_language == "ko"
    assert not EmailAddress.objects.get(user=user).verified

    link = confirmation_link(mail.outbox[0])
    assert client.get(link).status_code == 200  # a confirm button, not a change on GET
    response = client.post(link)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:dashboard")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_unverified_user_cannot_log_in(client):
    user = UserFactory(verified_email=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_login_with_wrong_password_is_rate_limited(client):
    user = UserFactory()
    url = reverse("account_login")

    for _ in range(5):
        response = client.post(url, {"login": user.email, "password": "wrong-password"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    # The 6th failure for the same account within 5 minutes is refused, even with the
    # right password: allauth answers with a form error and does not log in.
    response = client.post(url, {"login": user.email, "password": PASSWORD})

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.last_login is None


def test_login_activates_preferred_language(client):
    user = UserFactory(preferred_language="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"

    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.get(reverse("accounts:dashboard"))

    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "My BusanHub" in response.text
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.session[APPLIED_SESSION_KEY] is True


def test_home_is_korean_by_default_and_english_after_switching(client):
    response = client.get(reverse("accounts:home"))
    assert '<html lang="ko">' in response.text
    assert "부산의 공공 서비스를 한곳에서" in response.text

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    response = client.get(reverse("accounts:home"))

    assert '<html lang="en">' in response.text
    assert "Busan's public services, in one place" in response.text


def test_language_switch_while_signed_in_saves_the_preference(client):
    user = UserFactory(preferred_language="ko")
    client.force_login(user)
    client.get(reverse("accounts:dashboard"))

    client.post(reverse("set_language"), {"language": "en", "next": "/me/"})

    user.refresh_from_db()
    assert user.preferred_language == "en"
    assert "My BusanHub" in client.get(reverse("accounts:dashboard")).text


def test_language_switch_to_an_unknown_language_changes_nothing(client):
    user = UserFactory(preferred_language="ko")
    client.force_login(user)

    client.post(reverse("set_language"), {"language": "xx", "next": "/me/"})

    user.refresh_from_db()
    assert user.preferred_language == "ko"


def test_dashboard_requires_login(client):
    response = client.get(reverse("accounts:dashboard"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/me/"


@pytest.fixture
def test_panel():
    panel = registry.DashboardPanel(
        slug="test-panel",
        title="Test panel",
        template_name="accounts/tests/panel.html",
        context=lambda request: {"greeting": f"hello {request.user.email}"},
    )
    registry.register_dashboard_panel(panel)
    yield panel
    registry._panels.pop(panel.slug, None)


def test_dashboard_renders_registered_panels(client, test_panel, settings, tmp_path):
    (tmp_path / "accounts" / "tests").mkdir(parents=True)
    (tmp_path / "accounts" / "tests" / "panel.html").write_text("<p>{{ greeting }}</p>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("accounts:dashboard"))

    assert response.status_code == 200
    assert "Test panel" in response.text
    assert f"<p>hello {user.email}</p>" in response.text


def test_profile_update_saves_and_switches_language(client):
    user = UserFactory(name="김민지", preferred_language="ko")
    client.force_login(user)

    response = client.post(
        reverse("accounts:profile"), {"name": "Kim Minji", "preferred_language": "en"}
    )

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    user.refresh_from_db()
    assert (user.name, user.preferred_language) == ("Kim Minji", "en")
    page = client.get(reverse("accounts:profile")).text
    assert "Your profile has been saved." in page


def test_profile_with_invalid_language_is_refused(client):
    user = UserFactory(name="김민지", preferred_language="ko")
    client.force_login(user)

    response = client.post(reverse("accounts:profile"), {"name": "X", "preferred_language": "fr"})

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    assert 'aria-describedby="id_preferred_language_error"' in response.text
    user.refresh_from_db()
    assert (user.name, user.preferred_language) == ("김민지", "ko")


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("language", "heading"),
    [("ko", "페이지를 찾을 수 없습니다"), ("en", "Page not found")],
)
def test_404_page_in_both_languages(client, language, heading):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert [t.name for t in response.templates][0] == "404.html"
    assert f'<html lang="{language}">' in response.text
    assert heading in response.text


def test_500_page_renders_without_request_context(rf):
    from busanhub.accounts.views import error_500

    response = error_500(rf.get("/"))

    assert response.status_code == 500
    assert b"BusanHub" in response.content


def test_pages_carry_no_inline_script_or_style(client):
    text = client.get(reverse("accounts:home")).text
    assert "style=" not in text
    assert re.search(r"<script(?![^>]*\bsrc=)", text) is None


def test_the_dashboard_of_a_citizen_without_courses_or_wallet_stays_within_its_queries(
    client, django_assert_max_num_queries
):
    from busanhub.accounts.tests.factories import UserFactory as CitizenFactory

    client.force_login(CitizenFactory())
    client.get("/me/")  # the session is read once
    # session, user, and one per panel: B Pass, vouchers, exchange, safety, logistics (its
    # master data link and recalls together), education (five more only for its students)
    with django_assert_max_num_queries(8):
        response = client.get("/me/")
    assert response.status_code == 200
