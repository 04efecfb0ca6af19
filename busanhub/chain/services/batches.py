"""Seal → submit → confirm, and the checks that send a batch back when the chain forgets it.

State lives in the database, so a stopped node, broker or worker loses nothing: every step
reads what is pending and resumes. Every step is safe to run twice or concurrently.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from eth_typing import HexStr
from web3.exceptions import TransactionNotFound, Web3RPCError

from busanhub.chain import chain_check, evm, merkle, node
from busanhub.chain.models import AnchorBatch, AnchorLeaf, ChainDeployment
from busanhub.chain.services.deployments import (
    deployment_active,
    deployment_check,
    deployment_ensure,
    deployment_reset,
)

logger = logging.getLogger(__name__)

UPDATE_CHUNK = 5_000
Status = AnchorBatch.Status


# --- seal -------------------------------------------------------------------------------------


@transaction.atomic
def batch_seal(*, limit: int | None = None) -> AnchorBatch | None:
    """Takes up to `limit` pending leaves (CHAIN_BATCH_SIZE by default), builds their Merkle
    tree and stores it as one sealed batch. Concurrent sealers never take the same leaf
    (`FOR UPDATE SKIP LOCKED`). Returns None when nothing is pending."""
    limit = limit or settings.CHAIN_BATCH_SIZE
    rows = list(
        AnchorLeaf.objects.select_for_update(skip_locked=True)
        .filter(batch__isnull=True)
        .order_by("pk")
        .values_list("pk", "digest")[:limit]
    )
    if not rows:
        return None
    tree = merkle.MerkleTree.from_values([bytes.fromhex(digest[2:]) for _, digest in rows])
    batch = AnchorBatch.objects.create(
        root=merkle.to_hex(tree.root), leaf_count=len(rows), tree=tree.to_blob()
    )
    pks = [pk for pk, _ in rows]
    for start in range(0, len(pks), UPDATE_CHUNK):
        AnchorLeaf.objects.filter(pk__in=pks[start : start + UPDATE_CHUNK]).update(batch=batch)
    logger.info("sealed batch %s: %d leaves, root %s", batch.pk, batch.leaf_count, batch.root)
    return batch


def batches_seal_all(*, max_batches: int = 100) -> list[AnchorBatch]:
    """Seals everything pending, one batch of CHAIN_BATCH_SIZE at a time."""
    sealed: list[AnchorBatch] = []
    while len(sealed) < max_batches and (batch := batch_seal()) is not None:
        sealed.append(batch)
    return sealed


# --- submit -----------------------------------------------------------------------------------


def _anchor_tx(w3, deployment, batch, *, sender, fees: evm.Fees, gas=None) -> dict:
    """The `anchor(root, leafCount)` call; busanhub.chain.evm sets its nonce and final fees."""
    call = node.contract(w3, deployment.address).functions.anchor(
        merkle.to_bytes32(batch.root), batch.leaf_count
    )
    tx = {
        "from": sender,
        "chainId": deployment.chain_id,
        "maxFeePerGas": fees.max_fee_per_gas,
        "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
        "type": 2,
    }
    tx["gas"] = gas or int(call.estimate_gas(tx) * 12 // 10)
    return call.build_transaction(tx)


def _adopt_anchored(w3, deployment: ChainDeployment, batch: AnchorBatch) -> bool:
    """When the root is already on chain (a transaction we sent but did not record, or one
    re-included after a reorg), record that transaction instead of sending another."""
    contract = node.contract(w3, deployment.address)
    if contract.functions.anchoredAt(merkle.to_bytes32(batch.root)).call() == 0:
        return False
    logs = contract.events.Anchored.get_logs(
        from_block=deployment.deploy_block,
        argument_filters={"root": merkle.to_bytes32(batch.root)},
    )
    if not logs:
        return False
    tx_hash = node.to_hex(logs[-1]["transactionHash"])
    tx = w3.eth.get_transaction(tx_hash)
    batch.status = Status.SUBMITTED
    batch.deployment = deployment
    batch.nonce = tx["nonce"]
    batch.tx_hash = tx_hash
    batch.tx_hashes = [*batch.tx_hashes, tx_hash]
    batch.submitted_at = timezone.now()
    batch.save(
        update_fields=["status", "deployment", "nonce", "tx_hash", "tx_hashes", "submitted_at"]
    )
    logger.info("batch %s: root already anchored by %s, adopted", batch.pk, tx_hash)
    return True


def _record_sent(batch: AnchorBatch, signed: evm.SignedTx) -> None:
    batch.tx_hash = signed.tx_hash
    batch.tx_hashes = [*batch.tx_hashes, signed.tx_hash]
    batch.raw_tx = signed.raw_tx
    batch.max_fee_per_gas = signed.fees.max_fee_per_gas
    batch.max_priority_fee_per_gas = signed.fees.max_priority_fee_per_gas
    batch.submitted_at = timezone.now()


def batches_submit(*, limit: int = 20) -> list[AnchorBatch]:
    """Sends one `anchor(root, leafCount)` transaction per sealed batch.

    Each batch is signed with the signer's next nonce (busanhub.chain.evm: the signer's row
    lock serialises every sender), recorded, and sent before its database transaction commits:
    a send the node refuses rolls the record and the nonce back. A re-run never sends a batch
    twice: a sent batch is no longer `sealed`, and a root found on chain already (sent, then
    a crash before the commit) is adopted rather than sent again.
    """
    deployment = deployment_ensure()
    w3 = node.web3()
    account = node.signer()
    sent = []
    for pk in (
        AnchorBatch.objects.filter(status=Status.SEALED)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    ):
        with transaction.atomic():
            batch = (
                AnchorBatch.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, status=Status.SEALED)
                .first()
            )
            if batch is None:  # another worker took it
                continue
            if _adopt_anchored(w3, deployment, batch):
                sent.append(batch)
                continue
            fees = evm.fees_current(w3)
            tx = _anchor_tx(w3, deployment, batch, sender=account.address, fees=fees)
            signed = evm.tx_sign(w3, account=account, tx=tx, fees=fees)
            batch.status = Status.SUBMITTED
            batch.deployment = deployment
            batch.nonce = signed.nonce
            batch.tx_hashes = []
            _record_sent(batch, signed)
            batch.attempts += 1
            batch.last_error = ""
            batch.save()
            # Sent last: if the node refuses it, the database transaction rolls back with it.
            outcome = evm.tx_broadcast(w3, signed.raw_tx)
            if outcome not in (evm.Broadcast.SENT, evm.Broadcast.KNOWN):
                raise node.ChainError(
                    f"batch {batch.pk}: the node refused {signed.tx_hash}: {outcome}"
                )
        logger.info("batch %s sent: %s (nonce %s)", batch.pk, batch.tx_hash, batch.nonce)
        sent.append(batch)
    return sent


def batches_replace_stuck() -> list[AnchorBatch]:
    """Re-sends, with the same nonce and higher fees (CHAIN_FEE_BUMP_PERCENT, at least 10 % on
    both EIP-1559 fees), batches whose transaction has not been mined after CHAIN_STUCK_AFTER_S.
    At most one of a nonce's transactions can ever be mined."""
    account = node.signer()
    w3 = node.web3()
    cutoff = timezone.now() - timedelta(seconds=settings.CHAIN_STUCK_AFTER_S)
    replaced = []
    for pk in AnchorBatch.objects.filter(
        status=Status.SUBMITTED, submitted_at__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            batch = (
                AnchorBatch.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, status=Status.SUBMITTED, submitted_at__lt=cutoff)
                .select_related("deployment")
                .first()
            )
            if batch is None or _find_receipt(w3, batch) is not None:
                continue
            if _replace(w3, account, batch):
                replaced.append(batch)
    return replaced


