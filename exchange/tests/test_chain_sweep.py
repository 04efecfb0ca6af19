"""Sweeping credited deposits to the hot wallet (and the hot wallet's excess to a cold wallet)
on a private anvil, so that every balance is exactly what these tests put there."""

from io import StringIO

import pytest
from django.core.management import call_command
from web3 import Web3

from exchange import selectors, services
from exchange.models import Asset, ChainSweep, DepositSweep, LiabilitySnapshot
from exchange.services import reserves as reserve_services
from exchange.services.wallets import hot_wallet
from exchange.tests import chainkit
from exchange.tests.factories import ETH, kyc_user

GWEI = 10**9
COLD = "0x00000000000000000000000000000000000c01d0"


@pytest.fixture
def node(settings, own_chain):
    settings.EXCHANGE_CONFIRMATIONS = 3
    settings.EXCHANGE_COLD_WALLET_ADDRESS = ""
    return own_chain


@pytest.fixture
def token(node):
    address = chainkit.deploy_token(node)
    return Asset.objects.create(
        symbol="BUSD",
        name="Test BUSD",
        kind=Asset.Kind.ERC20,
        decimals=6,
        chain_decimals=6,
        contract_address=address,
    )


def _credited_deposit(node, user, *, wei=0, token=None, amount=0):
    address = services.deposit_address_assign(user=user).address
    if token is None:
        chainkit.send_ether(node, address, wei)
    else:
        chainkit.send_token(node, token.contract_address, address, amount)
    chainkit.mine(node, 3)
    assert services.deposits_scan()["credited"] == 1
    return address


def _wei_held(w3, block="latest") -> int:
    return sum(
        w3.eth.get_balance(a, block_identifier=block) for a in reserve_services.exchange_addresses()
    )


