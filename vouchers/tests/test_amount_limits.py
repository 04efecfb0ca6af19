"""Every money amount of the vouchers API has a maximum (vouchers.limits): the serializer
answers 400 naming the field above it, the schema publishes it, the service refuses it too."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from vouchers import limits, services
from vouchers.forms import GiftForm, PayAmountForm, PaymentRequestForm, RefundForm, TopUpForm
from vouchers.models import GrantProgramme, JournalTransaction, Payment, PaymentRequest, TopUp
from vouchers.tests.factories import UserFactory, topped_up, verified_link

pytestmark = pytest.mark.django_db

INT64_MAX = 9_223_372_036_854_775_807


def rows() -> tuple:
    return (
        JournalTransaction.objects.count(),
        Payment.objects.count(),
        PaymentRequest.objects.count(),
        TopUp.objects.count(),
    )


@pytest.fixture
def api(citizen):
    client = APIClient()
    client.force_authenticate(citizen)
    return client


@pytest.mark.parametrize("amount", [INT64_MAX, limits.MAX_PAYMENT_REQUEST + 1])
def test_payment_request_above_the_maximum_answers_400_naming_amount(merchant, amount):
    # given
    shop = APIClient()
    shop.force_authenticate(merchant.owner)
    before = rows()
    # when
    response = shop.post(
        reverse("vouchers-api:payment-requests"),
        {"merchant": merchant.code, "amount": amount},
        format="json",
    )
    # then
    assert response.status_code == 400 and [e["field"] for e in response.json()["errors"]] == [
        "amount"
    ]
    assert rows() == before


def test_every_money_endpoint_refuses_int64_max_naming_the_field(api, citizen, merchant):
    # given
    topped_up(citizen, 10_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=1_000)
    shop = APIClient()
    shop.force_authenticate(merchant.owner)
    link = verified_link(citizen)
    before = rows()
    calls = [
        (
            api,
            "vouchers-api:topups",
            [],
            {"amount": INT64_MAX, "bank_account": str(link.public_id)},
        ),
        (api, "vouchers-api:payments", [], {"merchant": merchant.code, "amount": INT64_MAX}),
        (api, "vouchers-api:gifts", [], {"recipient": "shop@example.kr", "amount": INT64_MAX}),
        (shop, "vouchers-api:refunds", [payment.public_id], {"amount": INT64_MAX}),
    ]
    for client, name, args, body in calls:
        # when
        response = client.post(reverse(name, args=args), body, format="json")
        # then
        assert response.status_code == 400, name
        assert [e["field"] for e in response.json()["errors"]] == ["amount"], name
    assert rows() == before


def test_the_schema_publishes_each_maximum(api):
    schema = api.get(reverse("schema"), {"format": "json"}).json()["components"]["schemas"]
    assert schema["PaymentRequestIn"]["properties"]["amount"]["maximum"] == (
        limits.MAX_PAYMENT_REQUEST
    )
    assert schema["TopUpIn"]["properties"]["amount"]["maximum"] == limits.MAX_TOPUP
    assert schema["GiftIn"]["properties"]["amount"]["maximum"] == limits.MAX_GIFT
    assert schema["RefundIn"]["properties"]["amount"]["maximum"] == limits.MAX_REFUND
    assert schema["PaymentIn"]["properties"]["amount"]["maximum"] == limits.MAX_PAYMENT


def test_services_refuse_amounts_above_the_maximum_with_nothing_written(citizen, merchant):
    # given
    link = verified_link(citizen)
    before = rows()
    refusals = [
        lambda: services.topup_create(user=citizen, bank_link=link, amount=INT64_MAX),
        lambda: services.payment_create(
            payer=citizen, merchant_code=merchant.code, amount=limits.MAX_PAYMENT + 1
        ),
        lambda: services.payment_request_create(
            merchant=merchant, amount=INT64_MAX, by=merchant.owner
        ),
        lambda: services.gift_send(
            sender=citizen, recipient_email=merchant.owner.email, amount=limits.MAX_GIFT + 1
        ),
        lambda: services.programme_create(
            name="Too much",
            amount=limits.MAX_GRANT + 1,
            eligible_categories=["cafe"],
            valid_until=timezone.now() + timedelta(days=1),
        ),
        lambda: services.reward_credit(
            user=citizen,
            amount=INT64_MAX,
            source="test",
            reference="too-much",
            idempotency_key="too-much",
        ),
    ]
    for refusal in refusals:
        # when
        with pytest.raises(ValidationError) as refused:
            refusal()
        # then
        assert refused.value.error_dict["amount"][0].code == "max_value"
    assert rows() == before and not GrantProgramme.objects.exists()


def test_grant_csv_row_above_the_maximum_names_its_line(citizen):
    programme = services.programme_create(
        name="Relief",
        amount=10_000,
        eligible_categories=["cafe"],
        valid_until=timezone.now() + timedelta(days=1),
    )
    for amount in [INT64_MAX, limits.MAX_GRANT + 1]:
        with pytest.raises(ValidationError) as refused:
            services.grants_award_csv(
                programme=programme, text=f"email,amount\nminji@example.kr,{amount}\n"
            )
        assert refused.value.message_dict == {
            "file": ["Line 2: the amount can be at most 10000000 KRW."]
        }
    with pytest.raises(ValidationError) as refused:
        services.grants_award_csv(programme=programme, text="email,amount\nminji@example.kr,²\n")
    assert list(refused.value.message_dict) == ["file"]


def test_web_forms_refuse_amounts_above_the_maximum():
    cases = [
        (TopUpForm, limits.MAX_TOPUP),
        (PayAmountForm, limits.MAX_PAYMENT),
        (GiftForm, limits.MAX_GIFT),
        (RefundForm, limits.MAX_REFUND),
        (PaymentRequestForm, limits.MAX_PAYMENT_REQUEST),
    ]
    for form_class, maximum in cases:
        form = form_class(
            {"amount": str(maximum + 1), "recipient": "a@example.kr", "bank_account": "x"}
        )
        assert not form.is_valid()
        assert "amount" in form.errors, form_class


def test_refused_gift_api_amount_keeps_the_recipient_unknown(api, citizen):
    UserFactory(email="friend@example.kr")
    response = api.post(
        reverse("vouchers-api:gifts"),
        {"recipient": "friend@example.kr", "amount": limits.MAX_GIFT + 1},
        format="json",
    )
    assert response.status_code == 400 and [e["field"] for e in response.json()["errors"]] == [
        "amount"
    ]
