"""KRW in and out through the platform bank gateway (busanhub.bank), and crediting deposits."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from busanhub.bank.gateway import BankDeclined, BankUnavailable, gateway
from exchange.models import Account, Asset, BankAccount, BankTransfer

from .kyc import require_kyc
from .ledger import AVAILABLE, HELD, accounts_lock, entry_post


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


@transaction.atomic
def bank_account_link(*, user, account_ref: str) -> BankAccount:
    """Links the user's bank account (idempotent)."""
    account = BankAccount(owner=user, account_ref=account_ref.strip())
    existing = BankAccount.objects.filter(owner=user, account_ref=account.account_ref).first()
    if existing:
        return existing
    account.full_clean()
    account.save()
    return account


def _krw() -> Asset:
    return Asset.objects.get(symbol="KRW")


def krw_deposit(*, user, bank_account: BankAccount, amount: int) -> BankTransfer:
    """Pulls KRW from the linked bank account and credits it once the bank confirms.

    The transfer row is committed first (pending) so its public id is the bank's idempotency
    key; a timeout leaves it pending and `bank_transfer_settle` asks the bank later. A decline
    marks it failed. Never credits twice: crediting moves pending -> completed under a row lock.
    """
    require_kyc(user=user)
    if bank_account.owner_id != user.pk:
        raise ValidationError({"bank_account": _("No such bank account.")})
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("The amount must be a positive number of won.")})
    transfer = BankTransfer(bank_account=bank_account, direction="in", amount=amount)
    transfer.full_clean()
    transfer.save()
    return bank_transfer_settle(transfer=transfer)


def krw_withdraw(*, user, bank_account: BankAccount, amount: int) -> BankTransfer:
    """Holds the KRW, pays it out through the bank; a decline refunds the hold."""
    require_kyc(user=user)
    if bank_account.owner_id != user.pk:
        raise ValidationError({"bank_account": _("No such bank account.")})
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("The amount must be a positive number of won.")})
    krw = _krw()
    with transaction.atomic():
        transfer = BankTransfer(bank_account=bank_account, direction="out", amount=amount)
        transfer.full_clean()
        transfer.save()
        account = accounts_lock(pairs=[(user.pk, krw.pk)])[(user.pk, krw.pk)]
        if account.is_frozen:
            raise ValidationError({"account": _("Your account is frozen.")})
        entry_post(
            kind="withdrawal_hold",
            reference=str(transfer.public_id),
            lines=[(account, AVAILABLE, -amount), (account, HELD, amount)],
        )
    return bank_transfer_settle(transfer=transfer)


def bank_transfer_settle(*, transfer: BankTransfer) -> BankTransfer:
    """Calls (or asks) the bank for a pending transfer and books the outcome exactly once.
    Idempotent: the transfer's public id is the idempotency key; settled transfers are left."""
    key = f"exchange-{transfer.public_id}"
    bank = gateway()
    try:
        call = bank.transfer_in if transfer.direction == "in" else bank.transfer_out
        result = call(
            account_ref=transfer.bank_account.account_ref,
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
        transfer = (
            BankTransfer.objects.select_for_update()
            .select_related("bank_account")
            .get(pk=transfer.pk)
        )
        if transfer.status != BankTransfer.Status.PENDING:
            return transfer
        krw = _krw()
        owner_id = transfer.bank_account.owner_id
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
        elif transfer.direction == "out":
            entry_post(
                kind="bank_refund",
                reference=reference,
                lines=[(mine, HELD, -transfer.amount), (mine, AVAILABLE, transfer.amount)],
            )
        transfer.status = outcome
        transfer.bank_transfer_id = result.transfer_id if result else ""
        transfer.save(update_fields=["status", "bank_transfer_id"])
    return transfer
