"""Top-ups through the bank gateway: reserved against the caps, settled with the bank, credited
to the wallet's cash once. Each credit is one balanced journal transaction, anchored."""

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from busanhub.bank.gateway import BankDeclined, BankUnavailable, gateway
from vouchers import limits
from vouchers.models import Account, BankLink, JournalTransaction, TopUp, Wallet

from .banklinks import bank_link_check_usable
from .core import check_amount, journal_post, policy_current, refuse, system_account, wallet_open
from .holdings import wallet_holdings
from .periods import month_start


def _locked_wallet(user) -> Wallet:
    wallet = Wallet.objects.select_for_update().filter(user=user).first()
    if wallet is None:
        wallet = Wallet.objects.select_for_update().get(pk=wallet_open(user=user).pk)
    if wallet.is_frozen:
        raise refuse(
            "wallet",
            _("This wallet is frozen: %(reason)s") % {"reason": wallet.frozen_reason},
            "frozen",
        )
    return wallet


@transaction.atomic
def _topup_reserve(*, user, bank_link: BankLink, amount: int) -> TopUp:
    check_amount(amount, maximum=limits.MAX_TOPUP)
    bank_link_check_usable(user=user, bank_link=bank_link)  # own, verified, still linked
    wallet = _locked_wallet(user)  # the wallet row lock serialises the cap checks
    policy = policy_current()
    this_month = (
        TopUp.objects.filter(wallet=wallet, created_at__gte=month_start())
        .exclude(status=TopUp.Status.DECLINED)
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    if this_month + amount > policy.monthly_topup_cap:
        raise refuse(
            "amount",
            _("Over the monthly top-up cap of %(cap)s KRW (%(left)s KRW left this month).")
            % {
                "cap": policy.monthly_topup_cap,
                "left": max(0, policy.monthly_topup_cap - this_month),
            },
            "over_limit",
        )
    pending = (
        TopUp.objects.filter(wallet=wallet, status=TopUp.Status.PENDING).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    if wallet_holdings(wallet) + pending + amount > policy.holding_cap:
        raise refuse(
            "amount",
            _("Over the holding cap of %(cap)s KRW.") % {"cap": policy.holding_cap},
            "over_limit",
        )
    topup = TopUp(wallet=wallet, bank_link=bank_link, amount=amount)
    topup.full_clean()
    topup.save()
    return topup


def topup_settle(*, topup_pk: int) -> TopUp:
    """Asks the bank for a pending top-up (always with the top-up's own idempotency key, so
    the bank moves the money at most once) and credits the wallet once: bank -amount, wallet
    cash +amount, anchored. Idempotent: a settled top-up is returned as it is. The bank is
    called outside any database transaction of ours. Raises BankUnavailable when the bank
    still does not answer (the top-up stays pending)."""
    topup = TopUp.objects.select_related("bank_link").get(pk=topup_pk)
    if topup.status != TopUp.Status.PENDING:
        return topup
    try:
        transfer = gateway().transfer_in(
            account_ref=topup.bank_link.account_ref,
            amount=topup.amount,
            reference=f"Busan voucher top-up {topup.public_id}",
            idempotency_key=topup.bank_idempotency_key,
        )
    except BankDeclined:
        return _topup_record(topup_pk=topup_pk, transfer_id="")
    return _topup_record(topup_pk=topup_pk, transfer_id=transfer.transfer_id)


@transaction.atomic
def _topup_record(*, topup_pk: int, transfer_id: str) -> TopUp:
    topup = TopUp.objects.select_for_update().get(pk=topup_pk)
    if topup.status != TopUp.Status.PENDING:  # a concurrent settle got there first
        return topup
    if not transfer_id:
        topup.status = TopUp.Status.DECLINED
        topup.save(update_fields=["status"])
        return topup
    cash = topup.wallet.accounts.get(kind=Account.Kind.CASH)
    entry = journal_post(
        kind=JournalTransaction.Kind.TOPUP,
        lines=[(system_account(Account.Kind.BANK), -topup.amount), (cash, topup.amount)],
        memo="top-up",
    )
    topup.status = TopUp.Status.COMPLETED
    topup.transfer_id = transfer_id
    topup.journal = entry
    topup.save(update_fields=["status", "transfer_id", "journal"])
    return topup


def topup_create(*, user, bank_link: BankLink, amount: int) -> TopUp:
    """Tops a wallet up from a linked bank account, within the monthly and holding caps.

    Not one transaction, on purpose: the top-up is first reserved (committed, status pending,
    counted against the caps), then the bank is asked, then the wallet is credited
    (`topup_settle`). If the bank times out the top-up stays pending and a task asks again
    with the same idempotency key, so the bank never moves the money twice. A declined
    top-up raises ValidationError naming `bank_account`; nothing is posted.
    """
    topup = _topup_reserve(user=user, bank_link=bank_link, amount=amount)
    try:
        topup = topup_settle(topup_pk=topup.pk)
    except BankUnavailable:
        from vouchers.tasks import topup_settle_task

        pk = topup.pk
        transaction.on_commit(lambda: topup_settle_task.apply_async(args=[pk], countdown=30))
        return topup
    if topup.status == TopUp.Status.DECLINED:
        raise refuse("bank_account", _("The bank declined the transfer."))
    return topup