class _Refused(Exception):
    pass


def _replace(w3, account, batch: AnchorBatch) -> bool:
    """Signs the batch's transaction again with its nonce and higher fees, and sends it.
    The caller holds the batch's row lock inside a transaction."""
    if batch.nonce is None or not batch.max_fee_per_gas:
        return False  # adopted: not ours to re-sign
    previous = evm.Fees(batch.max_fee_per_gas, batch.max_priority_fee_per_gas or 0)
    try:
        with transaction.atomic():
            tx = _anchor_tx(
                w3,
                batch.deployment,
                batch,
                sender=account.address,
                fees=previous,
                gas=_gas_of(w3, batch),
            )
            signed = evm.tx_replace(
                w3,
                account=account,
                tx=tx,
                nonce=batch.nonce,
                previous=previous,
                percent=settings.CHAIN_FEE_BUMP_PERCENT,
            )
            if signed is None:
                return False  # the nonce is spent; confirmation will sort out by which transaction
            outcome = evm.tx_broadcast(w3, signed.raw_tx)
            if outcome not in (evm.Broadcast.SENT, evm.Broadcast.KNOWN):
                raise _Refused(outcome)
    except (_Refused, Web3RPCError) as exc:
        # Underpriced or nonce already used: record it, the next run decides.
        batch.last_error = f"replacement refused: {exc}"[:2000]
        batch.save(update_fields=["last_error"])
        return False
    _record_sent(batch, signed)
    batch.save(
        update_fields=[
            "tx_hash",
            "tx_hashes",
            "raw_tx",
            "max_fee_per_gas",
            "max_priority_fee_per_gas",
            "submitted_at",
        ]
    )
    logger.warning(
        "batch %s replaced by %s (max fee %s)",
        batch.pk,
        signed.tx_hash,
        signed.fees.max_fee_per_gas,
    )
    return True


