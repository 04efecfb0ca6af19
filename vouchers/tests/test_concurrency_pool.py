"""The sharded incentive pool and the lock-free merchant account under real concurrent threads
on PostgreSQL: the pool never goes below zero, the monthly cashback cap holds exactly, payments
to one hot merchant all land, and a freeze takes effect against a payment in flight."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from vouchers import selectors, services
from vouchers.models import Account, Payment
from vouchers.tests.factories import (
    UserFactory,
    approved_merchant,
    fund_pool,
    make_resident,
    topped_up,
)
from vouchers.tests.test_concurrency import run_threads

pytestmark = pytest.mark.django_db(transaction=True)


def assert_ledger_sound():
    totals = selectors.ledger_totals()
    assert totals["sum"] == 0
    assert totals["mismatched"] == []
    assert totals["negative"] == 0
    assert totals["unbalanced_transactions"] == 0


def residents(count: int, amount: int) -> list:
    users = [UserFactory() for _ in range(count)]
    for user in users:
        make_resident(user)
        topped_up(user, amount)
    return users


def test_concurrent_cashback_payments_to_one_merchant_all_land_and_draw_the_pool_exactly():
    # Given 8 residents and a hot small merchant (10 % cashback), the pool spread over shards
    fund_pool(1_000_000)
    merchant = approved_merchant(tier="small")
    payers = residents(8, 50_000)
    # When 48 payments of 1,000 KRW arrive at once (6 per resident)
    results = run_threads(
        48,
        lambda index: services.payment_create(
            payer=payers[index % 8], merchant_code=merchant.code, amount=1_000
        ),
    )
    # Then every one succeeded with its cashback, and the money adds up to the won
    assert [type(r) for r in results] == [Payment] * 48
    assert {r.cashback for r in results} == {100}
    assert selectors.merchant_balance(merchant=merchant) == 48_000
    assert selectors.pool_balance() == 1_000_000 - 4_800
    assert Account.objects.filter(kind="incentive").count() == Account.POOL_SHARDS
    for payer in payers:  # 6,000 paid, 600 earned (part of it already spent again)
        wallet = selectors.wallet_for(user=payer)
        assert selectors.wallet_balances(wallet=wallet)["total"] == 44_600
        assert wallet.accounts.get(kind="cashback").cashback_month_earned == 600
    assert_ledger_sound()


def test_concurrent_payments_keep_the_monthly_cashback_cap_exactly():
    # Given a cap of 5,000 KRW a month and one resident
    fund_pool(1_000_000)
    services.policy_publish(monthly_cashback_cap=5_000)
    merchant = approved_merchant(tier="small")
    (payer,) = residents(1, 100_000)
    # When 30 payments of 2,000 KRW (200 cashback each, 6,000 in all) race each other
    results = run_threads(
        30,
        lambda _index: services.payment_create(
            payer=payer, merchant_code=merchant.code, amount=2_000
        ),
    )
    # Then all were paid and exactly 5,000 KRW of cashback was given, no more
    assert [type(r) for r in results] == [Payment] * 30
    assert sum(r.cashback for r in results) == 5_000
    wallet = selectors.wallet_for(user=payer)
    assert wallet.accounts.get(kind="cashback").cashback_month_earned == 5_000
    assert selectors.wallet_balances(wallet=wallet)["total"] == 100_000 - 60_000 + 5_000
    assert selectors.pool_balance() == 1_000_000 - 5_000
    assert_ledger_sound()


def test_a_nearly_empty_pool_never_goes_below_zero():
    # Given a pool of 1,600 KRW (100 per shard) and payments that each earn 300 KRW
    fund_pool(1_600)
    merchant = approved_merchant(tier="small")
    payers = residents(6, 50_000)
    # When 24 of them race
    results = run_threads(
        24,
        lambda index: services.payment_create(
            payer=payers[index % 6], merchant_code=merchant.code, amount=3_000
        ),
    )
    # Then all were paid, cashback stopped where the pool ran out, and no shard went negative
    assert [type(r) for r in results] == [Payment] * 24
    given = sum(r.cashback for r in results)
    assert 0 < given <= 1_600
    assert all(0 <= r.cashback <= 300 for r in results)
    assert selectors.pool_balance() == 1_600 - given
    assert not Account.objects.filter(kind="incentive", balance__lt=0).exists()
    assert_ledger_sound()


def test_a_freeze_committed_while_a_payment_waits_refuses_that_payment():
    # Given a wallet being frozen by staff in a transaction that has not committed yet
    fund_pool()
    merchant = approved_merchant()
    payer = UserFactory()
    topped_up(payer, 10_000)
    wallet = selectors.wallet_for(user=payer)
    frozen, release = threading.Event(), threading.Event()

    def freeze(index):
        if index == 0:
            with transaction.atomic():
                services.wallet_freeze(wallet=wallet, reason="suspected fraud")
                frozen.set()
                release.wait(timeout=30)
            return "frozen"
        frozen.wait(timeout=30)
        threading.Timer(0.5, release.set).start()  # commit the freeze while the payment waits
        return services.payment_create(payer=payer, merchant_code=merchant.code, amount=1_000)

    # When a payment starts before the freeze commits
    results = run_threads(2, freeze)
    # Then the payment saw the freeze (it waited for the wallet's lock) and nothing moved
    assert results[0] == "frozen"
    assert isinstance(results[1], ValidationError)
    assert results[1].message_dict == {"wallet": ["This wallet is frozen: suspected fraud"]}
    assert not Payment.objects.exists()
    assert selectors.wallet_balances(wallet=wallet)["cash"] == 10_000
