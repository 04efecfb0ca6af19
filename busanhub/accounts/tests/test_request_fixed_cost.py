"""What every request pays: the user row by prepared statement (session and token), the
language middleware that leaves the user alone, the API's JSON-only renderers."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from busanhub.accounts.middleware import APPLIED_SESSION_KEY
from busanhub.accounts.models import User
from busanhub.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WALLETLESS_API = "/api/v1/chain/batches/"  # a GET any signed-in caller may make


def _orm_user(pk) -> User:
    return User.objects.filter(pk=pk).get()  # a queryset's get: the ORM's own path


def _fields(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_get_by_pk_gives_the_orms_instance_by_one_prepared_statement():
    """Given a user, when loaded by pk (int, digit string, `id=`), then every field equals the
    ORM's (types included) and the query is an EXECUTE."""
    user = UserFactory(
        name="김민지", preferred_language="en", last_login=datetime.datetime.now(datetime.UTC)
    )
    expected = _fields(_orm_user(user.pk))

    with CaptureQueriesContext(connection) as queries:
        loaded = [User.objects.get(pk=user.pk), User.objects.get(pk=str(user.pk))]
        loaded.append(User.objects.get(id=user.pk))

    assert [_fields(one) for one in loaded] == [expected] * 3
    assert [type(v) for v in _fields(loaded[0]).values()] == [type(v) for v in expected.values()]
    assert all(q["sql"].startswith("EXECUTE accounts_user_by_pk") for q in queries[-3:])
    assert not loaded[0]._state.adding and loaded[0]._state.db == "default"


def test_get_by_pk_of_nobody_raises_does_not_exist_and_other_lookups_are_the_orms():
    user = UserFactory(email="someone@example.org")

    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=user.pk + 1000)
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=2**63)  # beyond bigint: the ORM's answer, not a database error
    with pytest.raises(ValueError):
        User.objects.get(pk="abc")  # as the ORM: "Field 'id' expected a number"
    assert User.objects.get(email="someone@example.org") == user
    assert User.objects.select_for_update().filter(pk=user.pk).count() == 1


def test_a_session_whose_user_changed_password_is_signed_out(client):
    """The session's user still comes with Django's hash check: a password changed elsewhere
    ends the session (the prepared statement reads the new password hash)."""
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    User.objects.filter(pk=user.pk).update(password="md5$other$0123456789abcdef")

    response = client.get(reverse("accounts:dashboard"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_inactive_users_session_is_signed_out(client):
    user = UserFactory()
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = client.get(reverse("accounts:dashboard"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_token_authenticates_by_one_prepared_statement(client):
    user = UserFactory()
    key = Token.objects.create(user=user).key

    with CaptureQueriesContext(connection) as queries:
        response = client.get(WALLETLESS_API, HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    statements = [q["sql"] for q in queries]
    assert any(sql.startswith("EXECUTE accounts_token_with_user") for sql in statements)
    assert not any(sql.startswith('SELECT "authtoken_token"') for sql in statements)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Token nope", "Invalid token."),
        ("Token ab\x00cd", "Invalid token."),
        ("Token", "Invalid token header. No credentials provided."),
    ],
)
def test_a_bad_token_is_refused_with_drfs_message(client, header, message):
    UserFactory()

    response = client.get(WALLETLESS_API, HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 401
    assert response.json()["detail"] == message
    assert response["WWW-Authenticate"] == "Token"


def test_an_inactive_users_token_is_refused(client):
    user = UserFactory(is_active=False)
    key = Token.objects.create(user=user).key

    response = client.get(
        WALLETLESS_API, HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_a_token_call_on_a_warm_session_does_not_load_the_session_user(client):
    """Given a browser session whose language preference was applied, when the same browser
    calls the API with its token, then the only user row read is the token's."""
    user = UserFactory()
    key = Token.objects.create(user=user).key
    client.force_login(user)
    client.get(reverse("accounts:privacy"))  # the first request applies the preference
    assert client.session[APPLIED_SESSION_KEY] is True

    with CaptureQueriesContext(connection) as queries:
        response = client.get(WALLETLESS_API, HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert not any("accounts_user_by_pk" in q["sql"] for q in queries)
    assert not any(q["sql"].startswith('SELECT "accounts_user"') for q in queries)


def test_the_first_request_after_login_still_applies_the_preferred_language(client):
    user = UserFactory(preferred_language="en")
    client.force_login(user)

    response = client.get(reverse("accounts:privacy"))

    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in response.text
    assert client.session[APPLIED_SESSION_KEY] is True


def test_the_api_answers_json_only(client):
    """No browsable API in production's defaults: a browser's Accept gets JSON."""
    user = UserFactory()
    key = Token.objects.create(user=user).key

    response = client.get(
        WALLETLESS_API,
        HTTP_AUTHORIZATION=f"Token {key}",
        HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8",
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_a_token_call_with_the_browsers_cookie_leaves_the_session_unloaded(client):
    """Given a signed-in browser session whose preference was applied, a call authenticated by
    its token (sending the cookie too) does not load the session; pages still do."""
    user = UserFactory(preferred_language="en")
    key = Token.objects.create(user=user).key
    client.force_login(user)
    client.get(reverse("accounts:dashboard"))
    assert client.session[APPLIED_SESSION_KEY] is True

    api = client.get(WALLETLESS_API, HTTP_AUTHORIZATION=f"Token {key}")
    page = client.get(reverse("accounts:dashboard"))

    assert api.status_code == 200 and not api.wsgi_request.session.accessed
    assert page.status_code == 200 and page.wsgi_request.session.accessed
