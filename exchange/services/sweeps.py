"""Sweeps: moving custody between the exchange's own addresses. Credited deposits go from
their deposit address to the hot wallet; above a configured limit, the hot wallet's excess goes
to the cold wallet. A sweep never touches a customer's ledger balance: the customer was
credited when the deposit confirmed, and proof-of-liabilities reserves count every one of
these addresses (read at one block), so custody moving between them changes nothing there.

Each sweep is a row: signed and recorded in one database transaction, broadcast after it
commits, advanced by the next run. A crash before the commit leaves nothing sent; after it,
the same signed transaction is broadcast again (same hash), never signed anew, so a sweep is
never sent twice. One in-flight sweep per source address keeps that address's nonces in order.
"""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from web3 import Web3
from web3.exceptions import TransactionNotFound

from busanhub.chain import evm
from exchange import conf
from exchange.models import Asset, ChainDeposit, ChainSweep, DepositAddress, DepositSweep

from .gas import TOKEN_TRANSFER_GAS, fees_current
from .node import broadcast_signed, token_abi, w3
from .wallets import DEPOSIT_PATH, derive, hot_wallet

logger = logging.getLogger(__name__)

NATIVE_GAS = 21_000
Status = ChainSweep.Status


def _token(client, asset: Asset):
    return client.eth.contract(
        address=Web3.to_checksum_address(asset.contract_address), abi=token_abi()
    )


def _balance(client, asset: Asset, address: str, block) -> int:
    if asset.kind == Asset.Kind.NATIVE:
        return client.eth.get_balance(address, block_identifier=block)
    return _token(client, asset).functions.balanceOf(address).call(block_identifier=block)


def _signer(sweep: ChainSweep):
    if sweep.kind == ChainSweep.Kind.COLD:
        return hot_wallet()
    return derive(conf.mnemonic(), DEPOSIT_PATH.format(index=sweep.deposit_address.index))


def _sign(client, sweep: ChainSweep) -> None:
    """Signs the sweep's transfer with its source's next nonce (busanhub.chain.evm: the source's
    signer row stays locked until the caller commits) and records it (status sent).
    The caller holds the sweep's row lock inside a transaction."""
    tx = {
        "chainId": client.eth.chain_id,
        "gas": sweep.gas_limit,
        "maxFeePerGas": sweep.max_fee_per_gas,
        "maxPriorityFeePerGas": sweep.max_priority_fee_per_gas,
        "type": 2,
    }
    amount = int(sweep.amount)
    if sweep.asset.kind == Asset.Kind.NATIVE:
        tx.update({"to": sweep.destination, "value": amount})
    else:
        tx = (
            _token(client, sweep.asset)
            .functions.transfer(sweep.destination, amount)
            .build_transaction({**tx, "value": 0})
        )
    signed = evm.tx_sign(
        client,
        account=_signer(sweep),
        tx=tx,
        fees=evm.Fees(sweep.max_fee_per_gas, sweep.max_priority_fee_per_gas),
    )
    sweep.nonce = signed.nonce
    sweep.tx_hash = signed.tx_hash
    sweep.raw_tx = signed.raw_hex
    sweep.status = Status.SENT
    sweep.save(update_fields=["nonce", "tx_hash", "raw_tx", "status", "updated_at"])


def _receipt(client, tx_hash: str):
    try:
        return client.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return None


def _fail(sweep: ChainSweep, reason: str) -> None:
    """A failed sweep lets its deposits go: the next run sweeps them again."""
    sweep.status = Status.FAILED
    sweep.last_error = reason[:2000]
    sweep.save(update_fields=["status", "last_error", "updated_at"])
    DepositSweep.objects.filter(sweep=sweep).delete()
    logger.warning("sweep %s failed: %s", sweep.public_id, reason)


