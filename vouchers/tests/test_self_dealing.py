"""Self-dealing: a citizen who runs a shop cannot pay it (cashback from the city's pool, grant
money settled to her own bank account as cash), by code, by payment request, by API or web."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from vouchers import selectors, services
from vouchers.models import JournalTransaction, Merchant, Payment, Posting
from vouchers.tests.factories import UserFactory, approved_merchant, make_resident, topped_up

pytestmark = pytest.mark.django_db


def snapshot(user) -> dict:
    return {
        "balances": selectors.wallet_balances(wallet=selectors.wallet_for(user=user)),
        "pool": selectors.pool_balance(),
        "payments": Payment.objects.count(),
        "journal": JournalTransaction.objects.count(),
        "postings": Posting.objects.count(),
    }


@pytest.fixture
def programme(db):
    return services.programme_create(
        name="Market support",
        amount=30_000,
        eligible_categories=["traditional_market"],
        valid_until=timezone.now() + timedelta(days=30),
    )


@pytest.fixture
def shopkeeper(resident, pool, programme):
    """A resident (cashback-eligible) grantee with cash who runs an approved market stall."""
    services.grants_award_csv(programme=programme, text="email\nminji@example.kr\n")
    topped_up(resident, 20_000)
    stall = approved_merchant(owner=resident, category="traditional_market")
    return resident, stall


def test_owner_paying_her_own_shop_by_code_is_refused_and_nothing_changes(shopkeeper):
    # given
    owner, stall = shopkeeper
    before = snapshot(owner)
    # when
    with pytest.raises(ValidationError) as refused:
        services.payment_create(payer=owner, merchant_code=stall.code, amount=40_000)
    # then
    assert refused.value.error_dict["merchant"][0].code == "self_payment"
    assert refused.value.message_dict == {"merchant": ["You cannot pay a merchant you run."]}
    assert snapshot(owner) == before
    assert selectors.merchant_balance(merchant=stall) == 0


def test_owner_paying_her_own_payment_request_is_refused_and_nothing_changes(shopkeeper):
    # given
    owner, stall = shopkeeper
    request = services.payment_request_create(merchant=stall, amount=10_000, by=owner)
    before = snapshot(owner)
    # when
    with pytest.raises(ValidationError) as refused:
        services.payment_create(payer=owner, request_id=request.public_id)
    # then
    assert refused.value.error_dict["payment_request"][0].code == "self_payment"
    assert snapshot(owner) == before


def test_api_refuses_self_payment_by_code_and_by_request_with_400(shopkeeper):
    # given
    owner, stall = shopkeeper
    api = APIClient()
    api.force_authenticate(owner)
    request = services.payment_request_create(merchant=stall, amount=10_000, by=owner)
    before = snapshot(owner)
    # when
    by_code = api.post(
        reverse("vouchers-api:payments"), {"merchant": stall.code, "amount": 5_000}, format="json"
    )
    by_request = api.post(
        reverse("vouchers-api:payments"), {"payment_request": str(request.public_id)}, format="json"
    )
    # then
    assert by_code.status_code == 400
    assert [(e["field"], e["code"]) for e in by_code.json()["errors"]] == [
        ("merchant", "self_payment")
    ]
    assert by_code.data["merchant"][0].code == "self_payment"
    assert by_request.status_code == 400 and [e["field"] for e in by_request.json()["errors"]] == [
        "payment_request"
    ]
    assert snapshot(owner) == before


def test_web_refuses_self_payment_with_the_message_in_the_form(shopkeeper, client):
    # given
    owner, stall = shopkeeper
    client.force_login(owner)
    before = snapshot(owner)
    # when
    response = client.post(reverse("vouchers:pay-merchant", args=[stall.code]), {"amount": 5_000})
    # then
    assert response.status_code == 200
    assert "You cannot pay a merchant you run." in response.content.decode()
    assert snapshot(owner) == before


def test_others_still_pay_the_shop_with_cashback(shopkeeper, citizen):
    # given: another resident customer
    _owner, stall = shopkeeper
    customer = UserFactory(email="customer@example.kr")
    make_resident(customer)
    topped_up(customer, 10_000)
    # when
    payment = services.payment_create(payer=customer, merchant_code=stall.code, amount=10_000)
    # then
    assert payment.amount == 10_000 and payment.cashback == 1_000


def test_settlement_withholds_grant_money_the_owner_paid_to_a_shop_she_now_runs(
    programme, citizen, pool
):
    # given: a grantee pays a stall with her grant, and later comes to run that stall
    services.grants_award_csv(programme=programme, text="email\nminji@example.kr\n")
    topped_up(citizen, 5_000)
    stall = approved_merchant(category="traditional_market")
    payment = services.payment_create(payer=citizen, merchant_code=stall.code, amount=35_000)
    assert (payment.from_grants, payment.from_cash) == (30_000, 5_000)
    Merchant.objects.filter(pk=stall.pk).update(owner=citizen)
    stall.refresh_from_db()
    # when
    settlement = services.settlement_create(
        merchant=stall, business_date=payment.journal.business_date
    )
    # then: only her cash is settled; the grant money stays in the merchant account
    assert (settlement.gross, settlement.amount) == (35_000, 5_000)
    assert selectors.merchant_balance(merchant=stall) == 30_000
