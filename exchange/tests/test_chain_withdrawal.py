"""The withdrawal gate: a priced amount under the threshold goes straight out; an asset without
a KRW price cannot be judged by the caps, so staff approve it whatever its size."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange import selectors, services
from exchange.models import Account, Asset, ChainWithdrawal
from exchange.services.outflow import krw_value, withdrawn_krw
from exchange.tests.factories import ETH

TARGET = "0x000000000000000000000000000000000000dEaD"


def test_small_priced_withdrawal_is_approved_at_once(settings, market, alice, bob, fund):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    settings.EXCHANGE_APPROVAL_THRESHOLD_KRW = 1_000_000
    # Given a last price of 3,000,000 KRW per ETH
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(
        user=alice, market=market, side="sell", price=3_000_000, quantity=ETH // 100
    )
    services.order_place(user=bob, market=market, side="buy", price=3_000_000, quantity=ETH // 100)
    services.withdrawal_address_add(user=alice, address=TARGET)
    # When Alice withdraws 0.1 ETH (300,000 KRW, under the threshold)
    withdrawal = services.withdrawal_request(
        user=alice, asset="ETH", address=TARGET, amount=ETH // 10
    )
    # Then it needs nobody's approval
    assert withdrawal.status == ChainWithdrawal.Status.APPROVED


def test_unpriced_token_withdrawal_waits_for_staff(settings, market, alice, bob):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    token = Asset.objects.create(
        symbol="BUSD",
        name="Test BUSD",
        kind=Asset.Kind.ERC20,
        decimals=6,
        chain_decimals=6,
        contract_address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    )
    services.deposit_credit(
        owner_id=alice.pk, asset=token, amount=5_000_000, kind="test", reference="t"
    )
    services.withdrawal_address_add(user=alice, address=TARGET)
    # When Alice withdraws a token no market prices in KRW, however little
    withdrawal = services.withdrawal_request(user=alice, asset="BUSD", address=TARGET, amount=1)
    # Then it is held and waits for staff, who may approve it
    assert withdrawal.status == ChainWithdrawal.Status.AWAITING_APPROVAL
    assert selectors.balances_for(user=alice)["BUSD"]["held"] == 1
    approved = services.withdrawal_approve(staff=bob, withdrawal=withdrawal)
    assert approved.status == ChainWithdrawal.Status.APPROVED
    assert approved.approved_by == bob


@pytest.mark.parametrize("refusal", ["frozen", "balance"])
def test_a_refused_withdrawal_writes_nothing(settings, market, alice, fund, refusal):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    # Given Alice with 0.1 ETH (and a KRW account) and an allowed address, her ETH account
    # frozen (or 0.2 ETH asked)
    fund(alice, market, eth=ETH // 10, krw=1)
    services.withdrawal_address_add(user=alice, address=TARGET)
    account = Account.objects.get(owner=alice, asset=market.base)
    if refusal == "frozen":
        services.account_set_frozen(account=account, is_frozen=True)
    amount = ETH // 10 if refusal == "frozen" else ETH // 5
    before = selectors.balances_for(user=alice)["ETH"]
    # When she asks for the withdrawal
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError) as refused:
        services.withdrawal_request(user=alice, asset="ETH", address=TARGET, amount=amount)
    # Then it is refused naming the cause, before anything was written (not even a row that
    # the rollback takes back), and her balances are as they were
    assert set(refused.value.message_dict) == {"account" if refusal == "frozen" else "amount"}
    writes = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert not ChainWithdrawal.objects.exists()
    assert selectors.balances_for(user=alice)["ETH"] == before


def test_staff_who_reject_a_chain_withdrawal_are_recorded_and_the_hold_comes_back(
    settings, market, alice, bob, fund
):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    settings.EXCHANGE_APPROVAL_THRESHOLD_KRW = 0  # every priced withdrawal waits for staff
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(
        user=alice, market=market, side="sell", price=3_000_000, quantity=ETH // 100
    )
    services.order_place(user=bob, market=market, side="buy", price=3_000_000, quantity=ETH // 100)
    services.withdrawal_address_add(user=alice, address=TARGET)
    withdrawal = services.withdrawal_request(
        user=alice, asset="ETH", address=TARGET, amount=ETH // 10
    )
    assert withdrawal.status == ChainWithdrawal.Status.AWAITING_APPROVAL
    # When Bob (staff) rejects it
    services.withdrawal_reject(staff=bob, withdrawal=withdrawal)
    # Then it is rejected, Bob is recorded as the one who decided, and nothing is held
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.approved_by) == (ChainWithdrawal.Status.REJECTED, bob)
    assert selectors.balances_for(user=alice)["ETH"]["held"] == 0
    # And a second decision on it is refused
    with pytest.raises(ValidationError) as again:
        services.withdrawal_approve(staff=bob, withdrawal=withdrawal)
    assert set(again.value.message_dict) == {"status"}


def test_the_limit_reads_past_withdrawals_in_queries_that_do_not_grow_with_them(
    settings, market, alice, bob, fund
):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    settings.EXCHANGE_APPROVAL_THRESHOLD_KRW = 10**12
    # Given a last price of 3,000,000 KRW per ETH and Alice's allowed address
    fund(alice, market, eth=ETH, krw=1)
    fund(bob, market, krw=1_000_000)
    services.order_place(
        user=alice, market=market, side="sell", price=3_000_000, quantity=ETH // 100
    )
    services.order_place(user=bob, market=market, side="buy", price=3_000_000, quantity=ETH // 100)
    services.withdrawal_address_add(user=alice, address=TARGET)
    amount = ETH // 1000 + 300  # 3,000.9 KRW: each withdrawal's value is rounded down
    # When she withdraws three times
    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            services.withdrawal_request(user=alice, asset="ETH", address=TARGET, amount=amount)
        counts.append(len(queries))
    # Then each decision sent as many queries as the first, however many came before
    assert counts[0] == counts[1] == counts[2], counts
    # And what the caps count is each past withdrawal's value, rounded down, summed
    now = timezone.now()
    each = krw_value(market.base, amount)
    assert each == 3_000
    assert withdrawn_krw(user=alice, since=[now - timedelta(days=1), now]) == [3 * each, 0]