def _advance(client, pk: int, head: int, confirmations: int) -> str | None:
    """Moves one in-flight sweep on: gas top-up mined → sign the sweep; sweep confirmed or
    failed. Re-broadcasts what is signed and not yet mined. Returns what happened."""
    broadcast = None
    outcome = None
    with transaction.atomic():
        sweep = (
            ChainSweep.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("asset", "deposit_address")
            .filter(pk=pk, status__in=ChainSweep.ACTIVE_STATUSES)
            .first()
        )
        if sweep is None:
            return None
        if sweep.status == Status.GAS_SENT:
            receipt = _receipt(client, sweep.gas_tx_hash)
            if receipt is None:
                broadcast = sweep.gas_raw_tx
            elif receipt["status"] != 1:
                _fail(sweep, "the gas top-up reverted")
                outcome = "failed"
            else:
                _sign(client, sweep)
                broadcast, outcome = sweep.raw_tx, "sent"
        else:
            receipt = _receipt(client, sweep.tx_hash)
            if receipt is None:
                broadcast = sweep.raw_tx
            elif head - receipt["blockNumber"] + 1 >= confirmations:
                if receipt["status"] == 1:
                    sweep.status = Status.CONFIRMED
                    sweep.block_number = receipt["blockNumber"]
                    sweep.save(update_fields=["status", "block_number", "updated_at"])
                    outcome = "confirmed"
                else:
                    _fail(sweep, "the sweep transaction reverted")
                    outcome = "failed"
    if broadcast:
        broadcast_signed(client, broadcast)
    return outcome


def _deposit_start(client, address_pk: int, asset: Asset, head: int, confirmations: int):
    """Starts sweeping one deposit address's balance of one asset to the hot wallet, if it
    has credited deposits not swept yet and no sweep in flight. Returns the sweep or None."""
    hot = hot_wallet().address
    broadcast = None
    with transaction.atomic():
        # The address row's lock serialises concurrent starters for this address.
        address = DepositAddress.objects.select_for_update().get(pk=address_pk)
        if ChainSweep.objects.filter(
            source=address.address, status__in=ChainSweep.ACTIVE_STATUSES
        ).exists():
            return None
        deposits = list(
            ChainDeposit.objects.filter(
                address=address,
                asset=asset,
                status=ChainDeposit.Status.CREDITED,
                sweep__isnull=True,
            ).values_list("pk", flat=True)
        )
        if not deposits:
            return None
        # Only what is confirmed is swept (never a transfer a reorganisation could still drop).
        confirmed_block = max(0, head - confirmations + 1)
        balance = min(
            _balance(client, asset, address.address, confirmed_block),
            _balance(client, asset, address.address, "latest"),
        )
        max_fee, priority = fees_current(client)
        if asset.kind == Asset.Kind.NATIVE:
            gas_limit = NATIVE_GAS
            amount = balance - gas_limit * max_fee  # the sweep pays its own gas
        else:
            gas_limit = TOKEN_TRANSFER_GAS
            amount = balance
        sweep = ChainSweep(
            kind=ChainSweep.Kind.DEPOSIT,
            deposit_address=address,
            asset=asset,
            source=address.address,
            destination=hot,
            amount=Decimal(max(amount, 0)),
            status=Status.SKIPPED,
            gas_limit=gas_limit,
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=priority,
        )
        if amount <= 0:
            # Dust below the gas cost, or already taken by an earlier whole-balance sweep: the
            # deposits are accounted for; a later deposit sweeps whatever is left with it.
            sweep.save()
            DepositSweep.objects.bulk_create(
                DepositSweep(deposit_id=d, sweep=sweep) for d in deposits
            )
            return sweep
        gas_needed = 0
        if asset.kind == Asset.Kind.ERC20:
            gas_needed = gas_limit * max_fee - client.eth.get_balance(address.address, "latest")
        if gas_needed > 0:
            hot_balance = client.eth.get_balance(hot, "latest")
            if hot_balance < gas_needed + NATIVE_GAS * max_fee:
                logger.warning("hot wallet cannot pay the gas to sweep %s", address.address)
                return None  # signing would leave a nonce the node refuses: a gap for all
            signed = evm.tx_sign(
                client,
                account=hot_wallet(),
                tx={
                    "chainId": client.eth.chain_id,
                    "to": address.address,
                    "value": gas_needed,
                    "gas": NATIVE_GAS,
                },
                fees=evm.Fees(max_fee, priority),
            )
            sweep.gas_nonce = signed.nonce
            sweep.gas_tx_hash = signed.tx_hash
            sweep.gas_raw_tx = signed.raw_hex
            sweep.status = Status.GAS_SENT
            sweep.save()
            broadcast = sweep.gas_raw_tx
        else:
            sweep.status = Status.GAS_SENT  # placeholder until signed: _sign saves it as sent
            sweep.save()
            _sign(client, sweep)
            broadcast = sweep.raw_tx
        DepositSweep.objects.bulk_create(DepositSweep(deposit_id=d, sweep=sweep) for d in deposits)
    broadcast_signed(client, broadcast)
    return sweep


