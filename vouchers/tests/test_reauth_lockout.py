"""Payment confirmation with the password is rate-limited per user (busanhub.accounts.reauth):
after 5 wrong passwords in 15 minutes the API answers 429 and the web form says so."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from vouchers import selectors
from vouchers.models import Payment
from vouchers.tests.factories import PASSWORD, topped_up

pytestmark = pytest.mark.django_db


def test_api_locks_out_after_five_wrong_passwords_with_429(citizen, merchant, settings):
    # given
    settings.REAUTH_MAX_FAILURES, settings.REAUTH_WINDOW_SECONDS = 5, 900
    topped_up(citizen, 300_000)
    api = APIClient()
    api.force_authenticate(citizen)
    url = reverse("vouchers-api:payments")
    body = {"merchant": merchant.code, "amount": 250_000}
    for _ in range(5):
        wrong = api.post(url, {**body, "password": "guess-guess"}, format="json")
        assert wrong.status_code == 400 and [e["field"] for e in wrong.json()["errors"]] == [
            "password"
        ]
    # when: the right password, after five wrong ones
    locked = api.post(url, {**body, "password": PASSWORD}, format="json")
    # then
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.json()["detail"]
    assert int(locked["Retry-After"]) > 0
    assert not Payment.objects.exists()
    assert selectors.wallet_balances(wallet=selectors.wallet_for(user=citizen))["cash"] == 300_000


def test_web_confirmation_locks_out_after_five_wrong_passwords(client, citizen, merchant, settings):
    # given
    settings.REAUTH_MAX_FAILURES = 5
    topped_up(citizen, 300_000)
    client.force_login(citizen)
    url = reverse("vouchers:pay-merchant", args=[merchant.code])
    for _ in range(5):
        client.post(url, {"amount": 250_000, "password": "guess-guess"})
    # when
    response = client.post(url, {"amount": 250_000, "password": PASSWORD})
    # then
    assert "Too many wrong passwords" in response.content.decode()
    assert not Payment.objects.exists()