def _gas_of(w3, batch: AnchorBatch) -> int | None:
    try:
        return int(w3.eth.get_transaction(batch.tx_hash)["gas"])
    except TransactionNotFound:
        return None


# --- confirm ----------------------------------------------------------------------------------


def _find_receipt(w3, batch: AnchorBatch):
    return evm.receipt_of_any(w3, batch.tx_hashes or [batch.tx_hash])


def batch_requeue(*, batch: AnchorBatch, reason: str) -> None:
    """Sends a batch back to `sealed`: what it had on chain is gone, it will be anchored again.
    The caller holds the batch's row lock."""
    if batch.nonce is not None and batch.tx_hashes and settings.CHAIN_PRIVATE_KEY:
        # Its transactions are given up: if none was mined, its nonce is handed out again.
        evm.nonce_abandon(
            address=node.signer().address, nonce=batch.nonce, tx_hashes=batch.tx_hashes
        )
    if batch.deployment is not None and batch.block_number is not None:
        # /verify/ may hold what the chain said of this anchor (busanhub.chain.chain_check).
        chain_check.anchor_forget(
            chain_id=batch.deployment.chain_id,
            contract=batch.deployment.address,
            root=batch.root,
            tx_hash=batch.tx_hash,
            block_number=batch.block_number,
            block_hash=batch.block_hash,
        )
    batch.status = Status.SEALED
    batch.deployment = None
    batch.nonce = None
    batch.tx_hash = ""
    batch.tx_hashes = []
    batch.raw_tx = None
    batch.max_fee_per_gas = None
    batch.max_priority_fee_per_gas = None
    batch.submitted_at = None
    batch.block_number = None
    batch.block_hash = ""
    batch.block_timestamp = None
    batch.confirmed_at = None
    batch.gas_used = None
    batch.effective_gas_price = None
    batch.last_error = reason[:2000]
    batch.save()
    logger.warning("batch %s back to sealed: %s", batch.pk, reason)