def _cold_start(client, asset: Asset, cold: str, limit: int):
    """Sends the hot wallet's balance above `limit` (ledger units) to the cold wallet."""
    hot = hot_wallet().address
    broadcast = None
    with transaction.atomic():
        max_fee, priority = fees_current(client)
        gas_limit = NATIVE_GAS if asset.kind == Asset.Kind.NATIVE else TOKEN_TRANSFER_GAS
        keep = limit * asset.chain_factor
        if asset.kind == Asset.Kind.NATIVE:
            keep += gas_limit * max_fee
        excess = _balance(client, asset, hot, "latest") - keep
        if excess <= 0:
            return None
        sweep = ChainSweep(
            kind=ChainSweep.Kind.COLD,
            asset=asset,
            source=hot,
            destination=Web3.to_checksum_address(cold),
            amount=Decimal(excess),
            status=Status.GAS_SENT,  # placeholder until signed
            gas_limit=gas_limit,
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=priority,
        )
        try:
            with transaction.atomic():
                sweep.save()  # one active sweep per source: a cold sweep in flight stops this
        except IntegrityError:
            return None
        _sign(client, sweep)
        broadcast = sweep.raw_tx
    broadcast_signed(client, broadcast)
    return sweep


def deposits_sweep() -> dict:
    """Periodic: advances in-flight sweeps, starts sweeps of credited deposits to the hot
    wallet, and (with a cold wallet configured) sweeps the hot wallet's excess to it.

    Idempotent across repeats and crashes (see the module docstring); never posts to the
    ledger. Returns counts of what happened in this run."""
    client = w3()
    head = client.eth.block_number
    confirmations = int(conf.get("EXCHANGE_CONFIRMATIONS"))
    counts = {"started": 0, "sent": 0, "confirmed": 0, "failed": 0, "skipped": 0, "cold": 0}
    for pk in ChainSweep.objects.filter(status__in=ChainSweep.ACTIVE_STATUSES).values_list(
        "pk", flat=True
    ):
        outcome = _advance(client, pk, head, confirmations)
        if outcome:
            counts[outcome] += 1
    assets = {asset.pk: asset for asset in Asset.objects.exclude(kind=Asset.Kind.FIAT)}
    pending = (
        ChainDeposit.objects.filter(status=ChainDeposit.Status.CREDITED, sweep__isnull=True)
        .values_list("address_id", "asset_id")
        .distinct()
        .order_by("address_id", "asset_id")
    )
    for address_pk, asset_pk in pending:
        sweep = _deposit_start(client, address_pk, assets[asset_pk], head, confirmations)
        if sweep is not None:
            counts["skipped" if sweep.status == Status.SKIPPED else "started"] += 1
    cold = conf.get("EXCHANGE_COLD_WALLET_ADDRESS")
    if cold and Web3.is_address(cold):
        limits = conf.hot_wallet_limits()
        for asset in assets.values():
            if asset.symbol in limits and _cold_start(client, asset, cold, limits[asset.symbol]):
                counts["cold"] += 1
    return counts
