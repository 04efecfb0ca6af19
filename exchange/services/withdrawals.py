"""Withdrawals on chain, up to approval: the address allow-list, the customer's request (KYC
caps, the hold on her balance) and staff approval or rejection. Sending, fee bumps and
confirmation are in withdrawal_sending. Every status is anchored as a private version."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from web3 import Web3

from busanhub.chain.services import anchor_record
from exchange import conf
from exchange.amounts import MAX_AMOUNT
from exchange.models import Asset, ChainWithdrawal, WithdrawalAddress

from .kyc import kyc_level
from .ledger import AVAILABLE, HELD, entry_post
from .outflow import (
    amount_too_large,
    krw_value,
    outflow_approve,
    outflow_check,
    outflow_lock,
    outflow_refund,
    outflow_reject,
)


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


def withdrawal_anchor(withdrawal: ChainWithdrawal) -> None:
    """Anchors the withdrawal's current status as its next private version. Inside the caller's
    transaction, with the withdrawal's row locked."""
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


def withdrawal_refund(withdrawal: ChainWithdrawal, status: str) -> None:
    """Gives the held amount back to the customer and ends the withdrawal in `status`
    (rejected, or failed on chain), anchored. Inside the caller's transaction, with the
    withdrawal's row locked."""
    outflow_refund(withdrawal, status=status)
    withdrawal_anchor(withdrawal)


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

    # One decision per customer: lock first, then read what she withdrew (see outflow). Every
    # check comes before the first write: a refused request writes nothing.
    account = outflow_lock(user=user, asset=asset_row)[(user.pk, asset_row.pk)]
    if account.is_frozen:
        raise ValidationError({"account": _("Your account is frozen.")})
    if account.available < amount:
        raise ValidationError({"amount": _("Insufficient available balance.")})
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
    entry_post(
        kind="withdrawal_hold",
        reference=str(withdrawal.public_id),
        lines=[(account, AVAILABLE, -amount), (account, HELD, amount)],
    )
    withdrawal_anchor(withdrawal)
    return withdrawal


@transaction.atomic
def withdrawal_approve(*, staff, withdrawal: ChainWithdrawal) -> ChainWithdrawal:
    """Staff approval of a withdrawal awaiting it, by another person than its owner
    (`outflow_approve`, shared with KRW withdrawals); the new status is anchored. Atomic."""
    withdrawal = outflow_approve(
        staff=staff, withdrawal=withdrawal, status=ChainWithdrawal.Status.APPROVED
    )
    withdrawal_anchor(withdrawal)
    return withdrawal


@transaction.atomic
def withdrawal_reject(*, staff, withdrawal: ChainWithdrawal) -> ChainWithdrawal:
    """Staff rejection: the held amount goes back to the customer (`outflow_reject`, shared
    with KRW withdrawals); the new status is anchored. Atomic."""
    withdrawal = outflow_reject(staff=staff, withdrawal=withdrawal)
    withdrawal_anchor(withdrawal)
    return withdrawal