def batches_confirm() -> list[AnchorBatch]:
    """Marks submitted batches confirmed once their transaction has CHAIN_CONFIRMATIONS blocks.

    A transaction that reverted, was dropped, or whose nonce another transaction spent sends
    its batch back to `sealed` (or adopts the transaction that did anchor the root).
    """
    w3 = node.web3()
    account = node.signer()
    head = w3.eth.block_number
    confirmed = []
    for pk in (
        AnchorBatch.objects.filter(status=Status.SUBMITTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            batch = (
                AnchorBatch.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("deployment")
                .filter(pk=pk, status=Status.SUBMITTED)
                .first()
            )
            if batch is None:
                continue
            # Submitting set the deployment and the nonce together with the status.
            assert batch.deployment is not None and batch.nonce is not None
            receipt = _find_receipt(w3, batch)
            if receipt is None:
                if w3.eth.get_transaction_count(account.address, "latest") > batch.nonce:
                    # The nonce is spent: by our transaction if it was mined between the two
                    # reads (read its receipt again), else by another one.
                    receipt = _find_receipt(w3, batch)
                    if receipt is None:
                        batch_requeue(batch=batch, reason="nonce spent without our transaction")
                        continue
                else:
                    if batch.raw_tx and not evm.tx_known(w3, batch.tx_hashes):
                        _rebroadcast(w3, batch)
                    continue
            if receipt["status"] != 1:
                deployment = batch.deployment
                batch_requeue(batch=batch, reason=f"transaction {batch.tx_hash} reverted")
                _adopt_anchored(w3, deployment, batch)
                continue
            if head - receipt["blockNumber"] + 1 < settings.CHAIN_CONFIRMATIONS:
                continue
            block = w3.eth.get_block(receipt["blockNumber"])
            batch.status = Status.CONFIRMED
            batch.tx_hash = node.to_hex(receipt["transactionHash"])
            batch.block_number = receipt["blockNumber"]
            batch.block_hash = node.to_hex(receipt["blockHash"])
            batch.block_timestamp = datetime.fromtimestamp(block["timestamp"], tz=UTC)
            batch.confirmed_at = timezone.now()
            batch.gas_used = receipt["gasUsed"]
            batch.effective_gas_price = receipt.get("effectiveGasPrice")
            batch.raw_tx = None
            batch.save()
            confirmed.append(batch)
            logger.info("batch %s confirmed in block %s", batch.pk, batch.block_number)
    return confirmed


def _rebroadcast(w3, batch: AnchorBatch) -> None:
    """The node lost our transaction (restart, eviction): send it again, or, when fees moved
    on, replace it with the same nonce and higher fees. The caller holds the batch's lock."""
    assert batch.raw_tx is not None  # the caller rebroadcasts only a stored transaction
    outcome: evm.Broadcast | str
    try:
        outcome = evm.tx_broadcast(w3, bytes(batch.raw_tx))
    except Web3RPCError as exc:
        outcome = str(exc)
    if outcome in (evm.Broadcast.SENT, evm.Broadcast.KNOWN):
        logger.info("batch %s: node had lost %s, sent it again", batch.pk, batch.tx_hash)
        return
    logger.info("batch %s: lost transaction refused again (%s), replacing", batch.pk, outcome)
    _replace(w3, node.signer(), batch)


def batches_recheck() -> int:
    """Sends back to `sealed` what the chain no longer holds: every batch of a deployment lost
    in a chain reset, and confirmed batches in the last CHAIN_REORG_WINDOW_BLOCKS blocks whose
    receipt vanished or whose block hash changed (a reorg). Returns how many went back."""
    deployment = deployment_active()
    if deployment is None:
        return 0
    reason = deployment_check(deployment=deployment)
    if reason:
        return deployment_reset(deployment=deployment, reason=reason)
    w3 = node.web3()
    head = w3.eth.block_number
    requeued = 0
    recent = AnchorBatch.objects.filter(
        status=Status.CONFIRMED,
        deployment=deployment,
        block_number__gte=max(head - settings.CHAIN_REORG_WINDOW_BLOCKS, 0),
    )
    # Blocks past the head only exist after a rewind; they are in the window too.
    for pk in recent.values_list("pk", flat=True):
        with transaction.atomic():
            batch = (
                AnchorBatch.objects.select_for_update()
                .filter(pk=pk, status=Status.CONFIRMED)
                .first()
            )
            if batch is None:
                continue
            try:
                receipt = w3.eth.get_transaction_receipt(HexStr(batch.tx_hash))
            except TransactionNotFound:
                receipt = None
            if receipt is None:
                batch_requeue(batch=batch, reason=f"reorg: transaction {batch.tx_hash} vanished")
            elif node.to_hex(receipt["blockHash"]) != batch.block_hash:
                batch_requeue(batch=batch, reason=f"reorg: block {batch.block_number} changed")
            else:
                continue
            requeued += 1
    return requeued
