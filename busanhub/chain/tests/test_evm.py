"""busanhub.chain.evm on a real anvil: nonces under concurrent senders, same-nonce replacement
with bumped fees, a lost transaction sent again; and the fee-bump arithmetic."""

import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from eth_account import Account
from web3 import Web3

from busanhub.chain import evm
from busanhub.chain.models import ChainSigner
from busanhub.testing import run_threads

GWEI = 10**9
TARGET = "0x000000000000000000000000000000000000dEaD"
# anvil's well-known test accounts #5 and #6: worthless outside a local anvil.
SENDER = Account.from_key("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba")
OTHER = Account.from_key("0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e")
THREADS = 6


def client(node) -> Web3:
    return Web3(Web3.HTTPProvider(node.url))


def transfer(value: int = 1) -> dict:
    return {"to": TARGET, "value": value, "gas": 21_000}


def pool_hashes(node) -> set[str]:
    content = node.call("txpool_content")
    return {tx["hash"].lower() for txs in content["pending"].values() for tx in txs.values()}


def sign(w3, account=SENDER, **kwargs) -> evm.SignedTx:
    with transaction.atomic():
        return evm.tx_sign(w3, account=account, tx=transfer(), fees=evm.fees_current(w3), **kwargs)


# --- fee arithmetic (no node) -----------------------------------------------------------------


def test_a_bump_raises_both_fees_by_the_percentage_rounded_up():
    previous = evm.Fees(max_fee_per_gas=101 * GWEI, max_priority_fee_per_gas=3 * GWEI + 1)

    bumped = evm.fees_bumped(previous, percent=25)

    assert bumped == evm.Fees(
        max_fee_per_gas=126_250_000_000, max_priority_fee_per_gas=3_750_000_002
    )


def test_a_bump_is_never_below_the_nodes_ten_percent():
    previous = evm.Fees(max_fee_per_gas=100 * GWEI, max_priority_fee_per_gas=2 * GWEI)

    assert evm.fees_bumped(previous, percent=3) == evm.Fees(110 * GWEI, 2_200_000_000)
    # a zero tip still goes up (anvil and geth compare strictly on the max fee)
    assert evm.fees_bumped(evm.Fees(10, 0), percent=10) == evm.Fees(11, 1)
    # a fractional floor (the exchange's 12.5 %)
    assert evm.fees_bumped(previous, percent=10, floor_percent=Decimal("12.5")) == evm.Fees(
        112_500_000_000, 2_250_000_000
    )


def test_a_bump_follows_the_current_fees_when_they_are_higher():
    previous = evm.Fees(max_fee_per_gas=100 * GWEI, max_priority_fee_per_gas=2 * GWEI)
    current = evm.Fees(max_fee_per_gas=300 * GWEI, max_priority_fee_per_gas=5 * GWEI)

    bumped = evm.fees_bumped(previous, percent=10, current=current)

    # the tip is today's, the max fee today's base fee twice plus that tip
    assert bumped == evm.Fees(300 * GWEI, 5 * GWEI)


def test_a_capped_bump_is_refused_when_the_node_would_refuse_it():
    previous = evm.Fees(max_fee_per_gas=100 * GWEI, max_priority_fee_per_gas=2 * GWEI)

    # the cap leaves 15 %: still a valid replacement
    assert evm.fees_bumped(previous, percent=50, cap=115 * GWEI) == evm.Fees(115 * GWEI, 3 * GWEI)
    # the cap leaves 5 %: no replacement the node would take
    assert evm.fees_bumped(previous, percent=50, cap=105 * GWEI) is None


# --- nonces -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_signing_needs_the_callers_transaction(anvil):
    with pytest.raises(RuntimeError, match="atomic"):
        evm.tx_sign(client(anvil), account=SENDER, tx=transfer(), fees=evm.Fees(GWEI, 1))
    assert not ChainSigner.objects.exists()


@pytest.mark.django_db
def test_a_rollback_gives_the_nonce_back_a_commit_keeps_it(anvil):
    w3 = client(anvil)
    start = w3.eth.get_transaction_count(SENDER.address, "pending")
    # Given a signature whose caller rolls back
    with transaction.atomic():
        first = evm.tx_sign(w3, account=SENDER, tx=transfer(), fees=evm.fees_current(w3))
        transaction.set_rollback(True)
    # When the next caller signs, Then it gets the same nonce
    second = sign(w3)
    assert first.nonce == second.nonce == start
    # And a signature committed but not broadcast yet keeps its nonce from the next caller
    third = sign(w3)
    assert third.nonce == start + 1
    row = ChainSigner.objects.get(address=SENDER.address)
    assert row.next_nonce == start + 2
    assert set(row.in_flight) == {str(start), str(start + 1)}
    # When the caller gives the first one up (never sent), Then its nonce is handed out again
    with transaction.atomic():
        evm.nonce_abandon(address=SENDER.address, nonce=start, tx_hashes=[second.tx_hash])
    assert sign(w3).nonce == start
    # And once the node has the transactions, the count follows the node
    assert evm.tx_broadcast(w3, third.raw_tx) in (evm.Broadcast.SENT, evm.Broadcast.KNOWN)


