"""Withdrawals on chain, once approved: signing and broadcasting from the hot wallet, replacing
those stuck in the pool with higher fees (same nonce), and settling them once confirmed
(or refunding those that failed on chain)."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from web3 import Web3

from busanhub.chain import evm
from exchange import conf
from exchange.models import Account, Asset, ChainWithdrawal

from .gas import TOKEN_TRANSFER_GAS, fees_bumped, fees_current
from .ledger import AVAILABLE, HELD, accounts_lock, entry_post
from .node import broadcast_signed, to_hex, token_abi, w3
from .wallets import hot_wallet
from .withdrawals import withdrawal_anchor, withdrawal_refund

logger = logging.getLogger(__name__)


def _withdrawal_tx(client, withdrawal: ChainWithdrawal, *, max_fee, priority) -> dict:
    """The transfer, without its nonce (busanhub.chain.evm sets it when it signs)."""
    amount_chain = withdrawal.amount * withdrawal.asset.chain_factor
    tx = {
        "chainId": client.eth.chain_id,
        "gas": TOKEN_TRANSFER_GAS,
        "maxFeePerGas": max_fee,
        "maxPriorityFeePerGas": priority,
        "type": 2,
    }
    if withdrawal.asset.kind == Asset.Kind.NATIVE:
        return {**tx, "to": withdrawal.address, "value": amount_chain, "gas": 21_000}
    token = client.eth.contract(
        address=Web3.to_checksum_address(withdrawal.asset.contract_address), abi=token_abi()
    )
    return token.functions.transfer(withdrawal.address, amount_chain).build_transaction(
        {**tx, "value": 0}
    )


def _hot_wallet_can_pay(client, address: str, withdrawal: ChainWithdrawal, *, max_fee) -> bool:
    """Whether the hot wallet holds the gas of this withdrawal and its amount beside the
    amounts of the same asset it has sent and not yet seen confirmed (the caller holds the
    hot wallet's nonce lock, so nothing else spends meanwhile)."""
    asset = withdrawal.asset
    in_flight = (
        ChainWithdrawal.objects.filter(asset=asset, status=ChainWithdrawal.Status.SENT)
        .exclude(pk=withdrawal.pk)
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    need = (withdrawal.amount + in_flight) * asset.chain_factor
    ether = client.eth.get_balance(address)
    if asset.kind == Asset.Kind.NATIVE:
        return ether >= 21_000 * max_fee + need
    if ether < TOKEN_TRANSFER_GAS * max_fee:
        return False
    token = client.eth.contract(
        address=Web3.to_checksum_address(asset.contract_address), abi=token_abi()
    )
    return token.functions.balanceOf(address).call() >= need


def withdrawal_send(*, withdrawal_pk: int) -> ChainWithdrawal:
    """Signs the transfer from the hot wallet with the next managed nonce, stores it, then
    broadcasts it. Idempotent: a withdrawal already signed is only re-broadcast (same nonce,
    same hash), so a retry never pays twice."""
    client = w3()
    wallet = hot_wallet()
    with transaction.atomic():
        withdrawal = (
            ChainWithdrawal.objects.select_for_update()
            .select_related("asset")
            .get(pk=withdrawal_pk)
        )
        if withdrawal.status == ChainWithdrawal.Status.APPROVED:
            max_fee, priority = fees_current(client)
            # From here on no other spender of the hot wallet (the signer's row lock).
            nonce = evm.nonce_take(client, wallet.address)
            if not _hot_wallet_can_pay(client, wallet.address, withdrawal, max_fee=max_fee):
                # Unpaid gas would leave a nonce gap that blocks every later transaction of
                # the hot wallet, too few tokens a reverted transfer: wait (approved) until the
                # wallet is refilled. The rollback gives the nonce back.
                transaction.set_rollback(True)
                logger.warning("hot wallet cannot pay withdrawal %s yet", withdrawal.public_id)
                return withdrawal
            tx = _withdrawal_tx(client, withdrawal, max_fee=max_fee, priority=priority)
            signed = evm.tx_sign(
                client,
                account=wallet,
                tx=tx,
                fees=evm.Fees(max_fee, priority),
                nonce=nonce,
            )
            withdrawal.nonce = nonce
            withdrawal.raw_tx = signed.raw_hex
            withdrawal.tx_hash = signed.tx_hash
            withdrawal.tx_hashes = [withdrawal.tx_hash]
            withdrawal.max_fee_per_gas = max_fee
            withdrawal.max_priority_fee_per_gas = priority
            withdrawal.sent_at = timezone.now()
            withdrawal.status = ChainWithdrawal.Status.SENT
            withdrawal.save(
                update_fields=[
                    "nonce",
                    "raw_tx",
                    "tx_hash",
                    "tx_hashes",
                    "max_fee_per_gas",
                    "max_priority_fee_per_gas",
                    "sent_at",
                    "status",
                    "updated_at",
                ]
            )
            withdrawal_anchor(withdrawal)
    if withdrawal.status == ChainWithdrawal.Status.SENT:
        broadcast_signed(client, withdrawal.raw_tx)
    return withdrawal


def withdrawals_replace_stuck() -> list[ChainWithdrawal]:
    """Replaces sent withdrawals not mined after EXCHANGE_STUCK_AFTER_S with the same nonce and
    higher fees (EIP-1559: both fees up by at least 12.5 %, capped by
    EXCHANGE_MAX_FEE_PER_GAS_WEI). Every hash is kept, since any of them may be the one mined;
    sharing one nonce, at most one can ever pay. Recorded before it is broadcast, so a crash
    never leaves a sent transaction the database does not know."""
    client = w3()
    wallet = hot_wallet()
    cutoff = timezone.now() - timedelta(seconds=int(conf.get("EXCHANGE_STUCK_AFTER_S")))
    replaced = []
    for pk in ChainWithdrawal.objects.filter(
        status=ChainWithdrawal.Status.SENT, sent_at__lte=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            withdrawal = (
                ChainWithdrawal.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("asset")
                .filter(pk=pk, status=ChainWithdrawal.Status.SENT, sent_at__lte=cutoff)
                .first()
            )
            if withdrawal is None:
                continue
            hashes = withdrawal.tx_hashes or [withdrawal.tx_hash]
            if evm.receipt_of_any(client, hashes) is not None:
                continue  # mined: confirmation settles it
            if evm.nonce_spent(client, wallet.address, withdrawal.nonce):
                continue  # the nonce is spent (a block is on its way to us): nothing to replace
            fees = fees_bumped(
                client,
                max_fee=withdrawal.max_fee_per_gas or 0,
                priority=withdrawal.max_priority_fee_per_gas or 0,
            )
            if fees is None:
                logger.warning(
                    "withdrawal %s stuck at the fee cap (%s wei)",
                    withdrawal.public_id,
                    withdrawal.max_fee_per_gas,
                )
                continue
            max_fee, priority = fees
            tx = _withdrawal_tx(client, withdrawal, max_fee=max_fee, priority=priority)
            signed = evm.tx_sign(
                client,
                account=wallet,
                tx=tx,
                fees=evm.Fees(max_fee, priority),
                nonce=withdrawal.nonce,
            )
            withdrawal.raw_tx = signed.raw_hex
            withdrawal.tx_hash = signed.tx_hash
            withdrawal.tx_hashes = [*hashes, withdrawal.tx_hash]
            withdrawal.max_fee_per_gas = max_fee
            withdrawal.max_priority_fee_per_gas = priority
            withdrawal.sent_at = timezone.now()
            withdrawal.save(
                update_fields=[
                    "raw_tx",
                    "tx_hash",
                    "tx_hashes",
                    "max_fee_per_gas",
                    "max_priority_fee_per_gas",
                    "sent_at",
                    "updated_at",
                ]
            )
        broadcast_signed(client, withdrawal.raw_tx)
        logger.warning(
            "withdrawal %s replaced by %s (max fee %s wei)",
            withdrawal.public_id,
            withdrawal.tx_hash,
            max_fee,
        )
        replaced.append(withdrawal)
    return replaced


def withdrawals_confirm() -> int:
    """Settles sent withdrawals with enough confirmations: confirmed (the held amount leaves
    the ledger to custody) or failed on chain (refunded). Returns how many were settled."""
    client = w3()
    head = client.eth.block_number
    confirmations = int(conf.get("EXCHANGE_CONFIRMATIONS"))
    settled = 0
    for pk in ChainWithdrawal.objects.filter(status=ChainWithdrawal.Status.SENT).values_list(
        "pk", flat=True
    ):
        withdrawal = ChainWithdrawal.objects.get(pk=pk)
        receipt = evm.receipt_of_any(client, withdrawal.tx_hashes or [withdrawal.tx_hash])
        if receipt is None:  # not mined: the node may have lost it, broadcast the latest again
            evm.tx_rebroadcast(
                client,
                raw_tx=withdrawal.raw_tx,
                tx_hashes=withdrawal.tx_hashes or [withdrawal.tx_hash],
            )
            continue
        if head - receipt["blockNumber"] + 1 < confirmations:
            continue
        with transaction.atomic():
            withdrawal = (
                ChainWithdrawal.objects.select_for_update().select_related("asset").get(pk=pk)
            )
            if withdrawal.status != ChainWithdrawal.Status.SENT:
                continue
            mined = to_hex(receipt["transactionHash"])
            if mined != withdrawal.tx_hash:  # an earlier fee level was the one mined
                withdrawal.tx_hash = mined
                withdrawal.save(update_fields=["tx_hash"])
            if receipt["status"] == 1:
                accounts = accounts_lock(
                    pairs=[(withdrawal.owner_id, withdrawal.asset_id)],
                    system=[(Account.Kind.CUSTODY, withdrawal.asset_id)],
                )
                entry_post(
                    kind="chain_withdrawal",
                    reference=str(withdrawal.public_id),
                    lines=[
                        (
                            accounts[(withdrawal.owner_id, withdrawal.asset_id)],
                            HELD,
                            -withdrawal.amount,
                        ),
                        (
                            accounts[(Account.Kind.CUSTODY, withdrawal.asset_id)],
                            AVAILABLE,
                            withdrawal.amount,
                        ),
                    ],
                )
                withdrawal.status = ChainWithdrawal.Status.CONFIRMED
                withdrawal.save(update_fields=["status", "updated_at"])
                withdrawal_anchor(withdrawal)
            else:
                withdrawal_refund(withdrawal, ChainWithdrawal.Status.FAILED)
            settled += 1
    return settled
