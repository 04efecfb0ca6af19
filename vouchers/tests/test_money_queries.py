"""How many round trips a payment costs: the hot path reads and locks in one statement and
writes everything in one (see bench/vouchers.py for the figures)."""

import pytest

from vouchers import services
from vouchers.tests.factories import topped_up

pytestmark = pytest.mark.django_db


def test_a_payment_without_cashback_needs_four_queries(
    citizen, merchant, django_assert_num_queries
):
    topped_up(citizen, 10_000)
    services.payment_create(payer=citizen, merchant_code=merchant.code, amount=100)  # warm
    # savepoint, lock + read (resident check included), one write, release
    with django_assert_num_queries(4):
        services.payment_create(payer=citizen, merchant_code=merchant.code, amount=1_000)


def test_a_payment_with_cashback_needs_five_queries(resident, merchant, django_assert_num_queries):
    topped_up(resident, 10_000)
    services.payment_create(payer=resident, merchant_code=merchant.code, amount=100)  # warm
    # ... and the pool shard's lock (the monthly cashback counter rides on the one write)
    with django_assert_num_queries(5):
        payment = services.payment_create(payer=resident, merchant_code=merchant.code, amount=1_000)
    assert payment.cashback == 100
