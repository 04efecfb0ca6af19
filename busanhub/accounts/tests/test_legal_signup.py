"""Privacy policy and terms pages, sign-up with a name and acceptance, and "resend the
confirmation e-mail"."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.urls import reverse

from busanhub.accounts import legal
from busanhub.accounts.models import Consent, User

from .factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "haeundae-beach-2026"


def signup(client, **overrides):
    data = {
        "name": "박서준",
        "email": "seojun@example.kr",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "accept_terms": "on",
    }
    data.update(overrides)
    return client.post(reverse("account_signup"), {k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize(
    ("language", "privacy_heading", "terms_heading", "officer"),
    [
        ("ko", "개인정보 처리방침", "이용약관", "개인정보 보호책임자"),
        ("en", "Privacy policy", "Terms of use", "Privacy officer"),
    ],
)
def test_privacy_and_terms_pages_in_each_language(
    client, language, privacy_heading, terms_heading, officer
):
    client.cookies["django_language"] = language

    privacy = client.get(reverse("accounts:privacy"))
    terms = client.get(reverse("accounts:terms"))

    assert privacy.status_code == 200 and terms.status_code == 200
    privacy_html, terms_html = privacy.content.decode(), terms.content.decode()
    assert f"<h1>{privacy_heading}</h1>" in privacy_html
    assert f"<h1>{terms_heading}</h1>" in terms_html
    assert officer in privacy_html
    assert "privacy@busanhub.example" in privacy_html
    assert legal.PRIVACY_VERSION in privacy_html and legal.TERMS_VERSION in terms_html
    assert "SHA-256" in privacy_html  # the chain holds only digests


@pytest.mark.parametrize(
    ("language", "labels"),
    [("ko", ("서비스", "항목", "목적")), ("en", ("Service", "Information", "Purpose"))],
)
def test_privacy_table_cells_name_their_column_for_stacked_rows_on_phones(client, language, labels):
    # Given the privacy page in each language
    client.cookies["django_language"] = language

    # When it is rendered
    html = client.get(reverse("accounts:privacy")).content.decode()

    # Then every body row's three cells carry their column's header as a label
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>")
    service, information, purpose = labels
    assert rows == 7
    assert html.count(f'<th scope="row" data-label="{service}">') == rows
    assert html.count(f'<td data-label="{information}">') == rows
    assert html.count(f'<td data-label="{purpose}">') == rows
    for label in labels:
        assert f'<th scope="col">{label}</th>' in html
    # and the phone layout (stacked rows, headers hidden) shows those labels
    css = (settings.BASE_DIR / "static/css/portal.css").read_text()
    phone = css.split(".legal-table thead { display: none; }", 1)[1].split("\n}", 1)[0]
    assert ".legal-table [data-label]::before { content: attr(data-label);" in phone


def test_footer_links_to_privacy_and_terms(client):
    html = client.get(reverse("accounts:home")).content.decode()

    assert f'href="{reverse("accounts:privacy")}"' in html
    assert f'href="{reverse("accounts:terms")}"' in html


def test_signup_form_links_the_documents_from_its_checkbox(client):
    html = client.get(reverse("account_signup")).content.decode()

    assert 'name="name"' in html and 'name="accept_terms"' in html
    assert f'<a href="{reverse("accounts:terms")}" target="_blank">' in html
    assert f'<a href="{reverse("accounts:privacy")}" target="_blank">' in html


def test_signup_stores_the_name_and_records_the_versions_accepted(client):
    response = signup(client)

    assert response.status_code == 302
    user = User.objects.get(email="seojun@example.kr")
    assert user.name == "박서준"
    consents = {c.document: c for c in Consent.objects.filter(user=user)}
    assert set(consents) == {"terms", "privacy"}
    assert consents["terms"].version == legal.TERMS_VERSION
    assert consents["privacy"].version == legal.PRIVACY_VERSION
    assert consents["terms"].accepted_at is not None


@pytest.mark.parametrize("missing", ["accept_terms", "name"])
def test_signup_without_acceptance_or_name_is_refused(client, missing):
    response = signup(client, **{missing: None})

    assert response.status_code == 200
    assert missing in response.context["form"].errors
    assert not User.objects.filter(email="seojun@example.kr").exists()
    assert Consent.objects.count() == 0
    assert mail.outbox == []


def test_verification_pending_and_login_pages_link_the_resend_action(client):
    url = reverse("accounts:resend-confirmation")

    assert url in client.get(reverse("account_email_verification_sent")).content.decode()
    assert url in client.get(reverse("account_login")).content.decode()


def test_resend_sends_a_new_confirmation_once_then_is_rate_limited(client):
    signup(client)
    mail.outbox.clear()
    url = reverse("accounts:resend-confirmation")

    # allauth sent the sign-up e-mail moments ago: the per-address limit (1 per 3 minutes) holds
    response = client.post(url, {"email": "seojun@example.kr"})
    assert response.status_code == 302
    assert mail.outbox == []

    from django.core.cache import cache

    cache.clear()  # three minutes later
    client.post(url, {"email": "SEOJUN@example.kr"})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["seojun@example.kr"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body

    client.post(url, {"email": "seojun@example.kr"})
    assert len(mail.outbox) == 1  # the second within the window is not sent


def test_resend_answers_the_same_for_unknown_and_verified_addresses(client):
    verified = UserFactory()
    EmailAddress.objects.get_or_create(
        user=verified, email=verified.email, defaults={"verified": True, "primary": True}
    )
    url = reverse("accounts:resend-confirmation")

    unknown = client.post(url, {"email": "nobody@example.kr"}, follow=True)
    known = client.post(url, {"email": verified.email}, follow=True)

    assert mail.outbox == []
    assert [str(m) for m in unknown.context["messages"]] == [
        str(m) for m in known.context["messages"]
    ]


def test_resend_is_rate_limited_per_ip(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "resend_confirmation": "2/m/ip"}
    url = reverse("accounts:resend-confirmation")

    codes = [client.post(url, {"email": f"x{n}@example.kr"}).status_code for n in range(3)]

    assert codes == [302, 302, 429]


def test_resend_with_a_bad_address_is_a_form_error(client):
    response = client.post(reverse("accounts:resend-confirmation"), {"email": "not-an-address"})

    assert response.status_code == 400
    assert "email" in response.context["form"].errors


def test_staff_see_a_users_consents_in_the_admin(client):
    signup(client)
    user = User.objects.get(email="seojun@example.kr")
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)

    html = client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()

    assert html.count(legal.TERMS_VERSION) >= 2  # one row per document
    assert "이용약관" in html and "개인정보 처리방침" in html  # the admin is in Korean
