"""Deposits and withdrawals on chain: HD deposit addresses, the deposit scanner and the hot
wallet. Amounts on the ledger are in the asset's ledger unit; on chain in its chain unit."""

import functools
import json
import logging
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from eth_account import Account as EthAccount
from web3 import Web3

from busanhub.chain import evm
from busanhub.chain.services import anchor_record
from exchange import conf
from exchange.amounts import MAX_AMOUNT
from exchange.models import (
    Account,
    Asset,
    ChainDeposit,
    ChainWithdrawal,
    DepositAddress,
    ScanCursor,
    WithdrawalAddress,
)

from .kyc import kyc_level
from .ledger import AVAILABLE, HELD, accounts_lock, entry_post
from .outflow import amount_too_large, krw_value, outflow_check, outflow_lock

TRANSFER_TOPIC = Web3.keccak(text="Transfer(address,address,uint256)").hex()
TOKEN_ARTIFACT = Path(__file__).resolve().parent.parent / "contracts" / "TestToken.json"
DEPOSIT_PATH = "m/44'/60'/1'/0/{index}"  # another branch than anvil's dev accounts (m/44'/60'/0')
HOT_WALLET_PATH = "m/44'/60'/2'/0/0"
NATIVE_LOG_INDEX = -1
TOKEN_TRANSFER_GAS = 100_000
# Every replacement pays at least 12.5 % more on both fees (beyond geth's 10 % rule).
MIN_BUMP_PERCENT = Decimal("12.5")
# The tip of every hot-wallet transaction (capped by EXCHANGE_MAX_FEE_PER_GAS_WEI).
PRIORITY_FEE_WEI = 10**9

logger = logging.getLogger(__name__)


@functools.cache
def token_abi() -> list:
    return json.loads(TOKEN_ARTIFACT.read_text())["abi"]


def w3() -> Web3:
    return Web3(
        Web3.HTTPProvider(
            settings.CHAIN_RPC_URL, request_kwargs={"timeout": settings.CHAIN_RPC_TIMEOUT_S}
        )
    )


@functools.lru_cache(maxsize=4096)
def _derive(mnemonic: str, path: str):
    EthAccount.enable_unaudited_hdwallet_features()
    return EthAccount.from_mnemonic(mnemonic, account_path=path)


def hot_wallet():
    return _derive(conf.mnemonic(), HOT_WALLET_PATH)


