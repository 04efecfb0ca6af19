"""Gifts of cash between wallets, held for an address whose owner cannot receive them yet.
Each move is one balanced journal transaction, anchored, or nothing at all."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.accounts.selectors import user_with_verified_email
from vouchers import limits
from vouchers.models import Account, Gift, JournalTransaction, Wallet

from .core import (
    accounts_lock,
    check_amount,
    journal_post,
    policy_current,
    refuse,
    system_account,
    wallet_open,
)
from .holdings import wallet_holdings
from .periods import day_start

# How long a held gift waits for its recipient before it goes back to the sender.
GIFT_HOLD_TIME = timedelta(days=30)


@transaction.atomic
def gift_send(*, sender, recipient_email: str, amount: int, message: str = "") -> Gift:
    """Sends cash from the sender's wallet to whoever has verified `recipient_email`, within
    the sender's daily gift limit. Cashback and grants are not transferable. Atomic, anchored.

    Neutral about the address: the sender's side is the same whether or not it belongs to a
    BusanHub user (same refusals, same result, the money leaves the sender's cash either
    way), so a gift never tells whether an email has an account. When the address's owner
    can receive it now (a verified account, a wallet that is not frozen, room under the
    holding cap), the cash goes straight to their wallet; otherwise it is held (status
    `pending`, money in the gift-hold account) and `gifts_deliver_pending` delivers it once
    they can, or returns it to the sender after GIFT_HOLD_TIME.

    Locks: both wallet rows (pk order), then the accounts (pk order)."""
    check_amount(amount, maximum=limits.MAX_GIFT)
    email = (recipient_email or "").strip().lower()
    if "@" not in email:
        raise refuse("recipient", _("Enter the recipient's email address."))
    if email == (sender.email or "").lower():
        raise refuse("recipient", _("You cannot send a gift to yourself."))
    recipient = user_with_verified_email(email=email)
    if recipient is not None and recipient.pk == sender.pk:
        raise refuse("recipient", _("You cannot send a gift to yourself."))
    policy = policy_current()
    sender_wallet = wallet_open(user=sender)
    recipient_wallet = wallet_open(user=recipient) if recipient is not None else None
    # Lock both wallets in pk order, like the accounts.
    wallet_pks = [sender_wallet.pk] + ([recipient_wallet.pk] if recipient_wallet else [])
    wallets = {
        w.pk: w for w in Wallet.objects.select_for_update().filter(pk__in=wallet_pks).order_by("pk")
    }
    sender_wallet = wallets[sender_wallet.pk]
    if sender_wallet.is_frozen:
        raise refuse(
            "wallet",
            _("This wallet is frozen: %(reason)s") % {"reason": sender_wallet.frozen_reason},
        )
    sent_today = (
        Gift.objects.filter(sender=sender_wallet, created_at__gte=day_start()).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    if sent_today + amount > policy.gift_daily_limit:
        raise refuse(
            "amount",
            _("Over the daily gift limit of %(limit)s KRW (%(left)s KRW left today).")
            % {
                "limit": policy.gift_daily_limit,
                "left": max(0, policy.gift_daily_limit - sent_today),
            },
            "over_limit",
        )
    receiving = None
    if recipient_wallet is not None:
        recipient_wallet = wallets[recipient_wallet.pk]
        if (
            not recipient_wallet.is_frozen
            and wallet_holdings(recipient_wallet) + amount <= policy.holding_cap
        ):
            receiving = recipient_wallet.accounts.get(kind=Account.Kind.CASH)
    target = receiving or system_account(Account.Kind.GIFT_HOLD)
    sender_cash = sender_wallet.accounts.get(kind=Account.Kind.CASH)
    locked = accounts_lock([sender_cash.pk, target.pk])
    if locked[sender_cash.pk].balance < amount:
        raise refuse(
            "amount",
            _("Insufficient cash for this gift (cashback and grants cannot be given)."),
            "insufficient_funds",
        )
    entry = journal_post(
        kind=JournalTransaction.Kind.GIFT,
        lines=[(locked[sender_cash.pk], -amount), (locked[target.pk], amount)],
        memo="gift",
        locked=locked,
    )
    gift = Gift(
        sender=sender_wallet,
        amount=amount,
        message=(message or "")[:140],
        journal=entry,
    )
    if receiving is not None:
        gift.recipient = recipient_wallet
    else:
        gift.status = Gift.Status.PENDING
        gift.recipient_email = email
        gift.expires_at = timezone.now() + GIFT_HOLD_TIME
    gift.save()
    return gift


@transaction.atomic
def _gift_release(*, gift_pk: int, now: datetime) -> Gift:
    """Delivers a held gift to the owner of its address if they can receive it now, or
    returns an expired one to the sender's cash (even over the holding cap or into a frozen
    wallet: it is the sender's own money coming back). Locks: the gift row, the recipient's
    wallet row, then the accounts in pk order."""
    gift = Gift.objects.select_for_update().select_related("sender").get(pk=gift_pk)
    if gift.status != Gift.Status.PENDING:
        return gift
    if gift.expires_at <= now:
        target = gift.sender.accounts.get(kind=Account.Kind.CASH)
        gift.status = Gift.Status.RETURNED
    else:
        recipient = user_with_verified_email(email=gift.recipient_email)
        if recipient is None:
            return gift
        wallet = Wallet.objects.select_for_update().get(pk=wallet_open(user=recipient).pk)
        if wallet.is_frozen or wallet_holdings(wallet) + gift.amount > policy_current().holding_cap:
            return gift
        target = wallet.accounts.get(kind=Account.Kind.CASH)
        gift.status = Gift.Status.DELIVERED
        gift.recipient = wallet
    hold = system_account(Account.Kind.GIFT_HOLD)
    locked = accounts_lock([hold.pk, target.pk])
    gift.release_journal = journal_post(
        kind=JournalTransaction.Kind.GIFT,
        lines=[(locked[hold.pk], -gift.amount), (locked[target.pk], gift.amount)],
        memo=f"gift {gift.status}",
        locked=locked,
    )
    gift.save(update_fields=["status", "recipient", "release_journal"])
    return gift


def gifts_deliver_pending(*, now: datetime | None = None) -> dict:
    """Delivers every held gift whose recipient can now receive it, returns the expired ones
    to their senders; one transaction per gift. Idempotent: a delivered or returned gift is
    left alone, a gift still undeliverable stays held. Returns the counts by outcome."""
    now = now or timezone.now()
    counts = {"delivered": 0, "returned": 0, "pending": 0}
    pending = Gift.objects.filter(status=Gift.Status.PENDING).order_by("pk")
    for pk in pending.values_list("pk", flat=True):
        counts[_gift_release(gift_pk=pk, now=now).status] += 1
    return counts
