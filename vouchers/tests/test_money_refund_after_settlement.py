"""Refunds after the merchant's money was settled: a receivable from the merchant (its
account goes below zero), netted by the next settlement; cashback is still reversed."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from vouchers import selectors, services
from vouchers.models import Account, Settlement
from vouchers.tests.factories import topped_up

pytestmark = pytest.mark.django_db


def balances(user):
    return selectors.wallet_balances(wallet=selectors.wallet_for(user=user))


def assert_ledger_sound():
    totals = selectors.ledger_totals()
    assert totals["sum"] == 0
    assert totals["mismatched"] == []
    assert totals["negative"] == 0
    assert totals["unbalanced_transactions"] == 0


def month_earned(user) -> int:
    account = selectors.wallet_for(user=user).accounts.get(kind=Account.Kind.CASHBACK)
    return account.cashback_month_earned


def on_business_date(day):
    """Journal entries written inside get `day` as their business date (yesterday's trade)."""
    return mock.patch("vouchers.services.core.business_date", return_value=day)


def test_full_refund_after_settlement_leaves_a_receivable_and_reverses_the_cashback(
    resident, merchant
):
    # Given a resident paid 10,000 KRW (1,000 cashback) and the merchant was settled
    topped_up(resident, 20_000)
    payment = services.payment_create(payer=resident, merchant_code=merchant.code, amount=10_000)
    pool_before = selectors.pool_balance()
    settlement = services.settlement_create(merchant=merchant, business_date=timezone.localdate())
    assert settlement.amount == 10_000
    assert selectors.merchant_balance(merchant=merchant) == 0
    assert month_earned(resident) == 1_000
    # When the merchant refunds the whole payment
    refund = services.refund_create(payment=payment, amount=10_000, by=merchant.owner)
    # Then the citizen has their 20,000 again (9,000 cash back + the 1,000 cashback kept
    # in the cashback account), the cashback went back to the pool, the merchant owes 10,000
    assert refund.cashback_reversed == 1_000
    assert balances(resident) == {"cash": 19_000, "cashback": 1_000, "grants": 0, "total": 20_000}
    assert selectors.pool_balance() == pool_before + 1_000
    assert selectors.merchant_balance(merchant=merchant) == -10_000
    assert month_earned(resident) == 0
    assert_ledger_sound()


def test_partial_refund_after_settlement_is_netted_by_the_next_settlement(citizen, merchant):
    # Given yesterday's payment of 10,000 KRW, settled T+1
    yesterday = timezone.localdate() - timedelta(days=1)
    topped_up(citizen, 30_000)
    with on_business_date(yesterday):
        payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=10_000)
    first = services.settlement_create(merchant=merchant, business_date=yesterday)
    assert (first.gross, first.refunds, first.amount) == (10_000, 0, 10_000)
    # When the merchant refunds 4,000 today and takes a new payment of 6,000
    services.refund_create(payment=payment, amount=4_000, by=merchant.owner)
    assert selectors.merchant_balance(merchant=merchant) == -4_000
    services.payment_create(payer=citizen, merchant_code=merchant.code, amount=6_000)
    # Then today's settlement pays the 6,000 less the 4,000 receivable
    second = services.settlement_create(merchant=merchant, business_date=timezone.localdate())
    assert (second.gross, second.refunds, second.amount) == (6_000, 4_000, 2_000)
    assert second.status == Settlement.Status.PENDING
    assert selectors.merchant_balance(merchant=merchant) == 0
    assert services.system_account(Account.Kind.CLEARING).balance == 12_000
    assert balances(citizen)["total"] == 30_000 - 10_000 + 4_000 - 6_000
    assert_ledger_sound()


def test_a_receivable_larger_than_the_day_carries_over_to_the_next_settlements(citizen, merchant):
    # Given a settled payment of 8,000 two days ago, refunded in full yesterday, when the
    # merchant only took 3,000
    two_days_ago = timezone.localdate() - timedelta(days=2)
    yesterday = two_days_ago + timedelta(days=1)
    topped_up(citizen, 30_000)
    with on_business_date(two_days_ago):
        payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=8_000)
    services.settlement_create(merchant=merchant, business_date=two_days_ago)
    with on_business_date(yesterday):
        services.refund_create(payment=payment, amount=8_000, by=merchant.owner)
        services.payment_create(payer=citizen, merchant_code=merchant.code, amount=3_000)
    # When yesterday is settled: nothing to pay, 5,000 still owed by the merchant
    empty = services.settlement_create(merchant=merchant, business_date=yesterday)
    assert (empty.gross, empty.refunds, empty.amount) == (3_000, 8_000, 0)
    assert empty.status == Settlement.Status.EMPTY
    assert selectors.merchant_balance(merchant=merchant) == -5_000
    # Then today's 7,000 of payments settle as 2,000 once the receivable is netted
    services.payment_create(payer=citizen, merchant_code=merchant.code, amount=7_000)
    today = services.settlement_create(merchant=merchant, business_date=timezone.localdate())
    assert today.amount == 2_000
    assert selectors.merchant_balance(merchant=merchant) == 0
    assert_ledger_sound()
