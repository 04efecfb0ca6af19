"""A receipt checked against the portal's node, with the chain's side remembered for a while.

What the chain says about an anchor — the chain id, the contract's `anchoredAt(root)`, the
transaction, its block and its `Anchored` event — is the same for every record of one batch.
`receipt_check` asks the node once, and when every chain step held and the transaction's block
has `CHAIN_CONFIRMATIONS` confirmations it keeps those steps in the cache for
`CHAIN_CHECK_REMEMBER_S` seconds, keyed by everything they were checked against (node, chain
id, contract, root, transaction, block number and hash). A batch sent back to `sealed`
(reorg, lost transaction) forgets its entry (`anchor_forget`), and a batch anchored again has
another transaction and block, so another key. The record's own steps (format, envelope, leaf,
proof to the root) run on every request; so a revoked or changed record shows at once.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from busanhub.chain import node, verify

# The steps verify.verify_on_chain adds after the offline ones, in order.
CHAIN_STEPS = ("chain", "anchored", "contract-verify", "block")


@dataclass(frozen=True)
class Checked:
    result: verify.Result
    checked_at: datetime | None  # when the node was asked (None: the chain was not reached)
    is_remembered: bool  # the chain steps came from the cache, not from the node just now


def anchor_key(
    *,
    chain_id: int,
    contract: str,
    root: str,
    tx_hash: str,
    block_number: int,
    block_hash: str,
) -> str:
    """The cache key of one anchor's chain facts (its batch's, as the receipt states them)."""
    parts = (
        settings.CHAIN_RPC_URL,
        chain_id,
        contract.lower(),
        root.lower(),
        tx_hash.lower(),
        block_number,
        block_hash.lower(),
    )
    return "chain-check:v1:" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _receipt_key(receipt: dict) -> str:
    anchor = receipt["anchor"]
    return anchor_key(
        chain_id=anchor["chainId"],
        contract=anchor["contract"],
        root=receipt["root"],
        tx_hash=anchor["txHash"],
        block_number=anchor["blockNumber"],
        block_hash=str(anchor.get("blockHash", "")),
    )


def anchor_forget(**anchor: object) -> None:
    """Drops what was remembered of an anchor (its batch goes back to `sealed`)."""
    cache.delete(anchor_key(**anchor))  # type: ignore[arg-type]


def _recall(receipt: dict, offline: verify.Result) -> Checked | None:
    remembered = cache.get(_receipt_key(receipt))
    if remembered is None:
        return None
    checked_at, steps = remembered
    if time.time() - checked_at >= settings.CHAIN_CHECK_REMEMBER_S:
        return None  # the cache's own expiry is in whole seconds: this one is exact
    for name, code, params in steps:
        if name == "contract-verify":
            # The contract's verify(proof, root, digest) is a pure function of its arguments
            # and of anchoredAt(root): it accepted a proof to this root when the chain was
            # checked, and this record's proof leads to the same root (step "proof", run now).
            offline.explain(name, True, "contract-verify-remembered")
        else:
            offline.explain(name, True, code, **params)
    return Checked(offline, datetime.fromtimestamp(checked_at, tz=UTC), is_remembered=True)


def receipt_check(receipt: dict, *, remember: bool = True) -> Checked:
    """The receipt's offline steps (always), then its chain steps: from the cache when this
    anchor's were checked less than CHAIN_CHECK_REMEMBER_S ago and final then, else from the
    node. `remember=False` always asks the node and stores nothing."""
    result = verify.verify_offline(receipt)
    if not result.ok:
        return Checked(result, None, is_remembered=False)
    remember = remember and settings.CHAIN_CHECK_REMEMBER_S > 0
    if remember:
        recalled = _recall(receipt, result)
        if recalled is not None:
            return recalled
    checked_at = time.time()
    w3 = node.web3()
    try:
        result = verify.verify_on_chain(receipt, w3, result)
    except node.TRANSIENT_ERRORS as exc:
        result.explain("chain", False, "chain-unreachable", error=type(exc).__name__)
        return Checked(result, None, is_remembered=False)
    if remember and result.ok:
        _remember_if_final(receipt, result, w3, checked_at)
    return Checked(result, datetime.fromtimestamp(checked_at, tz=UTC), is_remembered=False)


def _remember_if_final(receipt: dict, result: verify.Result, w3, checked_at: float) -> None:
    """Only a final anchor is remembered: every chain step held (the caller checked) and its
    block is as deep as the anchoring's own rule asks (CHAIN_CONFIRMATIONS); a shallower one
    may still be reorged away."""
    try:
        depth = w3.eth.block_number - receipt["anchor"]["blockNumber"] + 1
    except node.TRANSIENT_ERRORS:
        return  # the steps hold as checked; only their depth is unknown: not remembered
    if depth < settings.CHAIN_CONFIRMATIONS:
        return
    steps = [
        (step.name, step.code, step.params) for step in result.steps if step.name in CHAIN_STEPS
    ]
    cache.set(
        _receipt_key(receipt),
        (checked_at, steps),
        timeout=int(settings.CHAIN_CHECK_REMEMBER_S) + 1,
    )
