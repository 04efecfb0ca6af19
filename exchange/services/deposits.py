"""Deposits on chain: HD deposit addresses and the deposit scanner, which sees native and
ERC-20 transfers into them and credits those confirmed on the canonical chain. Amounts on the
ledger are in the asset's ledger unit; on chain in its chain unit."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from web3 import Web3

from busanhub.chain.services import anchor_record
from exchange import conf
from exchange.models import Account, Asset, ChainDeposit, DepositAddress, ScanCursor

from .kyc import kyc_level
from .ledger import AVAILABLE, accounts_lock, entry_post
from .node import to_hex, w3
from .wallets import DEPOSIT_PATH, derive

TRANSFER_TOPIC = Web3.keccak(text="Transfer(address,address,uint256)").hex()
NATIVE_LOG_INDEX = -1


@transaction.atomic
def deposit_address_assign(*, user) -> DepositAddress:
    """The user's deposit address (created once, at the next HD index). Needs KYC.
    The first address also starts the scanner at the current block."""
    existing = DepositAddress.objects.filter(owner=user).first()
    if existing:
        return existing
    if kyc_level(user=user) == 0:
        raise ValidationError({"kyc": _("Deposits need a valid exchange KYC credential.")})
    try:
        head = w3().eth.block_number
    except Exception:  # noqa: BLE001 - node down: accept transfers from any block
        head = 0
    ScanCursor.objects.get_or_create(name="deposits", defaults={"block_number": head - 1})
    index = DepositAddress.objects.order_by("-index").values_list("index", flat=True).first()
    index = 0 if index is None else index + 1
    address = derive(conf.mnemonic(), DEPOSIT_PATH.format(index=index)).address
    record = DepositAddress(owner=user, index=index, address=address, created_block=head)
    record.full_clean()
    record.save()
    return record


def deposits_scan() -> dict:
    """Scans new blocks (and the last reorg window again) for native and ERC-20 transfers into
    deposit addresses; credits those with enough confirmations whose block is still canonical.

    Idempotent and reorg-safe: a transfer is one row per (tx hash, log index); crediting moves
    it from seen to credited under a row lock, once. A transfer whose block was replaced is
    re-located by its receipt or marked orphaned; it is never credited twice.
    """
    client = w3()
    head = client.eth.block_number
    confirmations = int(conf.get("EXCHANGE_CONFIRMATIONS"))
    cursor, _ = ScanCursor.objects.get_or_create(name="deposits", defaults={"block_number": -1})
    start = max(0, cursor.block_number - int(conf.get("EXCHANGE_REORG_WINDOW_BLOCKS")) + 1)
    addresses = {
        a.lower(): (pk, first)
        for a, pk, first in DepositAddress.objects.values_list("address", "pk", "created_block")
    }
    tokens = {a.contract_address.lower(): a for a in Asset.objects.filter(kind=Asset.Kind.ERC20)}
    native = Asset.objects.filter(kind=Asset.Kind.NATIVE).first()
    seen = 0
    if addresses:
        for number in range(start, head + 1):
            block = client.eth.get_block(number, full_transactions=True)
            block_hash = to_hex(block["hash"])
            for tx in block["transactions"]:
                to = (tx.get("to") or "").lower()
                if native and to in addresses and tx["value"] > 0 and number >= addresses[to][1]:
                    receipt = client.eth.get_transaction_receipt(tx["hash"])
                    if receipt["status"] == 1:
                        seen += _seen(
                            addresses[to][0],
                            native,
                            to_hex(tx["hash"]),
                            NATIVE_LOG_INDEX,
                            number,
                            block_hash,
                            tx["value"],
                        )
        if tokens:
            topics = [
                TRANSFER_TOPIC if TRANSFER_TOPIC.startswith("0x") else "0x" + TRANSFER_TOPIC,
                None,
                ["0x" + "0" * 24 + a[2:] for a in addresses],
            ]
            logs = client.eth.get_logs(
                {
                    "fromBlock": start,
                    "toBlock": head,
                    "address": [Web3.to_checksum_address(a) for a in tokens],
                    "topics": topics,
                }
            )
            for log in logs:
                to = "0x" + to_hex(log["topics"][2])[-40:]
                amount = int(to_hex(log["data"]), 16)
                if amount > 0 and to in addresses and log["blockNumber"] >= addresses[to][1]:
                    seen += _seen(
                        addresses[to][0],
                        tokens[log["address"].lower()],
                        to_hex(log["transactionHash"]),
                        log["logIndex"],
                        log["blockNumber"],
                        to_hex(log["blockHash"]),
                        amount,
                    )
    ScanCursor.objects.filter(pk=cursor.pk).update(block_number=head)
    credited = 0
    for deposit in ChainDeposit.objects.filter(
        status=ChainDeposit.Status.SEEN, block_number__lte=head - confirmations + 1
    ):
        credited += _confirm(client, deposit, head, confirmations)
    return {"head": head, "seen": seen, "credited": credited}


def _seen(address_pk, asset, tx_hash, log_index, number, block_hash, amount) -> int:
    try:
        with transaction.atomic():
            ChainDeposit.objects.create(
                address_id=address_pk,
                asset=asset,
                tx_hash=tx_hash,
                log_index=log_index,
                block_number=number,
                block_hash=block_hash,
                amount=Decimal(amount),
            )
        return 1
    except IntegrityError:  # seen before: follow it if a reorg moved it to another block
        ChainDeposit.objects.filter(
            tx_hash=tx_hash, log_index=log_index, status=ChainDeposit.Status.SEEN
        ).exclude(block_hash=block_hash).update(block_number=number, block_hash=block_hash)
        return 0


def _confirm(client, deposit: ChainDeposit, head: int, confirmations: int) -> int:
    canonical = to_hex(client.eth.get_block(deposit.block_number)["hash"])
    if canonical != deposit.block_hash:
        try:
            receipt = client.eth.get_transaction_receipt(deposit.tx_hash)
        except Exception:  # noqa: BLE001 - web3 raises TransactionNotFound
            receipt = None
        with transaction.atomic():
            row = ChainDeposit.objects.select_for_update().get(pk=deposit.pk)
            if row.status != ChainDeposit.Status.SEEN:
                return 0
            if receipt is None or receipt["status"] != 1:
                row.status = ChainDeposit.Status.ORPHANED
                row.save(update_fields=["status"])
            else:
                row.block_number = receipt["blockNumber"]
                row.block_hash = to_hex(receipt["blockHash"])
                row.save(update_fields=["block_number", "block_hash"])
        return 0
    with transaction.atomic():
        row = (
            ChainDeposit.objects.select_for_update()
            .select_related("asset", "address")
            .get(pk=deposit.pk)
        )
        if row.status != ChainDeposit.Status.SEEN:
            return 0
        amount = int(row.amount) // row.asset.chain_factor
        row.status = ChainDeposit.Status.CREDITED
        row.save(update_fields=["status"])
        if amount > 0:
            accounts = accounts_lock(
                pairs=[(row.address.owner_id, row.asset_id)],
                system=[(Account.Kind.CUSTODY, row.asset_id)],
            )
            entry_post(
                kind="chain_deposit",
                reference=str(row.public_id),
                lines=[
                    (accounts[(Account.Kind.CUSTODY, row.asset_id)], AVAILABLE, -amount),
                    (accounts[(row.address.owner_id, row.asset_id)], AVAILABLE, amount),
                ],
            )
        anchor_record(
            kind="exchange.deposit",
            ref=str(row.public_id),
            version=1,
            data={
                "asset": row.asset.symbol,
                "amount": str(amount),
                "txHash": row.tx_hash,
                "logIndex": row.log_index,
                "blockNumber": row.block_number,
            },
            public=False,
        )
    return 1
