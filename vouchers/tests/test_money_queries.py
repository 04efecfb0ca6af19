"""How many round trips a payment costs: outside a caller's transaction the whole payment is one
statement in autocommit (the PL/pgSQL function vouchers_payment_pay); inside one it adds the
savepoint around it (see bench/vouchers.py for the figures)."""

import pytest

from vouchers import services
from vouchers.models import Payment
from vouchers.tests.factories import topped_up


@pytest.mark.django_db(transaction=True)
def test_a_payment_outside_a_transaction_is_one_statement(
    citizen, merchant, django_assert_num_queries
):
    topped_up(citizen, 10_000)
    services.payment_create(payer=citizen, merchant_code=merchant.code, amount=100)  # warm
    # no BEGIN, no COMMIT: the statement is its own transaction
    with django_assert_num_queries(1):
        payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=1_000)
    assert Payment.objects.get(pk=payment.pk).amount == 1_000


@pytest.mark.django_db(transaction=True)
def test_a_payment_with_cashback_outside_a_transaction_is_one_statement(
    resident, merchant, django_assert_num_queries
):
    topped_up(resident, 10_000)
    services.payment_create(payer=resident, merchant_code=merchant.code, amount=100)  # warm
    # the pool shard's lock and the monthly counter are in the same statement
    with django_assert_num_queries(1):
        payment = services.payment_create(payer=resident, merchant_code=merchant.code, amount=1_000)
    assert payment.cashback == 100


@pytest.mark.django_db
def test_a_payment_inside_a_transaction_runs_under_a_savepoint(
    citizen, merchant, django_assert_num_queries
):
    topped_up(citizen, 10_000)
    services.payment_create(payer=citizen, merchant_code=merchant.code, amount=100)  # warm
    # savepoint, the payment, release
    with django_assert_num_queries(3):
        services.payment_create(payer=citizen, merchant_code=merchant.code, amount=1_000)