def _to_hex(value) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else "0x" + text


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
    address = _derive(conf.mnemonic(), DEPOSIT_PATH.format(index=index)).address
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
            block_hash = _to_hex(block["hash"])
            for tx in block["transactions"]:
                to = (tx.get("to") or "").lower()
                if native and to in addresses and tx["value"] > 0 and number >= addresses[to][1]:
                    receipt = client.eth.get_transaction_receipt(tx["hash"])
                    if receipt["status"] == 1:
                        seen += _seen(
                            addresses[to][0],
                            native,
                            _to_hex(tx["hash"]),
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
                to = "0x" + _to_hex(log["topics"][2])[-40:]
                amount = int(_to_hex(log["data"]), 16)
                if amount > 0 and to in addresses and log["blockNumber"] >= addresses[to][1]:
                    seen += _seen(
                        addresses[to][0],
                        tokens[log["address"].lower()],
                        _to_hex(log["transactionHash"]),
                        log["logIndex"],
                        log["blockNumber"],
                        _to_hex(log["blockHash"]),
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
    canonical = _to_hex(client.eth.get_block(deposit.block_number)["hash"])
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
                row.block_hash = _to_hex(receipt["blockHash"])
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


@transaction.atomic
def withdrawal_address_add(*, user, address: str, label: str = "") -> WithdrawalAddress:
    """Adds an address to the user's allow-list; usable after the waiting period."""
    if not Web3.is_address(address):
        raise ValidationError({"address": _("This is not an Ethereum address.")})
    address = Web3.to_checksum_address(address)
    existing = WithdrawalAddress.objects.filter(owner=user, address=address).first()
    if existing:
        return existing
    entry = WithdrawalAddress(
        owner=user,
        address=address,
        label=label,
        usable_from=timezone.now() + timedelta(seconds=int(conf.get("EXCHANGE_ALLOWLIST_WAIT_S"))),
    )
    entry.full_clean()
    entry.save()
    return entry


def _anchor(withdrawal: ChainWithdrawal) -> None:
    withdrawal.anchor_version += 1
    withdrawal.save(update_fields=["anchor_version"])
    anchor_record(
        kind="exchange.withdrawal",
        ref=str(withdrawal.public_id),
        version=withdrawal.anchor_version,
        data={
            "asset": withdrawal.asset.symbol,
            "amount": str(withdrawal.amount),
            "address": withdrawal.address,
            "status": withdrawal.status,
            "txHash": withdrawal.tx_hash,
        },
        public=False,
    )


@transaction.atomic
def withdrawal_request(*, user, asset: str, address: str, amount: int) -> ChainWithdrawal:
    """Requests a withdrawal on chain: checks the address allow-list and the KYC level's 24 h and
    30-day caps, holds the amount, and waits for staff approval above the threshold (and for
    any asset without a KRW price, whose value the caps cannot judge).
    Atomic; refused requests hold nothing. The caps count KRW withdrawals too, and the check and
    the hold are one decision per customer under `outflow_lock` (concurrent requests cannot
    together pass the cap). Anchors each status as a private version."""
    level = kyc_level(user=user)
    if level == 0:
        raise ValidationError({"kyc": _("Withdrawals need a valid exchange KYC credential.")})
    asset_row = (
        Asset.objects.filter(symbol=str(asset).upper()).exclude(kind=Asset.Kind.FIAT).first()
    )
    if asset_row is None:
        raise ValidationError({"asset": _("No such asset on chain.")})
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("The amount must be positive.")})
    if amount > MAX_AMOUNT:
        raise amount_too_large()
    if not Web3.is_address(address):
        raise ValidationError({"address": _("This is not an Ethereum address.")})
    address = Web3.to_checksum_address(address)
    listed = WithdrawalAddress.objects.filter(owner=user, address=address).first()
    if listed is None:
        raise ValidationError({"address": _("Add this address to your allow-list first.")})
    if listed.usable_from > timezone.now():
        raise ValidationError(
            {
                "address": _("This address is new: it can be used from %(when)s.")
                % {"when": timezone.localtime(listed.usable_from).strftime("%Y-%m-%d %H:%M")}
            }
        )
    from exchange import limits

    # One decision per customer: lock first, then read what she withdrew (see outflow).
    account = outflow_lock(user=user, asset=asset_row)[(user.pk, asset_row.pk)]
    value = krw_value(asset_row, amount)
    outflow_check(user=user, caps=limits.limits_for(level), value=value)
    threshold = int(conf.get("EXCHANGE_APPROVAL_THRESHOLD_KRW"))
    withdrawal = ChainWithdrawal(
        owner=user,
        asset=asset_row,
        address=address,
        amount=amount,
        # An asset without a KRW price cannot be checked against the caps: staff look at it.
        status=(
            ChainWithdrawal.Status.AWAITING_APPROVAL
            if value is None or value >= threshold
            else ChainWithdrawal.Status.APPROVED
        ),
    )
    withdrawal.full_clean()
    withdrawal.save()
    if account.is_frozen:
        raise ValidationError({"account": _("Your account is frozen.")})
    if account.available < amount:
        raise ValidationError({"amount": _("Insufficient available balance.")})
    entry_post(
        kind="withdrawal_hold",
        reference=str(withdrawal.public_id),
        lines=[(account, AVAILABLE, -amount), (account, HELD, amount)],
    )
    _anchor(withdrawal)
    return withdrawal


def _refund(withdrawal: ChainWithdrawal, status: str) -> None:
    account = accounts_lock(pairs=[(withdrawal.owner_id, withdrawal.asset_id)])[
        (withdrawal.owner_id, withdrawal.asset_id)
    ]
    entry_post(
        kind="withdrawal_refund",
        reference=str(withdrawal.public_id),
        lines=[(account, HELD, -withdrawal.amount), (account, AVAILABLE, withdrawal.amount)],
    )
    withdrawal.status = status
    withdrawal.save(update_fields=["status", "updated_at"])
    _anchor(withdrawal)


@transaction.atomic
def withdrawal_approve(*, staff, withdrawal: ChainWithdrawal) -> ChainWithdrawal:
    """Staff approval of a withdrawal above the threshold (another person than its owner)."""
    withdrawal = ChainWithdrawal.objects.select_for_update().get(pk=withdrawal.pk)
    if withdrawal.status != ChainWithdrawal.Status.AWAITING_APPROVAL:
        raise ValidationError({"status": _("This withdrawal is not awaiting approval.")})
    if withdrawal.owner_id == staff.pk:
        raise ValidationError({"approved_by": _("Nobody approves their own withdrawal.")})
    withdrawal.status = ChainWithdrawal.Status.APPROVED
    withdrawal.approved_by = staff
    withdrawal.save(update_fields=["status", "approved_by", "updated_at"])
    _anchor(withdrawal)
    return withdrawal


