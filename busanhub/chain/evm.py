"""One sender of EVM transactions from server-held keys: the anchoring signer
(busanhub.chain.services), the exchange's hot wallet and deposit addresses (exchange.services
withdrawal_sending and sweeps) and the education lab's faucet and sandbox accounts
(education.labchain).

A transaction goes out in two steps, so that a re-run never sends twice:

1. `tx_sign(w3, account=..., tx=..., fees=...)`, inside the caller's `transaction.atomic()`,
   takes the signer's next nonce under the row lock of its `ChainSigner` (held until the
   caller's transaction ends: every spender of one account is serialised, across processes),
   signs an EIP-1559 transaction and notes it in the signer's row. The caller stores the
   returned `SignedTx` (nonce, hash, raw bytes, fees) in its own row, in the same transaction;
   a rollback gives the nonce back.
2. `tx_broadcast(w3, signed.raw_tx)` after the commit (or before it, when a failed send should
   roll the record back). A crash in between leaves a recorded transaction, which
   `tx_rebroadcast` sends again with the same hash; nothing is ever signed anew for it.

A transaction not mined in time is replaced by `tx_replace`: the same nonce with both fees
raised by a configured percentage (at least MIN_BUMP_PERCENT, the replacement rule of geth's
pool; anvil's is laxer). At most one of a nonce's transactions can be mined, so callers keep
every hash they sent and settle on `receipt_of_any`. `send_and_wait` is both steps and a wait
for the receipt, for callers that need the result at once (deployments, labs).
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from django.db import connection, transaction
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import TransactionNotFound, Web3RPCError

from busanhub.chain.models import ChainSigner
from busanhub.chain.node import ChainError, to_hex

# geth's txpool (`--txpool.pricebump`, default 10) refuses a replacement unless both its max fee
# and its priority fee are at least this much higher than the transaction's it replaces.
MIN_BUMP_PERCENT = 10
RECEIPT_TIMEOUT_S = 120


class Broadcast(StrEnum):
    """What the node said to a signed transaction."""

    SENT = "sent"  # taken into its pool now
    KNOWN = "known"  # already in its pool
    NONCE_SPENT = "nonce_spent"  # nonce too low: a transaction of this nonce is mined
    UNDERPRICED = "underpriced"  # a transaction of this nonce paying more is in the pool


# The node's words for each outcome (geth, anvil, reth, besu).
_REFUSALS = (
    ("already known", Broadcast.KNOWN),
    ("already imported", Broadcast.KNOWN),
    ("known transaction", Broadcast.KNOWN),
    ("nonce too low", Broadcast.NONCE_SPENT),
    ("underpriced", Broadcast.UNDERPRICED),
)


@dataclass(frozen=True)
class Fees:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


@dataclass(frozen=True)
class SignedTx:
    nonce: int
    tx_hash: str
    raw_tx: bytes
    fees: Fees
    gas: int

    @property
    def raw_hex(self) -> str:
        return to_hex(self.raw_tx)


# --- fees (pure but for fees_current) -----------------------------------------------------------


def fees_current(w3: Web3, *, priority: int | None = None, cap: int | None = None) -> Fees:
    """Fees for a new transaction: the tip (the node's suggestion unless given) plus twice the
    latest base fee, so it stays includable while the base fee doubles; never above `cap`."""
    base = w3.eth.get_block("latest").get("baseFeePerGas") or 0
    tip = max(int(w3.eth.max_priority_fee), 1) if priority is None else priority
    max_fee = 2 * base + tip
    if cap is not None:
        tip, max_fee = min(tip, cap), min(max_fee, cap)
    return Fees(max_fee_per_gas=max_fee, max_priority_fee_per_gas=tip)


def _raised(value: int, percent: Fraction) -> int:
    """`value` raised by `percent`, rounded up, and at least by one wei."""
    return max(math.ceil(value * (100 + percent) / 100), value + 1)


def fees_bumped(
    previous: Fees,
    *,
    percent: int | Decimal,
    current: Fees | None = None,
    cap: int | None = None,
    floor_percent: int | Decimal = MIN_BUMP_PERCENT,
) -> Fees | None:
    """Fees for a replacement of a transaction that paid `previous`: both raised by `percent`
    (never less than MIN_BUMP_PERCENT), the tip at least what a new transaction's would be
    (`current`) and the max fee at least the current base fee's doubling plus that tip.
    Above `cap` they are cut to it; None when the cut leaves either fee less than
    `floor_percent` above the previous one (the node would refuse it)."""
    floor = Fraction(max(Decimal(floor_percent), Decimal(MIN_BUMP_PERCENT)))
    bump = max(Fraction(Decimal(percent)), floor)
    tip = _raised(previous.max_priority_fee_per_gas, bump)
    max_fee = _raised(previous.max_fee_per_gas, bump)
    if current is not None:
        tip = max(tip, current.max_priority_fee_per_gas)
        max_fee = max(max_fee, current.max_fee_per_gas - current.max_priority_fee_per_gas + tip)
    max_fee = max(max_fee, tip)
    if cap is not None:
        max_fee = min(max_fee, cap)
        tip = min(tip, max_fee)
    if max_fee < _raised(previous.max_fee_per_gas, floor) or tip < _raised(
        previous.max_priority_fee_per_gas, floor
    ):
        return None
    return Fees(max_fee_per_gas=max_fee, max_priority_fee_per_gas=tip)


# --- nonces -------------------------------------------------------------------------------------


def _signer_locked(address: str) -> ChainSigner:
    """The signer's row, locked until the caller's transaction ends (created on first use)."""
    if not connection.in_atomic_block:
        raise RuntimeError("the signer's lock needs the caller's transaction.atomic()")
    address = Web3.to_checksum_address(address)
    row = ChainSigner.objects.select_for_update().filter(address=address).first()
    if row is None:
        ChainSigner.objects.get_or_create(address=address)
        row = ChainSigner.objects.select_for_update().get(address=address)
    return row


def nonce_take(w3: Web3, address: str) -> int:
    """Reserves `address`'s next nonce. Call inside the transaction that records what is signed
    with it: the signer's row stays locked until that transaction ends (every spender of the
    account waits), and a rollback gives the nonce back.

    The nonce is the node's pending count, or higher when transactions signed and recorded
    earlier are not in the node yet (committed, not broadcast; or lost: the callers send those
    again). A nonce below the node's count that was handed out and is no longer in flight
    (its caller rolled back before sending, or abandoned it: `nonce_abandon`) is reused, so
    no gap blocks the account."""
    row = _signer_locked(address)
    nonce = _nonce_reserve(w3, row)
    row.save(update_fields=["next_nonce", "in_flight"])
    return nonce


def _nonce_reserve(w3: Web3, row: ChainSigner) -> int:
    """`nonce_take` on a signer row the caller has locked; the caller saves the row."""
    account = Web3.to_checksum_address(row.address)
    latest = w3.eth.get_transaction_count(account, "latest")
    floor = max(latest, w3.eth.get_transaction_count(account, "pending"))
    in_flight = {key: value for key, value in row.in_flight.items() if int(key) >= latest}
    nonce = next(
        (n for n in range(floor, row.next_nonce) if str(n) not in in_flight),
        max(floor, row.next_nonce),
    )
    row.next_nonce = max(row.next_nonce, nonce + 1)
    row.in_flight = in_flight
    return nonce


def nonce_abandon(*, address: str, nonce: int, tx_hashes: list[str]) -> None:
    """The caller gives up its transactions of `nonce` (e.g. an anchor batch sent back to be
    anchored again after a reorg dropped them): if none is mined, the nonce is handed out again.
    Call inside the caller's transaction."""
    row = _signer_locked(address)
    entry = row.in_flight.get(str(nonce))
    if entry and entry["hash"].lower() in {h.lower() for h in tx_hashes}:
        row.in_flight = {k: v for k, v in row.in_flight.items() if k != str(nonce)}
        row.save(update_fields=["in_flight"])


