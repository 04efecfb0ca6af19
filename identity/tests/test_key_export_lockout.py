"""B Pass key export: re-entering the password is rate-limited (busanhub.accounts.reauth)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from busanhub.accounts.reauth import ReauthLocked
from identity import services
from identity.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_key_export_locks_out_after_five_wrong_passwords(citizen, settings):
    # given
    settings.REAUTH_MAX_FAILURES = 5
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            services.wallet_export_jwk(user=citizen, password="wrong-password")
    # when / then: even the right password is refused during the lockout
    with pytest.raises(ReauthLocked):
        services.wallet_export_jwk(user=citizen, password=PASSWORD)


def test_key_export_page_tells_the_locked_out_user(client, citizen, settings):
    settings.REAUTH_MAX_FAILURES = 5
    client.force_login(citizen)
    url = reverse("identity:key-export")
    for _ in range(5):
        client.post(url, {"password": "nope-nope-nope"})
    response = client.post(url, {"password": PASSWORD})
    assert "Content-Disposition" not in response
    assert "Too many wrong passwords" in response.content.decode()
