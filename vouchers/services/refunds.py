"""Refunds of payments, by the merchant's owner: one balanced journal transaction, anchored,
or nothing at all."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from vouchers import ledger, limits
from vouchers.models import Account, JournalTransaction, Payment, Refund

from .core import (
    accounts_lock,
    check_amount,
    journal_post,
    policy_current,
    pool_shard_lock,
    refuse,
)
from .periods import month_start


@transaction.atomic
def refund_create(*, payment: Payment, amount: int, by, reason: str = "") -> Refund:
    """Refunds all or part of a payment, by the merchant's owner, within the policy window.

    Atomic: merchant → the payer's wallet (cash first, then cashback, then the grants it was
    paid from), less the cashback earned on the refunded part, which goes back to the
    incentive pool (and off the payer's monthly cashback if the payment is of this month).
    Anchored. Refusals name the field, with nothing written.

    Also after the merchant's money was settled: the merchant's account then goes below zero,
    a receivable the merchant's next settlement nets (see settlement_create).
    """
    check_amount(amount, maximum=limits.MAX_REFUND)
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("merchant", "wallet")
        .get(pk=payment.pk)
    )
    if by is None or payment.merchant.owner_id != by.pk:
        raise refuse("payment", _("Only the merchant paid can refund this payment."))
    policy = policy_current()
    if payment.created_at + timedelta(days=policy.refund_window_days) < timezone.now():
        raise refuse(
            "payment",
            _("The refund window of %(days)s days is over.") % {"days": policy.refund_window_days},
        )
    if amount > payment.amount - payment.refunded:
        raise refuse(
            "amount",
            _("At most %(left)s KRW of this payment can still be refunded.")
            % {"left": payment.amount - payment.refunded},
        )
    reversal = ledger.cashback_reversal(
        cashback=payment.cashback,
        amount=payment.amount,
        refunded_before=payment.refunded,
        refund=amount,
        reversed_before=payment.cashback_reversed,
    )
    back = amount - reversal
    cash, cashback_account = (
        {a.kind: a for a in payment.wallet.accounts.filter(kind__in=["cash", "cashback"])}[k]
        for k in ("cash", "cashback")
    )
    shares = list(payment.grant_shares.order_by("pk"))
    sources = [
        (cash.pk, payment.from_cash - payment.returned_cash),
        (cashback_account.pk, payment.from_cashback - payment.returned_cashback),
        *[(("share", share.pk), share.amount - share.returned) for share in shares],
    ]
    parts = dict(ledger.allocate_return(back, sources=sources))
    share_by_pk = {share.pk: share for share in shares}
    grant_parts = {
        share_by_pk[key[1]]: value for key, value in parts.items() if isinstance(key, tuple)
    }
    merchant_account = payment.merchant.account
    # The merchant's account is locked too (it serialises refunds with settlements) and may go
    # below zero: no check of its balance.
    locked = accounts_lock(
        [cash.pk, cashback_account.pk, merchant_account.pk]
        + [share.account_id for share in grant_parts]
    )
    lines = [(locked[merchant_account.pk], -amount)]
    lines += [(locked[cash.pk], parts.get(cash.pk, 0))]
    lines += [(locked[cashback_account.pk], parts.get(cashback_account.pk, 0))]
    lines += [(locked[share.account_id], value) for share, value in grant_parts.items()]
    if reversal:
        pool = pool_shard_lock(preferred=payment.wallet_id, need=0)  # last, like payments
        locked[pool.pk] = pool
        lines += [(pool, reversal)]
    entry = journal_post(
        kind=JournalTransaction.Kind.REFUND,
        lines=[(account, value) for account, value in lines if value],
        memo=payment.merchant.code,
        locked=locked,
    )
    month = month_start(payment.created_at).date()
    if reversal and month == month_start().date():
        # This month's cashback cap counts what the month's payments kept.
        Account.objects.filter(pk=cashback_account.pk, cashback_month=month).update(
            cashback_month_earned=F("cashback_month_earned") - reversal
        )
    refund = Refund(
        payment=payment,
        amount=amount,
        cashback_reversed=reversal,
        reason=reason[:200],
        journal=entry,
    )
    refund.full_clean(exclude=["journal", "payment"])
    refund.save()
    payment.refunded += amount
    payment.cashback_reversed += reversal
    payment.returned_cash += parts.get(cash.pk, 0)
    payment.returned_cashback += parts.get(cashback_account.pk, 0)
    payment.save(
        update_fields=["refunded", "cashback_reversed", "returned_cash", "returned_cashback"]
    )
    for share, value in grant_parts.items():
        share.returned += value
        share.save(update_fields=["returned"])
    return refund