def signers_forget() -> int:
    """The chain was reset: every account's nonces start again from the node's count."""
    return ChainSigner.objects.update(next_nonce=0, in_flight={})


def nonce_spent(w3: Web3, address: str, nonce: int) -> bool:
    """Whether a transaction of `nonce` is mined (ours or not): nothing can replace it then."""
    return w3.eth.get_transaction_count(Web3.to_checksum_address(address), "latest") > nonce


# --- sign, replace, broadcast -------------------------------------------------------------------


def tx_sign(
    w3: Web3,
    *,
    account: LocalAccount,
    tx: dict,
    fees: Fees,
    nonce: int | None = None,
    chain_id: int | None = None,
) -> SignedTx:
    """Signs `tx` (to, value, data, gas) from `account` as an EIP-1559 transaction with the
    account's next nonce (`nonce_take`) unless one is given. Inside the caller's
    transaction.atomic(), which must record the result; nothing is sent here."""
    full = {
        **tx,
        "chainId": chain_id or tx.get("chainId") or w3.eth.chain_id,
        "maxFeePerGas": fees.max_fee_per_gas,
        "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
        "type": 2,
    }
    full.pop("gasPrice", None)
    if "gas" not in full:
        full["gas"] = int(w3.eth.estimate_gas({**full, "from": account.address}) * 12 // 10)
    # One lock of the signer's row serves the nonce and the note of what is in flight.
    row = _signer_locked(account.address)
    full["nonce"] = _nonce_reserve(w3, row) if nonce is None else nonce
    full.pop("from", None)
    signed = account.sign_transaction(full)
    result = SignedTx(
        nonce=full["nonce"],
        tx_hash=to_hex(signed.hash),
        raw_tx=bytes(signed.raw_transaction),
        fees=fees,
        gas=int(full["gas"]),
    )
    row.in_flight = {**row.in_flight, str(result.nonce): {"hash": result.tx_hash}}
    row.save(update_fields=["next_nonce", "in_flight"])
    return result


def tx_replace(
    w3: Web3,
    *,
    account: LocalAccount,
    tx: dict,
    nonce: int,
    previous: Fees,
    percent: int | Decimal,
    cap: int | None = None,
    floor_percent: int | Decimal = MIN_BUMP_PERCENT,
    priority: int | None = None,
) -> SignedTx | None:
    """Signs `tx` again with the same nonce and fees bumped (`fees_bumped`) over `previous`.
    None when the nonce is already mined or the cap leaves no bump the node would take.
    Inside the caller's transaction.atomic(), which records the result (keep every hash:
    whichever of them is mined is the one that counts)."""
    if nonce_spent(w3, account.address, nonce):
        return None
    fees = fees_bumped(
        previous,
        percent=percent,
        current=fees_current(w3, priority=priority, cap=cap),
        cap=cap,
        floor_percent=floor_percent,
    )
    if fees is None:
        return None
    return tx_sign(w3, account=account, tx=tx, fees=fees, nonce=nonce)


def tx_broadcast(w3: Web3, raw_tx: bytes | str) -> Broadcast:
    """Sends a signed transaction. The node already holding it, its nonce already mined, or a
    transaction of its nonce paying more in the pool are answers, not errors (a re-run sends
    what was recorded, again); anything else raises."""
    try:
        w3.eth.send_raw_transaction(HexStr(raw_tx) if isinstance(raw_tx, str) else raw_tx)
        return Broadcast.SENT
    except (ValueError, Web3RPCError) as exc:
        text = str(exc).lower()
        for words, outcome in _REFUSALS:
            if words in text:
                return outcome
        raise


def receipt_of_any(w3: Web3, tx_hashes: list[str]):
    """The receipt of whichever of a nonce's transactions was mined (None if none was)."""
    for tx_hash in reversed(tx_hashes):
        try:
            return w3.eth.get_transaction_receipt(HexStr(tx_hash))
        except TransactionNotFound:
            continue
    return None


def tx_known(w3: Web3, tx_hashes: list[str]) -> bool:
    """Whether the node holds any of these transactions (in its pool or mined)."""
    for tx_hash in tx_hashes:
        try:
            w3.eth.get_transaction(HexStr(tx_hash))
            return True
        except TransactionNotFound:
            continue
    return False


def tx_rebroadcast(w3: Web3, *, raw_tx: bytes | str, tx_hashes: list[str]) -> Broadcast | None:
    """Sends the latest signed transaction of a nonce again when the node lost all of them
    (a restart without persistence, an eviction from the pool): same bytes, same hash.
    None when the node knows one of them (pending or mined): nothing to do."""
    if not raw_tx or tx_known(w3, tx_hashes):
        return None
    return tx_broadcast(w3, raw_tx)


def send_and_wait(
    w3: Web3,
    *,
    account: LocalAccount,
    tx: dict,
    fees: Fees | None = None,
    timeout: float = RECEIPT_TIMEOUT_S,
):
    """Signs (`tx_sign`), sends before the signature's record commits (a refused send rolls
    the nonce back; a crash after the send leaves the node, which counts it, holding it) and
    waits for the receipt; raises ChainError when the node refuses it or it reverted. For
    callers that need the outcome now and keep no record to send again (deployments, labs)."""
    with transaction.atomic():
        signed = tx_sign(w3, account=account, tx=tx, fees=fees or fees_current(w3))
        outcome = tx_broadcast(w3, signed.raw_tx)
        if outcome not in (Broadcast.SENT, Broadcast.KNOWN):
            raise ChainError(f"the node refused {signed.tx_hash}: {outcome}")
    receipt = w3.eth.wait_for_transaction_receipt(
        HexStr(signed.tx_hash), timeout=timeout, poll_latency=0.1
    )
    if receipt["status"] != 1:
        raise ChainError(f"transaction {signed.tx_hash} reverted")
    return receipt