def test_native_deposit_is_swept_once_and_the_customer_balance_never_moves(node, market, alice):
    w3 = chainkit.client(node)
    hot = hot_wallet().address
    # Given Alice's credited 0.5 ETH deposit
    address = _credited_deposit(node, alice, wei=ETH // 2 * GWEI)
    ledger = selectors.balances_for(user=alice)
    held_before = _wei_held(w3)
    assert services.reserves_on_chain()["ETH"] == held_before // GWEI == ETH // 2
    # When the sweep runs (the node mines it at once) and runs again before confirmations
    assert services.deposits_sweep()["started"] == 1
    assert services.deposits_sweep() == dict.fromkeys(
        ("started", "sent", "confirmed", "failed", "skipped", "cold"), 0
    )
    sweep = ChainSweep.objects.get()
    assert (sweep.status, sweep.source, sweep.destination) == (ChainSweep.Status.SENT, address, hot)
    assert w3.eth.get_transaction_count(address) == 1  # one transaction, never re-signed
    # Then after the confirmations it is confirmed
    chainkit.mine(node, 3)
    assert services.deposits_sweep()["confirmed"] == 1
    sweep.refresh_from_db()
    assert sweep.status == ChainSweep.Status.CONFIRMED
    receipt = w3.eth.get_transaction_receipt(sweep.tx_hash)
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    # The hot wallet got the balance minus the most the gas could cost; only the gas is gone
    assert (
        w3.eth.get_balance(hot)
        == int(sweep.amount)
        == ETH // 2 * GWEI - 21_000 * sweep.max_fee_per_gas
    )
    assert w3.eth.get_balance(address) == ETH // 2 * GWEI - int(sweep.amount) - fee
    assert _wei_held(w3) == held_before - fee
    assert services.reserves_on_chain()["ETH"] == (held_before - fee) // GWEI
    # And the customer's ledger balance never moved, and nothing more is swept
    assert selectors.balances_for(user=alice) == ledger
    assert selectors.ledger_matches_balances()
    services.deposits_sweep()
    assert ChainSweep.objects.count() == 1
    assert w3.eth.get_transaction_count(address) == 1


def test_erc20_deposit_is_topped_up_with_gas_then_swept(node, token, market, alice):
    w3 = chainkit.client(node)
    hot = hot_wallet().address
    chainkit.send_ether(node, hot, 10**18)
    # Given Alice's credited 1.5 BUSD deposit
    address = _credited_deposit(node, alice, token=token, amount=1_500_000)
    # When the sweep starts: the hot wallet tops the deposit address up with just enough gas
    assert services.deposits_sweep()["started"] == 1
    sweep = ChainSweep.objects.get()
    assert sweep.status == ChainSweep.Status.GAS_SENT
    assert w3.eth.get_balance(address) == sweep.gas_limit * sweep.max_fee_per_gas
    assert w3.eth.get_transaction_count(hot) == 1
    # Mid-sweep the reserves still count every token once
    assert services.reserves_on_chain()["BUSD"] == 1_500_000
    # Then the next run signs the token transfer from the deposit address
    assert services.deposits_sweep()["sent"] == 1
    sweep.refresh_from_db()
    assert sweep.status == ChainSweep.Status.SENT
    assert services.reserves_on_chain()["BUSD"] == 1_500_000
    chainkit.mine(node, 3)
    assert services.deposits_sweep()["confirmed"] == 1
    assert chainkit.token_balance(node, token.contract_address, hot) == 1_500_000
    assert chainkit.token_balance(node, token.contract_address, address) == 0
    assert services.reserves_on_chain()["BUSD"] == 1_500_000
    assert selectors.balances_for(user=alice)["BUSD"]["available"] == 1_500_000
    assert w3.eth.get_transaction_count(address) == 1
    assert w3.eth.get_transaction_count(hot) == 1
    assert DepositSweep.objects.get().sweep == sweep


def test_a_lost_broadcast_is_sent_again_with_the_same_hash(node, market, alice):
    w3 = chainkit.client(node)
    address = _credited_deposit(node, alice, wei=ETH // 4 * GWEI)
    # Given a sweep signed and recorded whose transaction the node then loses
    node.call("evm_setAutomine", False)
    services.deposits_sweep()
    sweep = ChainSweep.objects.get()
    node.call("anvil_dropTransaction", sweep.tx_hash)
    assert w3.eth.get_transaction_count(address, "pending") == 0
    # When the sweep runs again
    services.deposits_sweep()
    # Then the same signed transaction is back in the pool: no new sweep, no new signature
    assert ChainSweep.objects.count() == 1
    assert w3.eth.get_transaction(sweep.tx_hash)["nonce"] == 0
    node.call("evm_setAutomine", True)
    chainkit.mine(node, 3)
    assert services.deposits_sweep()["confirmed"] == 1
    assert w3.eth.get_transaction_count(address) == 1
    assert w3.eth.get_balance(hot_wallet().address) == int(sweep.amount)


def test_dust_below_the_gas_cost_is_not_swept(node, market, alice):
    w3 = chainkit.client(node)
    address = _credited_deposit(node, alice, wei=1000 * GWEI)  # 0.000001 ETH
    counts = services.deposits_sweep()
    assert (counts["started"], counts["skipped"]) == (0, 1)
    assert ChainSweep.objects.get().status == ChainSweep.Status.SKIPPED
    assert w3.eth.get_transaction_count(address) == 0
    assert w3.eth.get_balance(address) == 1000 * GWEI
    assert services.deposits_sweep()["skipped"] == 0


def test_hot_wallet_excess_goes_to_the_cold_wallet(settings, node, market, alice):
    w3 = chainkit.client(node)
    hot = hot_wallet().address
    chainkit.send_ether(node, hot, ETH * GWEI)  # 1 ETH
    settings.EXCHANGE_COLD_WALLET_ADDRESS = COLD
    settings.EXCHANGE_HOT_WALLET_LIMITS = {"ETH": ETH // 5}  # keep 0.2 ETH hot
    held_before = _wei_held(w3)
    # When the sweep runs
    assert services.deposits_sweep()["cold"] == 1
    sweep = ChainSweep.objects.get(kind=ChainSweep.Kind.COLD)
    # (anvil mines an automined transaction just after answering: wait for it)
    w3.eth.wait_for_transaction_receipt(sweep.tx_hash, timeout=10, poll_latency=0.05)
    # Then the excess above the limit (and the gas) went cold, and the reserves count it
    assert w3.eth.get_balance(Web3.to_checksum_address(COLD)) == int(sweep.amount)
    assert int(sweep.amount) == ETH * GWEI - ETH // 5 * GWEI - 21_000 * sweep.max_fee_per_gas
    assert w3.eth.get_balance(hot) >= ETH // 5 * GWEI
    receipt = w3.eth.get_transaction_receipt(sweep.tx_hash)
    assert _wei_held(w3) == held_before - receipt["gasUsed"] * receipt["effectiveGasPrice"]
    # And while it is in flight or below the limit, no second cold sweep starts
    assert services.deposits_sweep()["cold"] == 0
    chainkit.mine(node, 3)
    assert services.deposits_sweep() == {
        "started": 0,
        "sent": 0,
        "confirmed": 1,
        "failed": 0,
        "skipped": 0,
        "cold": 0,
    }
    assert ChainSweep.objects.count() == 1


def test_on_demand_snapshot_counts_reserves_once_while_a_sweep_is_in_flight(
    node, token, market, alice
):
    chainkit.send_ether(node, hot_wallet().address, 10**18)
    _credited_deposit(node, alice, token=token, amount=2_000_000)
    # Given a token sweep half done (gas topped up, transfer not signed yet)
    services.deposits_sweep()
    assert ChainSweep.objects.get().status == ChainSweep.Status.GAS_SENT
    # When staff take a snapshot on demand
    out = StringIO()
    call_command("liabilities_snapshot", stdout=out)
    # Then liabilities and reserves of the token are equal: nothing lost or counted twice
    snapshot = LiabilitySnapshot.objects.get()
    assert snapshot.totals["BUSD"] == snapshot.reserves["BUSD"] == "2000000"
    assert "BUSD: liabilities 2000000 reserves 2000000" in out.getvalue()


def test_reserves_read_in_several_batches_count_every_address_once(
    node, token, market, monkeypatch
):
    w3 = chainkit.client(node)
    # Given five customers' deposit addresses holding ether and tokens (uncredited: reserves
    # are what the chain says), and batches of two reads
    users = [kyc_user(email=f"reserve{n}@example.kr") for n in range(5)]
    for n, user in enumerate(users, 1):
        address = services.deposit_address_assign(user=user).address
        chainkit.send_ether(node, address, n * GWEI)
        chainkit.send_token(node, token.contract_address, address, n * 1_000)
    monkeypatch.setattr(reserve_services, "RESERVES_BATCH", 2)
    # When the reserves are read
    reserves = services.reserves_on_chain()
    # Then they equal the balances read one address at a time
    addresses = reserve_services.exchange_addresses()
    assert len(addresses) == 6  # the hot wallet and the five deposit addresses
    assert reserves["ETH"] == _wei_held(w3) // GWEI
    assert (
        reserves["BUSD"]
        == 15_000
        == sum(chainkit.token_balance(node, token.contract_address, a) for a in addresses)
    )