@pytest.mark.django_db
def test_a_signature_locks_the_signers_row_once(anvil):
    # Given a signer that has signed before (its row exists)
    w3 = client(anvil)
    sign(w3)
    table = ChainSigner._meta.db_table
    # When it signs again, with its next nonce and with a nonce it was given
    for kwargs in ({}, {"nonce": sign(w3).nonce}):
        with CaptureQueriesContext(connection) as queries:
            sign(w3, **kwargs)
        # Then its row was read once, locked, and written once (the nonce and the note)
        touching = [query["sql"] for query in queries if table in query["sql"]]
        assert len(touching) == 2, touching
        assert "FOR UPDATE" in touching[0]
        assert touching[1].startswith("UPDATE")


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_consecutive_nonces_and_all_are_mined(own_anvil):
    """Real threads, each its own connection: each signs and records in its transaction and
    broadcasts after the commit (the exchange's way); the row lock hands out every nonce once."""
    w3 = client(own_anvil)
    start = w3.eth.get_transaction_count(OTHER.address, "pending")

    def sender(index: int) -> evm.SignedTx:
        thread_w3 = client(own_anvil)
        with transaction.atomic():
            signed = evm.tx_sign(
                thread_w3, account=OTHER, tx=transfer(index + 1), fees=evm.fees_current(thread_w3)
            )
            time.sleep(0.05)  # hold the lock while "recording": the others must wait
        assert evm.tx_broadcast(thread_w3, signed.raw_tx) == evm.Broadcast.SENT
        return signed

    results = run_threads(THREADS, sender)

    assert [r for r in results if not isinstance(r, evm.SignedTx)] == []
    assert sorted(r.nonce for r in results) == list(range(start, start + THREADS))
    for signed in results:
        receipt = w3.eth.wait_for_transaction_receipt(signed.tx_hash, timeout=10)
        assert receipt["status"] == 1
    assert w3.eth.get_transaction_count(OTHER.address, "latest") == start + THREADS
    assert ChainSigner.objects.get(address=OTHER.address).next_nonce == start + THREADS


# --- replacement and rebroadcast on anvil -----------------------------------------------------


@pytest.mark.django_db
def test_a_stuck_transaction_is_replaced_with_the_same_nonce(own_anvil):
    w3 = client(own_anvil)
    own_anvil.call("evm_setAutomine", False)
    # Given a transaction waiting in the pool of a node that does not mine
    first = sign(w3)
    assert evm.tx_broadcast(w3, first.raw_tx) == evm.Broadcast.SENT
    # When it is replaced with fees up by 25 %
    with transaction.atomic():
        second = evm.tx_replace(
            w3, account=SENDER, tx=transfer(), nonce=first.nonce, previous=first.fees, percent=25
        )
    assert evm.tx_broadcast(w3, second.raw_tx) == evm.Broadcast.SENT
    # Then the pool holds only the replacement: same nonce, both fees at least 25 % higher
    assert second.nonce == first.nonce and second.tx_hash != first.tx_hash
    assert second.fees.max_fee_per_gas * 100 >= first.fees.max_fee_per_gas * 125
    assert second.fees.max_priority_fee_per_gas * 100 >= first.fees.max_priority_fee_per_gas * 125
    assert pool_hashes(own_anvil) == {second.tx_hash}
    assert evm.tx_broadcast(w3, first.raw_tx) == evm.Broadcast.UNDERPRICED
    # When a block is mined, Then the replacement is the one mined, once
    own_anvil.call("evm_mine")
    receipt = evm.receipt_of_any(w3, [first.tx_hash, second.tx_hash])
    assert evm.to_hex(receipt["transactionHash"]) == second.tx_hash
    assert w3.eth.get_transaction_count(SENDER.address) == first.nonce + 1
    # And nothing replaces a spent nonce
    assert evm.tx_broadcast(w3, first.raw_tx) == evm.Broadcast.NONCE_SPENT
    with transaction.atomic():
        assert (
            evm.tx_replace(
                w3,
                account=SENDER,
                tx=transfer(),
                nonce=first.nonce,
                previous=second.fees,
                percent=25,
            )
            is None
        )


@pytest.mark.django_db
def test_a_transaction_the_node_lost_is_sent_again_with_the_same_hash(own_anvil):
    w3 = client(own_anvil)
    own_anvil.call("evm_setAutomine", False)
    # Given a sent transaction that the node then loses
    signed = sign(w3)
    evm.tx_broadcast(w3, signed.raw_tx)
    own_anvil.call("anvil_dropTransaction", signed.tx_hash)
    assert not evm.tx_known(w3, [signed.tx_hash])
    # When it is rebroadcast, Then the same bytes are back in the pool; a second time, nothing
    assert evm.tx_rebroadcast(w3, raw_tx=signed.raw_hex, tx_hashes=[signed.tx_hash]) == "sent"
    assert pool_hashes(own_anvil) == {signed.tx_hash}
    assert evm.tx_rebroadcast(w3, raw_tx=signed.raw_hex, tx_hashes=[signed.tx_hash]) is None
    # And it is mined as signed
    own_anvil.call("evm_mine")
    assert w3.eth.get_transaction_receipt(signed.tx_hash)["status"] == 1
    assert w3.eth.get_transaction_count(SENDER.address) == signed.nonce + 1


@pytest.mark.django_db
def test_after_a_chain_reset_nonces_follow_the_new_chain(anvil):
    # Given a signer row with 50 transactions in flight that the (reset) node never saw
    w3 = client(anvil)
    pending = w3.eth.get_transaction_count(SENDER.address, "pending")
    ChainSigner.objects.create(
        address=SENDER.address,
        next_nonce=pending + 50,
        in_flight={str(n): {"hash": "0x"} for n in range(pending, pending + 50)},
    )
    with transaction.atomic():
        assert evm.nonce_take(w3, SENDER.address) == pending + 50
        transaction.set_rollback(True)
    # When the chain reset is noticed (busanhub.chain.services.deployment_reset)
    assert evm.signers_forget() == 1
    # Then the next nonce is the node's again
    assert sign(w3).nonce == pending
