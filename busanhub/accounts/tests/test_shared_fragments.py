"""The base template's header and footer are rendered once per process (busanhub/fragments.py):
what they show still follows the reader's language and sign-in, and each reader's CSRF token
and path are their own."""

import re

import pytest
from django.conf import settings
from django.test import Client

from busanhub.accounts.tests.factories import UserFactory
from busanhub.fragments import shared_clear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_fragments():
    shared_clear()
    yield
    shared_clear()


def tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


def test_signed_in_and_anonymous_readers_each_get_their_own_header(client):
    # Given a signed-in reader's page rendered first, then an anonymous reader's
    signed_in = Client()
    signed_in.force_login(UserFactory())
    first = signed_in.get("/privacy/").content.decode()
    second = client.get("/privacy/").content.decode()

    # Then each shows its own account links
    assert 'action="/accounts/logout/"' in first and "/accounts/login/" not in first
    assert "/accounts/login/" in second and 'action="/accounts/logout/"' not in second


def test_the_header_follows_the_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/privacy/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    korean = client.get("/privacy/").content.decode()

    assert "Skip to main content" in english and "Sign in" in english
    assert "Skip to main content" not in korean and "Sign in" not in korean
    assert '<option value="ko" lang="ko" selected>' in korean
    assert '<option value="en" lang="en" selected>' in english


def test_csrf_tokens_and_the_path_are_never_shared_between_readers():
    # Given two signed-in readers, the second on another page
    first, second = Client(), Client()
    first.force_login(UserFactory())
    second.force_login(UserFactory())
    first_page = first.get("/privacy/").content.decode()
    second_page = second.get("/terms/").content.decode()

    # Then each page carries only its own reader's token (logout and language forms)
    first_tokens, second_tokens = tokens(first_page), tokens(second_page)
    assert len(first_tokens) == 1 and len(second_tokens) == 1
    assert first_tokens != second_tokens
    assert first_page.count("csrfmiddlewaretoken") == 2
    assert '<input type="hidden" name="next" value="/terms/">' in second_page
    assert '<input type="hidden" name="next" value="/terms/">' not in first_page


def test_the_home_page_follows_sign_in_and_language(client):
    # Given the home page rendered first for a signed-in reader in Korean
    signed_in = Client()
    signed_in.force_login(UserFactory(preferred_language="ko"))
    signed_in.get("/privacy/")  # the preferred language applied
    first = signed_in.get("/").content.decode()
    # When an anonymous reader opens it in Korean, then in English
    anonymous = client.get("/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/").content.decode()

    # Then each sees the actions and the language that are theirs
    assert 'href="/me/">' in first.split("<main")[1]
    assert 'href="/accounts/signup/"' not in first.split("<main")[1]
    assert 'href="/accounts/signup/"' in anonymous.split("<main")[1]
    assert 'href="/me/">' not in anonymous.split("<main")[1]
    assert "Busan's public services, in one place" in english
    assert "Busan's public services, in one place" not in anonymous
    assert english.count('class="card"') == anonymous.count('class="card"') > 0
