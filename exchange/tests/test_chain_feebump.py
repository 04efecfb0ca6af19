"""Stuck withdrawals are replaced with the same nonce and higher fees, on a real anvil whose
automatic mining is off so that the first transaction stays pending."""

import pytest

from exchange import selectors, services
from exchange.models import ChainWithdrawal
from exchange.services.wallets import hot_wallet
from exchange.tests import chainkit
from exchange.tests.factories import ETH

GWEI = 10**9
TARGET = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture
def pending_withdrawal(settings, own_chain, market, alice, bob, fund):
    """A sent 0.1 ETH withdrawal of Alice's waiting in the pool of a node that does not mine."""
    settings.EXCHANGE_CONFIRMATIONS = 3
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    settings.EXCHANGE_STUCK_AFTER_S = 0
    settings.EXCHANGE_FEE_BUMP_PERCENT = 25
    fund(alice, market, eth=ETH)
    chainkit.send_ether(own_chain, hot_wallet().address, 10**18)
    services.withdrawal_address_add(user=alice, address=TARGET)
    withdrawal = services.withdrawal_request(
        user=alice, asset="ETH", address=TARGET, amount=ETH // 10
    )
    services.withdrawal_approve(staff=bob, withdrawal=withdrawal)
    own_chain.call("evm_setAutomine", False)
    withdrawal = services.withdrawal_send(withdrawal_pk=withdrawal.pk)
    return withdrawal


def _pool_hashes(node) -> set[str]:
    content = node.call("txpool_content")
    return {
        tx["hash"].lower() for by_sender in content["pending"].values() for tx in by_sender.values()
    }


def _confirm(node, blocks=3) -> None:
    node.call("evm_mine")
    chainkit.mine(node, blocks - 1)


def test_stuck_withdrawal_is_replaced_and_paid_once(own_chain, pending_withdrawal, alice):
    w3 = chainkit.client(own_chain)
    hot = hot_wallet().address
    before = w3.eth.get_balance(TARGET)
    first = pending_withdrawal
    assert first.status == ChainWithdrawal.Status.SENT
    assert first.tx_hashes == [first.tx_hash]
    assert _pool_hashes(own_chain) == {first.tx_hash.lower()}
    # When the bump task runs twice while nothing is mined
    assert len(services.withdrawals_replace_stuck()) == 1
    second = ChainWithdrawal.objects.get(pk=first.pk)
    assert len(services.withdrawals_replace_stuck()) == 1
    third = ChainWithdrawal.objects.get(pk=first.pk)
    # Then each replacement keeps the nonce, pays at least 12.5 % more on both fees (25 % here)
    # and every hash is kept; the pool holds only the latest
    assert third.nonce == first.nonce
    assert third.tx_hashes == [first.tx_hash, second.tx_hash, third.tx_hash]
    assert len(set(third.tx_hashes)) == 3
    for old, new in ((first, second), (second, third)):
        assert new.max_fee_per_gas * 100 >= old.max_fee_per_gas * 125
        assert new.max_priority_fee_per_gas * 100 >= old.max_priority_fee_per_gas * 125
    assert _pool_hashes(own_chain) == {third.tx_hash.lower()}
    # When a block is mined and confirmed
    _confirm(own_chain)
    assert services.withdrawals_confirm() == 1
    # Then the withdrawal is confirmed with the mined hash, paid exactly once
    third.refresh_from_db()
    assert third.status == ChainWithdrawal.Status.CONFIRMED
    receipt = w3.eth.get_transaction_receipt(third.tx_hash)
    assert receipt["status"] == 1
    assert w3.eth.get_balance(TARGET) - before == ETH // 10 * GWEI
    assert w3.eth.get_transaction_count(hot) == first.nonce + 1
    assert selectors.balances_for(user=alice)["ETH"] == {
        "available": ETH - ETH // 10,
        "held": 0,
        "frozen": False,
    }
    assert selectors.ledger_matches_balances()
    # And nothing is replaced or settled again
    assert services.withdrawals_replace_stuck() == []
    assert services.withdrawals_confirm() == 0


def test_confirmation_accepts_the_original_when_it_is_the_one_mined(own_chain, pending_withdrawal):
    w3 = chainkit.client(own_chain)
    before = w3.eth.get_balance(TARGET)
    original_raw = pending_withdrawal.raw_tx
    original_hash = pending_withdrawal.tx_hash
    services.withdrawals_replace_stuck()
    replaced = ChainWithdrawal.objects.get(pk=pending_withdrawal.pk)
    assert replaced.tx_hash != original_hash
    # Given the replacement is lost and the original is the one a miner includes
    own_chain.call("anvil_dropTransaction", replaced.tx_hash)
    w3.eth.send_raw_transaction(original_raw)
    _confirm(own_chain)
    # When confirmation runs
    assert services.withdrawals_confirm() == 1
    # Then it settles on the original hash, paid once, and keeps every hash it had
    replaced.refresh_from_db()
    assert replaced.status == ChainWithdrawal.Status.CONFIRMED
    assert replaced.tx_hash == original_hash
    assert replaced.tx_hashes[0] == original_hash and len(replaced.tx_hashes) == 2
    assert w3.eth.get_balance(TARGET) - before == ETH // 10 * GWEI


def test_no_replacement_above_the_fee_cap(settings, own_chain, pending_withdrawal):
    # Given a cap that leaves less than 12.5 % of headroom above the current fee
    settings.EXCHANGE_MAX_FEE_PER_GAS_WEI = pending_withdrawal.max_fee_per_gas * 11 // 10
    # When the bump task runs
    assert services.withdrawals_replace_stuck() == []
    # Then nothing was signed or sent again
    row = ChainWithdrawal.objects.get(pk=pending_withdrawal.pk)
    assert row.tx_hashes == [pending_withdrawal.tx_hash]
    assert row.max_fee_per_gas == pending_withdrawal.max_fee_per_gas
    assert _pool_hashes(own_chain) == {pending_withdrawal.tx_hash.lower()}


def test_a_withdrawal_sent_recently_is_not_replaced(settings, own_chain, pending_withdrawal):
    settings.EXCHANGE_STUCK_AFTER_S = 600
    assert services.withdrawals_replace_stuck() == []
    row = ChainWithdrawal.objects.get(pk=pending_withdrawal.pk)
    assert row.tx_hashes == [pending_withdrawal.tx_hash]


def test_a_withdrawal_the_hot_wallet_cannot_pay_waits_unsigned(
    settings, own_chain, market, alice, bob, fund
):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    fund(alice, market, eth=ETH)
    services.withdrawal_address_add(user=alice, address=TARGET)
    withdrawal = services.withdrawal_request(
        user=alice, asset="ETH", address=TARGET, amount=ETH // 10
    )
    services.withdrawal_approve(staff=bob, withdrawal=withdrawal)
    # Given an empty hot wallet: sending would be refused and leave a nonce gap
    services.withdrawal_send(withdrawal_pk=withdrawal.pk)
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.nonce, withdrawal.tx_hashes) == (
        ChainWithdrawal.Status.APPROVED,
        None,
        [],
    )
    # When the wallet is refilled, the next run sends it with the wallet's first nonce
    chainkit.send_ether(own_chain, hot_wallet().address, 10**18)
    services.withdrawal_send(withdrawal_pk=withdrawal.pk)
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.nonce) == (ChainWithdrawal.Status.SENT, 0)
