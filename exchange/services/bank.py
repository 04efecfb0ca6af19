"""KRW in and out through the platform bank gateway (busanhub.bank), and crediting deposits.

KRW moves only to and from the customer's own proven bank links (busanhub.bank.links: the
1-KRW code). A withdrawal passes the same controls as one on chain: the KYC caps (counted
together with chain withdrawals, in the same serialised decision, see `outflow`), the wait
after a new destination (a link verified less than EXCHANGE_ALLOWLIST_WAIT_S ago) and staff
approval at or above EXCHANGE_APPROVAL_THRESHOLD_KRW by another person than the owner.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from busanhub.bank.gateway import BankDeclined, BankUnavailable, gateway
from busanhub.bank.links import bank_link_check_usable
from busanhub.bank.models import BankLink
from exchange import conf
from exchange.amounts import MAX_AMOUNT
from exchange.models import Account, Asset, BankTransfer

from .kyc import kyc_level, require_kyc
from .ledger import AVAILABLE, HELD, accounts_lock, entry_post
from .outflow import (
    amount_too_large,
    outflow_approve,
    outflow_check,
    outflow_lock,
    outflow_refund,
    outflow_reject,
)


@transaction.atomic
def deposit_credit(*, owner_id: int, asset: Asset, amount: int, kind: str, reference: str):
    """Credits `amount` to the owner's available balance against the custody account.
    Atomic; the caller makes it happen once (a unique row or status)."""
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be positive.")})
    accounts = accounts_lock(
        pairs=[(owner_id, asset.pk)], system=[(Account.Kind.CUSTODY, asset.pk)]
    )
    return entry_post(
        kind=kind,
        reference=reference,
        lines=[
            (accounts[(Account.Kind.CUSTODY, asset.pk)], AVAILABLE, -amount),
            (accounts[(owner_id, asset.pk)], AVAILABLE, amount),
        ],
    )


def _krw() -> Asset:
    return Asset.objects.get(symbol="KRW")


def _amount_check(amount) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("The amount must be a positive number of won.")})
    if amount > MAX_AMOUNT:
        raise amount_too_large()
    return amount


def krw_deposit(*, user, bank_link: BankLink, amount: int) -> BankTransfer:
    """Pulls KRW from the customer's own verified bank link and credits it once the bank
    confirms. Refuses (naming `bank_link`) any other account, with nothing written.

    The transfer row is committed first (pending) so its public id is the bank's idempotency
    key; a timeout leaves it pending and `bank_transfer_settle` asks the bank later. A decline
    marks it failed. Never credits twice: crediting moves pending -> completed under a row lock.
    """
    require_kyc(user=user)
    _amount_check(amount)
    with transaction.atomic():
        link = bank_link_check_usable(user=user, bank_link=bank_link, field="bank_link")
        transfer = BankTransfer(
            owner=user, bank_link=link, direction=BankTransfer.Direction.IN, amount=amount
        )
        transfer.full_clean()
        transfer.save()
    return bank_transfer_settle(transfer=transfer)


def _link_for_withdrawal(*, user, bank_link: BankLink) -> BankLink:
    # Locked: a concurrent removal waits for this decision (or this one sees it removed).
    BankLink.objects.select_for_update().filter(pk=bank_link.pk).first()
    link = bank_link_check_usable(user=user, bank_link=bank_link, field="bank_link")
    wait = timedelta(seconds=int(conf.get("EXCHANGE_ALLOWLIST_WAIT_S")))
    usable_from = (link.verified_at or timezone.now()) + wait
    if usable_from > timezone.now():
        raise ValidationError(
            {
                "bank_link": _("This bank account is new: it can be used from %(when)s.")
                % {"when": timezone.localtime(usable_from).strftime("%Y-%m-%d %H:%M")}
            },
            code="new_destination",
        )
    return link


def krw_withdraw(*, user, bank_link: BankLink, amount: int) -> BankTransfer:
    """Holds the KRW and pays it to the customer's own verified bank link; a decline refunds.

    One serialised decision per customer (`outflow_lock` first): the KYC caps count chain and
    KRW withdrawals together, so concurrent requests never pass the cap together. The link
    must be verified for at least the new-destination wait. At or above the approval
    threshold the transfer waits for staff (`krw_withdrawal_approve`) before the bank is
    called. Refused requests write nothing and hold nothing."""
    level = kyc_level(user=user)
    caps = require_kyc(user=user, level=level)
    _amount_check(amount)
    krw = _krw()
    threshold = int(conf.get("EXCHANGE_APPROVAL_THRESHOLD_KRW"))
    with transaction.atomic():
        account = outflow_lock(user=user, asset=krw)[(user.pk, krw.pk)]
        link = _link_for_withdrawal(user=user, bank_link=bank_link)
        if account.is_frozen:
            raise ValidationError({"account": _("Your account is frozen.")})
        if account.available < amount:
            raise ValidationError({"amount": _("Insufficient available balance.")})
        outflow_check(user=user, caps=caps, value=amount)
        transfer = BankTransfer(
            owner=user,
            bank_link=link,
            direction=BankTransfer.Direction.OUT,
            amount=amount,
            status=(
                BankTransfer.Status.AWAITING_APPROVAL
                if amount >= threshold
                else BankTransfer.Status.PENDING
            ),
        )
        transfer.full_clean()
        transfer.save()
        entry_post(
            kind="withdrawal_hold",
            reference=str(transfer.public_id),
            lines=[(account, AVAILABLE, -amount), (account, HELD, amount)],
        )
    if transfer.status == BankTransfer.Status.AWAITING_APPROVAL:
        return transfer
    return bank_transfer_settle(transfer=transfer)


def krw_withdrawal_approve(*, staff, transfer: BankTransfer) -> BankTransfer:
    """Staff approval of a KRW withdrawal at or above the threshold, by another person than
    its owner (`outflow_approve`, shared with chain withdrawals); then pays it (outside the
    transaction: the bank is called with the transfer's key, so `bank_transfer_settle` may
    retry it). Refusals change nothing."""
    with transaction.atomic():
        transfer = outflow_approve(
            staff=staff, withdrawal=transfer, status=BankTransfer.Status.PENDING
        )
    return bank_transfer_settle(transfer=transfer)


@transaction.atomic
def krw_withdrawal_reject(*, staff, transfer: BankTransfer) -> BankTransfer:
    """Staff rejection of a KRW withdrawal awaiting approval: the hold goes back
    (`outflow_reject`, shared with chain withdrawals). Atomic."""
    return outflow_reject(staff=staff, withdrawal=transfer)


def bank_transfer_settle(*, transfer: BankTransfer) -> BankTransfer:
    """Calls (or asks) the bank for a pending transfer and books the outcome exactly once.
    Idempotent: the transfer's public id is the idempotency key; settled transfers, and those
    awaiting staff approval, are left as they are (the bank is not called)."""
    transfer = BankTransfer.objects.select_related("bank_link", "bank_account").get(pk=transfer.pk)
    if transfer.status != BankTransfer.Status.PENDING:
        return transfer
    key = f"exchange-{transfer.public_id}"
    bank = gateway()
    try:
        call = bank.transfer_in if transfer.direction == "in" else bank.transfer_out
        result = call(
            account_ref=transfer.account_ref,
            amount=transfer.amount,
            reference=f"BusanDAX {transfer.public_id}",
            idempotency_key=key,
        )
        outcome = "completed"
    except BankDeclined:
        result, outcome = None, "failed"
    except BankUnavailable:
        return transfer  # stays pending; a later settle retries with the same key
    with transaction.atomic():
        transfer = BankTransfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.status != BankTransfer.Status.PENDING:
            return transfer
        if transfer.direction == BankTransfer.Direction.OUT and outcome == "failed":
            outflow_refund(transfer, status=BankTransfer.Status.FAILED)  # the decline refunds
            return transfer
        krw = _krw()
        owner_id = transfer.owner_id
        accounts = accounts_lock(pairs=[(owner_id, krw.pk)], system=[("custody", krw.pk)])
        mine, custody = accounts[(owner_id, krw.pk)], accounts[("custody", krw.pk)]
        reference = str(transfer.public_id)
        if transfer.direction == "in" and outcome == "completed":
            entry_post(
                kind="bank_deposit",
                reference=reference,
                lines=[(custody, AVAILABLE, -transfer.amount), (mine, AVAILABLE, transfer.amount)],
            )
        elif transfer.direction == "out" and outcome == "completed":
            entry_post(
                kind="bank_withdrawal",
                reference=reference,
                lines=[(mine, HELD, -transfer.amount), (custody, AVAILABLE, transfer.amount)],
            )
        transfer.status = outcome
        transfer.bank_transfer_id = result.transfer_id if result else ""
        transfer.save(update_fields=["status", "bank_transfer_id"])
    return transfer
