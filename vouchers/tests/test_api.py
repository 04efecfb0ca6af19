"""/api/v1/vouchers/: wallet, top-ups, payments, refunds, gifts, history, Idempotency-Key."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from busanhub.idempotency.models import IdempotencyRecord
from vouchers import selectors
from vouchers.models import Payment, Posting, Refund
from vouchers.tests.factories import UserFactory, topped_up, verified_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(citizen):
    client = APIClient()
    client.force_authenticate(citizen)
    return client


@pytest.fixture
def shop_api(merchant):
    client = APIClient()
    client.force_authenticate(merchant.owner)
    return client


def test_anonymous_gets_401():
    assert APIClient().get(reverse("vouchers-api:wallet")).status_code == 401


def test_wallet_shows_the_split(api, citizen):
    topped_up(citizen, 7_000)
    response = api.get(reverse("vouchers-api:wallet"))
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("cash", "cashback", "grants", "total", "is_frozen")} == {
        "cash": 7_000,
        "cashback": 0,
        "grants": 0,
        "total": 7_000,
        "is_frozen": False,
    }


def test_wallet_is_read_in_one_query_and_answers_before_there_is_a_wallet(
    api, citizen, django_assert_num_queries
):
    # Given a citizen without a wallet yet: zeros and no id
    with django_assert_num_queries(1):
        empty = api.get(reverse("vouchers-api:wallet")).json()
    assert empty == {
        "id": None,
        "is_frozen": False,
        "cash": 0,
        "cashback": 0,
        "grants": 0,
        "total": 0,
    }
    # When the wallet holds cash and is frozen
    topped_up(citizen, 7_000)
    wallet = selectors.wallet_for(user=citizen)
    wallet.is_frozen = True
    wallet.save(update_fields=["is_frozen"])
    with django_assert_num_queries(1):
        body = api.get(reverse("vouchers-api:wallet")).json()
    # Then the answer is the wallet's, as the two reads it replaces gave
    balances = selectors.wallet_balances(wallet=wallet)
    assert body == {"id": str(wallet.public_id), "is_frozen": True, **balances}
    assert balances["cash"] == 7_000


def test_topup_then_pay_by_code_with_cashback(api, resident, merchant):
    link = verified_link(resident)
    response = api.post(
        reverse("vouchers-api:topups"),
        {"amount": 20_000, "bank_account": link.account_ref},
        format="json",
    )
    assert response.status_code == 201 and response.json()["status"] == "completed"
    paid = api.post(
        reverse("vouchers-api:payments"),
        {"merchant": merchant.code, "amount": 10_000},
        format="json",
    )
    assert paid.status_code == 201
    body = paid.json()
    assert (body["amount"], body["cashback"], body["merchant"]) == (10_000, 1_000, merchant.code)
    assert body["verify_url"] == f"/verify/{body['digest']}"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"merchant": "X", "amount": 0}, "amount"),
        ({"merchant": "X", "amount": -5}, "amount"),
        ({"merchant": "X", "amount": 1.5}, "amount"),
        ({"merchant": "X", "amount": "100"}, "amount"),
        ({"amount": 100}, "merchant"),
        ({"merchant": "NOPE0000", "amount": 100}, "merchant"),
        ({"payment_request": "not-a-uuid"}, "payment_request"),
        ({"payment_request": "6f1c1e0e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"}, "payment_request"),
    ],
)
def test_bad_payments_answer_400_naming_the_field(api, citizen, payload, field):
    topped_up(citizen, 1_000)
    before = Posting.objects.count()
    response = api.post(reverse("vouchers-api:payments"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Posting.objects.count() == before


def test_pay_by_dynamic_request(api, citizen, merchant, shop_api):
    topped_up(citizen, 9_000)
    created = shop_api.post(
        reverse("vouchers-api:payment-requests"),
        {"merchant": merchant.code, "amount": 4_500},
        format="json",
    )
    assert created.status_code == 201
    request_id = created.json()["id"]
    assert created.json()["pay_url"] == f"/vouchers/pay/r/{request_id}/"
    seen = api.get(reverse("vouchers-api:payment-request", args=[request_id])).json()
    assert (seen["merchant"], seen["amount"]) == (merchant.code, 4_500)
    paid = api.post(
        reverse("vouchers-api:payments"), {"payment_request": request_id}, format="json"
    )
    assert paid.status_code == 201 and paid.json()["amount"] == 4_500


def test_citizen_cannot_create_a_request_for_someone_elses_shop(api, merchant):
    response = api.post(
        reverse("vouchers-api:payment-requests"),
        {"merchant": merchant.code, "amount": 1_000},
        format="json",
    )
    assert response.status_code == 400 and "merchant" in response.json()


def test_reauthentication_with_the_password(api, citizen, merchant):
    topped_up(citizen, 300_000)
    url = reverse("vouchers-api:payments")
    without = api.post(url, {"merchant": merchant.code, "amount": 250_000}, format="json")
    assert without.status_code == 400 and "password" in without.json()
    wrong = api.post(
        url, {"merchant": merchant.code, "amount": 250_000, "password": "nope"}, format="json"
    )
    assert wrong.status_code == 400 and wrong.json() == {
        "password": ["The password is not correct."],
        "detail": "The password is not correct.",
        "errors": [
            {
                "field": "password",
                "code": "wrong_password",
                "message": "The password is not correct.",
            }
        ],
    }
    from vouchers.tests.factories import PASSWORD

    right = api.post(
        url, {"merchant": merchant.code, "amount": 250_000, "password": PASSWORD}, format="json"
    )
    assert right.status_code == 201
    assert Payment.objects.count() == 1


def test_merchant_refunds_part_and_others_cannot_see_the_payment(api, citizen, merchant, shop_api):
    topped_up(citizen, 10_000)
    payment = api.post(
        reverse("vouchers-api:payments"),
        {"merchant": merchant.code, "amount": 8_000},
        format="json",
    ).json()
    url = reverse("vouchers-api:refunds", args=[payment["id"]])
    # a stranger gets 404, the payer is not the merchant (400), the merchant refunds
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())
    assert stranger.post(url, {"amount": 1_000}, format="json").status_code == 404
    assert stranger.get(reverse("vouchers-api:payment", args=[payment["id"]])).status_code == 404
    assert api.post(url, {"amount": 1_000}, format="json").status_code == 400
    refunded = shop_api.post(url, {"amount": 3_000, "reason": "one item back"}, format="json")
    assert refunded.status_code == 201 and refunded.json()["amount"] == 3_000
    assert Refund.objects.count() == 1
    wallet = selectors.wallet_for(user=citizen)
    assert selectors.wallet_balances(wallet=wallet)["cash"] == 5_000


def test_gift_by_email(api, citizen):
    friend = UserFactory(email="friend@example.kr")
    topped_up(citizen, 10_000)
    response = api.post(
        reverse("vouchers-api:gifts"),
        {"recipient": "FRIEND@example.kr", "amount": 2_500, "message": "커피"},
        format="json",
    )
    assert response.status_code == 201
    wallet = selectors.wallet_for(user=friend)
    assert selectors.wallet_balances(wallet=wallet)["cash"] == 2_500
    nobody = api.post(
        reverse("vouchers-api:gifts"), {"recipient": "ghost@example.kr", "amount": 1}, format="json"
    )
    assert nobody.status_code == 201  # neutral: see test_gifts_neutral.py


def test_transactions_filter_by_kind_and_date_with_bounded_queries(
    api, citizen, merchant, django_assert_max_num_queries
):
    for amount in (1_000, 2_000, 3_000):
        topped_up(citizen, amount)
    for _ in range(5):
        api.post(
            reverse("vouchers-api:payments"),
            {"merchant": merchant.code, "amount": 100},
            format="json",
        )
    url = reverse("vouchers-api:transactions")
    with django_assert_max_num_queries(6):
        response = api.get(url)
    assert response.status_code == 200 and len(response.json()["results"]) == 8
    topups = api.get(url, {"kind": "topup"}).json()["results"]
    assert [row["amount"] for row in topups] == [3_000, 2_000, 1_000]
    assert api.get(url, {"since": "2099-01-01"}).json()["results"] == []
    assert api.get(url, {"kind": "bogus"}).status_code == 400
    other = APIClient()
    other.force_authenticate(UserFactory())
    assert other.get(url).json()["results"] == []


def test_idempotency_key_replays_the_stored_response(api, citizen, merchant):
    topped_up(citizen, 10_000)
    url = reverse("vouchers-api:payments")
    body = {"merchant": merchant.code, "amount": 1_000}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    other = api.post(url, {**body, "amount": 2_000}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert other.status_code == 422 and "Idempotency-Key" in other.json()
    assert Payment.objects.count() == 1


def test_idempotency_key_stores_refusals_too(api, citizen, merchant):
    url = reverse("vouchers-api:payments")
    body = {"merchant": merchant.code, "amount": 1_000}
    refused = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    topped_up(citizen, 10_000)
    replay = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert refused.status_code == replay.status_code == 400
    assert replay.json()["errors"] == refused.json()["errors"]
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("amount", "insufficient_funds")
    ]
    assert not Payment.objects.exists()


def test_key_in_flight_answers_409(api, citizen, merchant):
    topped_up(citizen, 10_000)
    url = reverse("vouchers-api:payments")
    body = {"merchant": merchant.code, "amount": 1_000}
    api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    # as if still running
    IdempotencyRecord.objects.filter(scope="vouchers", key="busy").update(is_complete=False)
    assert api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="busy").status_code == 409


def test_keys_belong_to_their_user(api, citizen, merchant):
    other_user = UserFactory()
    topped_up(citizen, 5_000)
    topped_up(other_user, 5_000)
    other = APIClient()
    other.force_authenticate(other_user)
    url = reverse("vouchers-api:payments")
    body = {"merchant": merchant.code, "amount": 1_000}
    api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert other.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert Payment.objects.count() == 2


def test_money_endpoints_are_throttled(api, citizen, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "money": "2/min"}
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        url = reverse("vouchers-api:gifts")
        codes = [
            api.post(url, {"recipient": "x@example.kr", "amount": 1}, format="json").status_code
            for _ in range(3)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [400, 400, 429]
