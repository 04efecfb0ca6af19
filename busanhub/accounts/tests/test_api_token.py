"""The REST API token: created after re-authentication, shown once, replaced, revoked."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from busanhub.accounts.tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_token_is_created_shown_once_and_authenticates_the_api(client):
    user = UserFactory()
    client.force_login(user)
    # The token page wants a fresh re-authentication with the password.
    reauth = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert reauth.status_code == 302
    response = client.post(reverse("accounts:api-token"), {"action": "rotate"})
    assert response.status_code == 200
    key = Token.objects.get(user=user).key
    assert key in response.content.decode()
    # Shown once: the page does not show it again.
    assert key not in client.get(reverse("accounts:api-token")).content.decode()
    # The token authenticates API calls (a GET that needs no special permission).
    api = client.__class__()
    ok = api.get("/api/v1/chain/batches/", HTTP_AUTHORIZATION=f"Token {key}")
    assert ok.status_code == 200
    bad = api.get("/api/v1/chain/batches/", HTTP_AUTHORIZATION="Token nope")
    assert bad.status_code == 401


@pytest.mark.django_db
def test_replacing_invalidates_the_old_token_and_revoke_removes_it(client):
    user = UserFactory()
    client.force_login(user)
    # The token page wants a fresh re-authentication with the password.
    reauth = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert reauth.status_code == 302
    client.post(reverse("accounts:api-token"), {"action": "rotate"})
    first = Token.objects.get(user=user).key
    client.post(reverse("accounts:api-token"), {"action": "rotate"})
    second = Token.objects.get(user=user).key
    assert first != second and Token.objects.filter(key=first).count() == 0
    client.post(reverse("accounts:api-token"), {"action": "revoke"})
    assert not Token.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_token_page_needs_a_recent_authentication(client):
    user = UserFactory()
    client.force_login(user)  # a session with no record of how or when it authenticated
    response = client.post(reverse("accounts:api-token"), {"action": "rotate"})
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response["Location"]
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_token_page_needs_login(client):
    response = client.get(reverse("accounts:api-token"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Token.objects.exists()
