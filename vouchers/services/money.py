"""Money moving for citizens: top-ups through the bank gateway, payments with cashback,
refunds, gifts. Each is one balanced journal transaction, anchored, or nothing at all."""

import json
import uuid
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2 import sql as pgsql

from busanhub.accounts.selectors import user_with_verified_email
from busanhub.bank.gateway import BankDeclined, BankUnavailable, gateway
from busanhub.db import PreparedStatement, sql_file
from vouchers import ledger, limits
from vouchers.models import (
    Account,
    BankLink,
    Gift,
    JournalTransaction,
    Merchant,
    Payment,
    PaymentGrantShare,
    PaymentRequest,
    Refund,
    TopUp,
    Wallet,
)

from .banklinks import bank_link_check_usable
from .core import (
    ENTRY_PARAMS,
    LEAF_PARAMS,
    SQL_DIR,
    TABLES,
    accounts_lock,
    check_amount,
    journal_draft,
    journal_post,
    journal_written,
    loaded,
    policy_by_pk,
    policy_current,
    pool_shard_lock,
    refuse,
    system_account,
    wallet_open,
)
from .merchants import merchant_payable

RESIDENT_CREDENTIAL = "BusanResidentCredential"


def month_start(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def day_start(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


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


def _holdings(wallet: Wallet) -> int:
    return wallet.accounts.aggregate(total=Sum("balance"))["total"] or 0


# --- top-ups --------------------------------------------------------------------------------


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
    if _holdings(wallet) + pending + amount > policy.holding_cap:
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


# --- payments --------------------------------------------------------------------------------


def _rate_bp(policy, tier: str) -> int:
    return {
        "small": policy.cashback_small_bp,
        "medium": policy.cashback_medium_bp,
        "large": policy.cashback_large_bp,
    }[tier]


# One round trip for everything a payment reads before it writes (vouchers/sql/
# payment_lock.sql): it locks the payer's wallet row, then (ORDER BY before the lock: pk
# order) the wallet's cash, cashback and non-empty grant accounts, and reads the merchant with
# its account, the policy in force and whether the payer holds a valid
# BusanResidentCredential (identity's SQL function for the question,
# identity_credential_claims_valid). Rows locked FOR UPDATE come back in their newest
# committed version, so the freeze flag and the balances are the ones a concurrent freeze or
# payment left. Nothing of the merchant is locked: its account's balance is derived (see
# models.Account.DERIVED_KINDS).
# The statement is prepared once per connection: planning its joins costs several times what
# running it does. The accounts' kinds are tested in a CASE, which no index serves: written
# as `kind IN (...) OR ...`, a generic plan could AND the wallet's index with the partial
# per-kind unique indexes, whose scan reads every wallet's accounts.
class PaymentLockRow(NamedTuple):
    wallet_id: int
    wallet_is_frozen: bool
    wallet_frozen_reason: str
    account_id: int
    account_kind: str
    account_balance: int
    account_public_id: uuid.UUID
    cashback_month: date | None
    cashback_month_earned: int
    programme_valid_until: datetime | None
    programme_eligible_categories: str | list | None  # jsonb, as text (Django decodes JSON)
    merchant_id: int
    merchant_name: str
    merchant_status: str
    merchant_is_frozen: bool
    merchant_tier: str
    merchant_category: str
    merchant_owner_id: int
    merchant_account_id: int
    merchant_account_public_id: uuid.UUID
    policy_id: int
    policy_digest: str
    is_resident: bool


PAYMENT_LOCK = PreparedStatement(
    "vouchers_payment_lock",
    (SQL_DIR / "payment_lock.sql").read_text(),
    params=[
        ("user", "bigint"),
        ("code", "text"),
        ("credential_type", "text"),
        ("now", "timestamptz"),
    ],
    row=PaymentLockRow,
)


def _payment_lock(payer, code: str, now: datetime) -> list[PaymentLockRow]:
    """The rows of vouchers_payment_lock; opens the wallet on first use. An unknown or unapproved
    merchant is refused (ValidationError naming `merchant`)."""
    for _attempt in range(2):
        with connection.cursor() as cursor:
            rows = PAYMENT_LOCK.execute(
                cursor, user=payer.pk, code=code, credential_type=RESIDENT_CREDENTIAL, now=now
            )
        if rows:
            return rows
        merchant_payable(code)  # refuses an unknown or unapproved merchant (no account yet)
        wallet_open(user=payer)  # else the wallet was missing
    raise RuntimeError("the wallet's accounts are missing")


def _account(pk, kind, balance, public_id) -> Account:
    return loaded(Account, id=pk, kind=kind, balance=balance, public_id=public_id)


def _month_earned(account: Account, month) -> int:
    return account.cashback_month_earned if account.cashback_month == month else 0


@transaction.atomic
def payment_create(
    *,
    payer,
    merchant_code: str | None = None,
    amount: int | None = None,
    request_id=None,
    reauthenticated: bool = False,
) -> Payment:
    """Pays a merchant from the payer's wallet: by merchant code and amount (static QR), or a
    payment request (dynamic QR, once, before it expires).

    Atomic: one journal transaction (grants first where the merchant's category is eligible,
    then cashback, then cash → merchant; incentive pool → cashback for holders of a valid
    BusanResidentCredential at the merchant's tier rate, within the monthly cap), anchored.
    Every refusal is a ValidationError naming the field and rule, with nothing written; a
    payer who runs the merchant is refused (code `self_payment`, by code or by request).

    Locks, in this order: the payer's wallet row and accounts (one statement), then one shard
    of the incentive pool if cashback is due. The merchant's account is credited without a
    lock (its balance is derived), so payments to one merchant do not queue.
    """
    now = timezone.now()
    request = None
    if request_id is not None:
        request = (
            PaymentRequest.objects.select_for_update()
            .select_related("merchant")
            .filter(public_id=request_id)
            .first()
        )
        if request is None:
            raise refuse("payment_request", _("Unknown payment request."))
        if Payment.objects.filter(request=request).exists():
            raise refuse("payment_request", _("This payment request has already been paid."))
        if request.expires_at <= now:
            raise refuse("payment_request", _("This payment request has expired."))
        code = request.merchant.code
        amount = request.amount
    else:
        check_amount(amount, maximum=limits.MAX_PAYMENT)
        if not isinstance(merchant_code, str) or not merchant_code.strip():
            raise refuse("merchant", _("Unknown merchant code."))
        code = merchant_code.strip().upper()
    rows = _payment_lock(payer, code, now)
    first = rows[0]
    if first.merchant_status != Merchant.Status.APPROVED:
        raise refuse("merchant", _("This merchant is not approved to accept vouchers."))
    if first.merchant_is_frozen:
        raise refuse("merchant", _("This merchant is frozen and cannot accept payments."))
    if first.merchant_owner_id == payer.pk:
        # Self-dealing: the owner would earn cashback from the city's pool on her own sales
        # and settle grant money (spendable only at shops) to her own bank account as cash.
        raise refuse(
            "payment_request" if request is not None else "merchant",
            _("You cannot pay a merchant you run."),
            code="self_payment",
        )
    policy = policy_by_pk(first.policy_id, digest=first.policy_digest)
    if amount > policy.reauth_threshold and not reauthenticated:
        raise refuse(
            "password",
            _("Payments above %(limit)s KRW need your password again.")
            % {"limit": policy.reauth_threshold},
        )
    if first.wallet_is_frozen:
        raise refuse(
            "wallet",
            _("This wallet is frozen: %(reason)s") % {"reason": first.wallet_frozen_reason},
        )
    merchant = loaded(
        Merchant,
        id=first.merchant_id,
        code=code,
        name=first.merchant_name,
        status=first.merchant_status,
        is_frozen=False,
        tier=first.merchant_tier,
        category=first.merchant_category,
        owner_id=first.merchant_owner_id,
    )
    wallet = loaded(
        Wallet,
        id=first.wallet_id,
        user_id=payer.pk,
        is_frozen=False,
        frozen_reason=first.wallet_frozen_reason,
    )
    locked: dict[int, Account] = {}
    grants = []
    cash = cashback_account = None
    for row in rows:
        account = _account(
            row.account_id, row.account_kind, row.account_balance, row.account_public_id
        )
        locked[account.pk] = account
        if account.kind == Account.Kind.CASH:
            cash = account
        elif account.kind == Account.Kind.CASHBACK:
            cashback_account = account
            account.cashback_month = row.cashback_month
            account.cashback_month_earned = row.cashback_month_earned
        else:
            valid_until, eligible = row.programme_valid_until, row.programme_eligible_categories
            if isinstance(eligible, str):  # Django leaves JSON decoding to the field
                eligible = json.loads(eligible)
            if valid_until > now and first.merchant_category in eligible:
                grants.append((valid_until, account.pk))
    grant_pks = [pk for _valid_until, pk in sorted(grants)]  # the soonest to expire first
    merchant_account = _account(
        first.merchant_account_id, Account.Kind.MERCHANT, 0, first.merchant_account_public_id
    )
    locked[merchant_account.pk] = merchant_account
    try:
        parts, from_cashback, from_cash = ledger.split_payment(
            amount,
            grants=[(pk, locked[pk].balance) for pk in grant_pks],
            cashback=cashback_account.balance,
            cash=cash.balance,
        )
    except ledger.LedgerError as exc:
        raise refuse(
            "amount", _("Insufficient balance for this payment."), "insufficient_funds"
        ) from exc
    cashback = 0
    pool = None
    month = month_start(now).date()
    rate = _rate_bp(policy, first.merchant_tier)
    if rate:
        terms = {
            "rate_bp": rate,
            "earned_this_month": _month_earned(cashback_account, month),
            "monthly_cap": policy.monthly_cashback_cap,
        }
        due = ledger.cashback_for(amount, pool=amount, **terms)
        # The pool shard is locked last, and only when cashback is really due.
        if due and first.is_resident:
            pool = pool_shard_lock(preferred=first.wallet_id, need=due)
            if pool is not None:
                cashback = ledger.cashback_for(amount, pool=pool.balance, **terms)
                locked[pool.pk] = pool
    lines = [(locked[pk], -part) for pk, part in parts]
    lines += [
        (cashback_account, -from_cashback),
        (cash, -from_cash),
        (merchant_account, amount),
    ]
    if cashback:
        lines += [(pool, -cashback), (cashback_account, cashback)]
    lines = [(account, value) for account, value in lines if value]
    payment = Payment(
        wallet=wallet,
        merchant=merchant,
        request=request,
        amount=amount,
        from_grants=sum(part for _, part in parts),
        from_cashback=from_cashback,
        from_cash=from_cash,
        cashback=cashback,
        created_at=now,
    )
    counter = (month, _month_earned(cashback_account, month) + cashback) if cashback else None
    return _payment_write(
        payment,
        lines=lines,
        memo=code,
        locked=locked,
        parts=parts,
        cashback_account=cashback_account,
        counter=counter,
    )


# Everything a payment writes, in one statement prepared once per connection
# (vouchers/sql/payment_write.sql; a fixed shape: the postings, balance changes and grant
# shares travel as arrays): the journal entry's anchor leaf (the columns anchor_record_new
# writes), the entry, its postings, the materialised balances with the cashback account's
# monthly counter (a row may be updated once per statement, so the counter rides on its
# balance update), the payment and its grant shares. No model validation: every value is built
# in payment_create, and the database holds the rules that matter (CheckConstraints on
# balances, postings and the payment's sources, unique keys, the deferred trigger that each
# journal transaction sums to zero). Only table names are formatted into the SQL.
PAYMENT_WRITE = PreparedStatement(
    "vouchers_payment_write",
    sql_file(SQL_DIR / "payment_write.sql").format(
        **TABLES,
        payment=pgsql.Identifier(Payment._meta.db_table),
        share=pgsql.Identifier(PaymentGrantShare._meta.db_table),
    ),
    params=[
        *LEAF_PARAMS,
        *ENTRY_PARAMS,
        # the cashback account's monthly counter, riding on its balance update
        ("cashback_account", "bigint"),
        ("cashback_month", "date"),
        ("cashback_month_earned", "bigint"),
        # the payment and its grant shares
        ("payment_public_id", "uuid"),
        ("wallet", "bigint"),
        ("merchant", "bigint"),
        ("request", "bigint"),
        ("amount", "bigint"),
        ("from_grants", "bigint"),
        ("from_cashback", "bigint"),
        ("from_cash", "bigint"),
        ("cashback", "bigint"),
        ("payment_created_at", "timestamptz"),
        ("share_accounts", "bigint[]"),
        ("share_amounts", "bigint[]"),
    ],
    # PostgreSQL would otherwise re-plan the statement at every payment (a custom plan knows
    # the arrays' lengths and so looks cheaper), which costs more than running it.
    generic_plan=True,
)


def _payment_write(
    payment: Payment, *, lines, memo: str, locked: dict, parts, cashback_account, counter
) -> Payment:
    draft = journal_draft(
        kind=JournalTransaction.Kind.PAYMENT, lines=lines, memo=memo, locked=locked
    )
    balances = draft.materialised
    if counter and cashback_account.pk not in dict(balances):  # its lines netted to zero
        balances = [*balances, (cashback_account.pk, 0)]
    with connection.cursor() as cursor:
        ((entry_pk, payment_pk),) = PAYMENT_WRITE.execute(
            cursor,
            **draft.leaf_values(),
            balance_accounts=[pk for pk, _ in balances],
            balance_amounts=[amount for _, amount in balances],
            cashback_account=cashback_account.pk if counter else None,
            cashback_month=counter[0] if counter else None,
            cashback_month_earned=counter[1] if counter else None,
            payment_public_id=str(payment.public_id),
            wallet=payment.wallet_id,
            merchant=payment.merchant_id,
            request=payment.request_id,
            amount=payment.amount,
            from_grants=payment.from_grants,
            from_cashback=payment.from_cashback,
            from_cash=payment.from_cash,
            cashback=payment.cashback,
            payment_created_at=payment.created_at,
            share_accounts=[pk for pk, _ in parts],
            share_amounts=[part for _, part in parts],
        )
    payment.journal = journal_written(draft, entry_pk, locked)
    payment.pk = payment_pk
    payment._state.adding = False
    payment._state.db = connection.alias
    return payment


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


# --- gifts -----------------------------------------------------------------------------------

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
            and _holdings(recipient_wallet) + amount <= policy.holding_cap
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
        if wallet.is_frozen or _holdings(wallet) + gift.amount > policy_current().holding_cap:
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