@transaction.atomic
def withdrawal_reject(*, staff, withdrawal: ChainWithdrawal) -> ChainWithdrawal:
    """Staff rejection: the held amount goes back to the customer."""
    withdrawal = ChainWithdrawal.objects.select_for_update().get(pk=withdrawal.pk)
    if withdrawal.status != ChainWithdrawal.Status.AWAITING_APPROVAL:
        raise ValidationError({"status": _("This withdrawal is not awaiting approval.")})
    withdrawal.approved_by = staff
    _refund(withdrawal, ChainWithdrawal.Status.REJECTED)
    return withdrawal


def fees_current(client) -> tuple[int, int]:
    """(maxFeePerGas, maxPriorityFeePerGas) for a new transaction: twice the base fee plus the
    tip, so it stays valid while the base fee doubles; never above the configured cap."""
    fees = evm.fees_current(
        client, priority=PRIORITY_FEE_WEI, cap=int(conf.get("EXCHANGE_MAX_FEE_PER_GAS_WEI"))
    )
    return fees.max_fee_per_gas, fees.max_priority_fee_per_gas


def fees_bumped(client, *, max_fee: int, priority: int) -> tuple[int, int] | None:
    """Fees for a replacement: both raised by EXCHANGE_FEE_BUMP_PERCENT (at least 12.5 %) and
    the max fee at least what a new transaction would pay now; None when the cap forbids it."""
    cap = int(conf.get("EXCHANGE_MAX_FEE_PER_GAS_WEI"))
    fees = evm.fees_bumped(
        evm.Fees(max_fee, priority),
        percent=max(Decimal(int(conf.get("EXCHANGE_FEE_BUMP_PERCENT"))), MIN_BUMP_PERCENT),
        current=evm.fees_current(client, priority=PRIORITY_FEE_WEI, cap=cap),
        cap=cap,
        floor_percent=MIN_BUMP_PERCENT,
    )
    return None if fees is None else (fees.max_fee_per_gas, fees.max_priority_fee_per_gas)


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
            _anchor(withdrawal)
    if withdrawal.status == ChainWithdrawal.Status.SENT:
        _broadcast(client, withdrawal.raw_tx)
    return withdrawal


def _broadcast(client, raw_tx: str) -> bool:
    """Sends a signed transaction; "already known" or "nonce too low" mean it is in the pool
    or mined already (we are the only spender of these nonces), which is what we wanted.
    "Underpriced" means a transaction of this nonce paying more is in the pool: the next fee
    bump takes over. Returns whether the node took it now."""
    outcome = evm.tx_broadcast(client, raw_tx)
    if outcome != evm.Broadcast.SENT:
        logger.info("broadcast not taken: %s", outcome)
    return outcome == evm.Broadcast.SENT


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
        _broadcast(client, withdrawal.raw_tx)
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
            mined = _to_hex(receipt["transactionHash"])
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
                _anchor(withdrawal)
            else:
                _refund(withdrawal, ChainWithdrawal.Status.FAILED)
            settled += 1
    return settled


def exchange_addresses() -> list[str]:
    """Every address whose holdings are the exchange's: the hot wallet, the cold wallet when
    one is configured, and every deposit address (deposits wait there until swept)."""
    addresses = [hot_wallet().address]
    cold = conf.get("EXCHANGE_COLD_WALLET_ADDRESS")
    if cold and Web3.is_address(cold):
        addresses.append(Web3.to_checksum_address(cold))
    addresses += DepositAddress.objects.order_by("index").values_list("address", flat=True)
    return list(dict.fromkeys(addresses))


# Balance reads per JSON-RPC batch request (one HTTP round trip each).
RESERVES_BATCH = 500


def reserves_on_chain() -> dict[str, int]:
    """What the exchange holds on chain (hot + cold wallet + deposit addresses), in ledger units.

    Every balance is read at one block: a sweep moves custody between two of these addresses,
    so reading them at different blocks could count a swept amount twice or not at all. The
    reads go as JSON-RPC batches of RESERVES_BATCH calls, not one request per address."""
    client = w3()
    block = client.eth.block_number
    addresses = exchange_addresses()
    out = {}
    for asset in Asset.objects.exclude(kind=Asset.Kind.FIAT):
        if asset.kind == Asset.Kind.NATIVE:

            def read(address):
                return client.eth.get_balance(address, block_identifier=block)

        else:
            token = client.eth.contract(
                address=Web3.to_checksum_address(asset.contract_address), abi=token_abi()
            )

            def read(address, token=token):
                return token.functions.balanceOf(address).call(block_identifier=block)

        total = 0
        for start in range(0, len(addresses), RESERVES_BATCH):
            with client.batch_requests() as batch:
                for address in addresses[start : start + RESERVES_BATCH]:
                    batch.add(read(address))
                total += sum(batch.execute())
        out[asset.symbol] = total // asset.chain_factor
    return out
