"""Reads of Busan Digital Voucher."""

from datetime import date
from typing import Any

from django.db import connection
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

# Linked bank accounts are the platform's; vouchers' pages list them through these.
from busanhub.bank.links import bank_link_label, bank_links_of  # noqa: F401
from busanhub.db import Columns, PreparedStatement

from .models import (
    Account,
    GrantProgramme,
    JournalTransaction,
    Merchant,
    Payment,
    Policy,
    Posting,
    Refund,
    Settlement,
    TopUp,
    Wallet,
)

_WALLET = Columns(Wallet, "wallet")
_WALLET_HOME = PreparedStatement(
    "vouchers_wallet_home",
    f"SELECT {_WALLET.sql}, EXISTS (SELECT 1 "  # noqa: S608 - the models' tables
    f"FROM {Merchant._meta.db_table} AS shop "
    "WHERE shop.owner_id = wallet.user_id), "
    f"(SELECT count(*) FROM {TopUp._meta.db_table} AS topup "
    f"JOIN {Wallet._meta.db_table} AS own ON own.id = topup.wallet_id "
    "WHERE own.user_id = wallet.user_id AND topup.status = %(pending)s), "
    "policy.monthly_topup_cap, policy.holding_cap "
    f"FROM {Wallet._meta.db_table} AS wallet LEFT JOIN LATERAL (SELECT monthly_topup_cap, "
    f"holding_cap FROM {Policy._meta.db_table} ORDER BY version DESC LIMIT 1) AS policy "
    "ON true WHERE wallet.user_id = %(user)s ORDER BY wallet.id LIMIT 1",
    params=[("user", "bigint"), ("pending", "text")],
)


def wallet_home(*, user) -> tuple[Wallet | None, dict]:
    """The wallet page's wallet with, in the same prepared statement, what the page says about
    the user: `is_merchant` (owns a shop), `pending_topups` (top-ups the bank has not answered)
    and the policy in force's two caps it quotes (`monthly_topup_cap`, `holding_cap`; the
    defaults before any policy). Four ORM queries before; a user without a wallet asks them
    one by one."""
    from .ledger import DEFAULT_POLICY as DEFAULT_CAPS

    with connection.cursor() as cursor:
        rows = _WALLET_HOME.execute(cursor, user=user.pk, pending=TopUp.Status.PENDING.value)
    if not rows:
        policy = Policy.objects.order_by("-version").first()
        caps = policy.__dict__ if policy else DEFAULT_CAPS
        return None, {
            "is_merchant": merchants_of(user=user).exists(),
            "pending_topups": topups_of(user=user).filter(status=TopUp.Status.PENDING).count(),
            "monthly_topup_cap": caps["monthly_topup_cap"],
            "holding_cap": caps["holding_cap"],
        }
    row = rows[0]
    wallet = _WALLET.instance(row)
    is_merchant, pending, topup_cap, holding_cap = row[len(_WALLET) :]
    has_policy = topup_cap is not None
    return wallet, {
        "is_merchant": is_merchant,
        "pending_topups": pending,
        "monthly_topup_cap": topup_cap if has_policy else DEFAULT_CAPS["monthly_topup_cap"],
        "holding_cap": holding_cap if has_policy else DEFAULT_CAPS["holding_cap"],
    }


def wallet_for(*, user) -> Wallet | None:
    return Wallet.objects.filter(user=user).first()


def wallet_balances(*, wallet: Wallet | None) -> dict:
    """{'cash', 'cashback', 'grants', 'total'} in KRW (zeros without a wallet)."""
    result = {"cash": 0, "cashback": 0, "grants": 0}
    if wallet is not None:
        for kind, total in (
            Account.objects.filter(wallet=wallet).values_list("kind").annotate(total=Sum("balance"))
        ):
            result["grants" if kind == Account.Kind.GRANT else kind] += total
    result["total"] = result["cash"] + result["cashback"] + result["grants"]
    return result


_WALLET_SUMMARY = PreparedStatement(
    "vouchers_wallet_summary",
    "SELECT wallet.public_id, wallet.is_frozen, account.kind, sum(account.balance) "  # noqa: S608
    f"FROM {Wallet._meta.db_table} AS wallet "
    f"LEFT JOIN {Account._meta.db_table} AS account ON account.wallet_id = wallet.id "
    "WHERE wallet.user_id = %(user)s GROUP BY wallet.public_id, wallet.is_frozen, account.kind",
    params=[("user", "bigint")],
)


def wallet_summary(*, user) -> dict:
    """The wallet API's answer: {'id' (the wallet's public id, None without a wallet),
    'is_frozen'} and `wallet_balances`, in one prepared statement (`wallet_for` then
    `wallet_balances` built two ORM queries on every read of a wallet)."""
    result: dict[str, Any] = {"id": None, "is_frozen": False}
    balances = {"cash": 0, "cashback": 0, "grants": 0}
    with connection.cursor() as cursor:
        rows = _WALLET_SUMMARY.execute(cursor, user=user.pk)
    for public_id, is_frozen, kind, total in rows:
        result["id"], result["is_frozen"] = public_id, is_frozen
        if kind is not None:  # a wallet without accounts yet: one row, no kind
            balances["grants" if kind == Account.Kind.GRANT else kind] += int(total)
    balances["total"] = balances["cash"] + balances["cashback"] + balances["grants"]
    return result | balances


_USER_BALANCES = PreparedStatement(
    "vouchers_user_balances",
    "SELECT account.kind, sum(account.balance) "  # noqa: S608 - the models' tables
    f"FROM {Account._meta.db_table} AS account "
    f"JOIN {Wallet._meta.db_table} AS wallet ON wallet.id = account.wallet_id "
    "WHERE wallet.user_id = %(user)s GROUP BY account.kind",
    params=[("user", "bigint")],
)


def user_balances(*, user) -> dict:
    """`wallet_balances` of the user's wallet in one prepared statement (the /me/ panel, on
    every visit: no ORM query to build)."""
    result = {"cash": 0, "cashback": 0, "grants": 0}
    with connection.cursor() as cursor:
        rows = _USER_BALANCES.execute(cursor, user=user.pk)
    for kind, total in rows:
        result["grants" if kind == Account.Kind.GRANT else kind] += int(total)
    result["total"] = result["cash"] + result["cashback"] + result["grants"]
    return result


_ACCOUNT = Columns(Account, "account")
# The programme without its JSON column (the page does not read it).
_PROGRAMME = Columns(GrantProgramme, "programme", without_json=True)
_WALLET_ACCOUNTS = PreparedStatement(
    "vouchers_wallet_accounts",
    f"SELECT {_ACCOUNT.sql}, {_PROGRAMME.sql} "  # noqa: S608 - the models' tables
    f"FROM {Account._meta.db_table} AS account "
    f"LEFT JOIN {GrantProgramme._meta.db_table} AS programme "
    "ON programme.id = account.programme_id "
    "WHERE account.wallet_id = %(wallet)s ORDER BY programme.valid_until, account.id",
    params=[("wallet", "bigint")],
)


def wallet_overview(*, wallet: Wallet | None) -> tuple[dict, list[Account]]:
    """`wallet_balances` and `wallet_grants` from one prepared statement over the wallet's few
    accounts with their programmes (the wallet page shows both; the ORM's query with its join
    cost more to build than to run)."""
    if wallet is None:
        return wallet_balances(wallet=None), []
    with connection.cursor() as cursor:
        rows = _WALLET_ACCOUNTS.execute(cursor, wallet=wallet.pk)
    accounts = []
    for row in rows:
        account = _ACCOUNT.instance(row)
        # as select_related does: the programme, or None for an account without one
        account.programme = (
            _PROGRAMME.instance(row, len(_ACCOUNT)) if account.programme_id is not None else None
        )
        accounts.append(account)
    result = {"cash": 0, "cashback": 0, "grants": 0}
    for account in accounts:
        result["grants" if account.kind == Account.Kind.GRANT else account.kind] += account.balance
    result["total"] = result["cash"] + result["cashback"] + result["grants"]
    grants = [a for a in accounts if a.kind == Account.Kind.GRANT and a.balance > 0]
    return result, grants


def wallet_grants(*, wallet: Wallet | None) -> list[Account]:
    if wallet is None:
        return []
    return list(
        Account.objects.filter(wallet=wallet, kind=Account.Kind.GRANT, balance__gt=0)
        .select_related("programme")
        .order_by("programme__valid_until")
    )


def wallet_history(
    *, wallet: Wallet | None, kind: str = "", since: date | None = None, until: date | None = None
) -> QuerySet[Posting]:
    """The wallet's postings (one line per account touched), newest first, with their journal
    transaction; filter by journal kind and business date (inclusive)."""
    if wallet is None:
        return Posting.objects.none()
    postings = Posting.objects.filter(account__wallet=wallet).select_related(
        "transaction", "account", "account__programme"
    )
    if kind:
        postings = postings.filter(transaction__kind=kind)
    if since:
        postings = postings.filter(transaction__business_date__gte=since)
    if until:
        postings = postings.filter(transaction__business_date__lte=until)
    return postings.order_by("-transaction_id", "pk")


_POSTING = Columns(Posting, "posting")
_JOURNAL = Columns(JournalTransaction, "journal")
_HISTORY_FIRST = PreparedStatement(
    "vouchers_wallet_history_first",
    f"SELECT {_POSTING.sql}, {_JOURNAL.sql}, {_ACCOUNT.sql}, {_PROGRAMME.sql} "  # noqa: S608
    f"FROM {Posting._meta.db_table} AS posting "
    f"JOIN {Account._meta.db_table} AS account ON account.id = posting.account_id "
    f"JOIN {JournalTransaction._meta.db_table} AS journal ON journal.id = posting.transaction_id "
    f"LEFT JOIN {GrantProgramme._meta.db_table} AS programme "
    "ON programme.id = account.programme_id "
    "WHERE account.wallet_id = %(wallet)s "
    "ORDER BY posting.transaction_id DESC, posting.id LIMIT %(limit)s",
    params=[("wallet", "bigint"), ("limit", "bigint")],
)


def wallet_history_first(*, wallet: Wallet | None, limit: int) -> list[Posting]:
    """The first `limit` rows of `wallet_history(wallet=wallet)` (no filters), the same rows in
    the same order with the same related rows, from one prepared statement: the wallet page's
    first page (the ORM's query with its three joins cost more to build than to run)."""
    if wallet is None:
        return []
    with connection.cursor() as cursor:
        rows = _HISTORY_FIRST.execute(cursor, wallet=wallet.pk, limit=limit)
    journal_at = len(_POSTING)
    account_at = journal_at + len(_JOURNAL)
    programme_at = account_at + len(_ACCOUNT)
    postings = []
    for row in rows:
        posting = _POSTING.instance(row)
        posting.transaction = _JOURNAL.instance(row, journal_at)
        account = _ACCOUNT.instance(row, account_at)
        account.programme = (
            _PROGRAMME.instance(row, programme_at) if account.programme_id is not None else None
        )
        posting.account = account
        postings.append(posting)
    return postings


# A wallet's cashback postings say what they are, not just the journal's kind ("Payment"):
# the cashback account moves both ways in one payment or refund.
ENTRY_LABELS = {
    "cashback_earned": _("Cashback earned"),
    "paid_from_cashback": _("Paid from cashback"),
    "cashback_reversed": _("Cashback reversed"),
    "cashback_returned": _("Cashback returned by a refund"),
    "reward_points": _("Reward points (cashback)"),
}


def posting_entry(posting: Posting) -> str:
    """A stable code for what a wallet posting is: "cashback_earned", "paid_from_cashback",
    "cashback_reversed", "cashback_returned", "reward_points", or the journal's kind."""
    kind = posting.transaction.kind
    if posting.account.kind == Account.Kind.CASHBACK:
        if kind == JournalTransaction.Kind.PAYMENT:
            return "cashback_earned" if posting.amount > 0 else "paid_from_cashback"
        if kind == JournalTransaction.Kind.REFUND:
            return "cashback_returned" if posting.amount > 0 else "cashback_reversed"
        if kind == JournalTransaction.Kind.REWARD:
            return "reward_points"
    return kind


# The kinds' labels by value, as get_kind_display reads them (which rebuilds its dict of the
# choices, every lazy label hashed, at each call).
_JOURNAL_KINDS = dict(JournalTransaction.Kind.choices)
_ACCOUNT_KINDS = dict(Account.Kind.choices)


def posting_label(posting: Posting) -> str:
    """What the citizen reads for a posting in their history (cashback labelled as such)."""
    entry = posting_entry(posting)
    kind = posting.transaction.kind
    return str(ENTRY_LABELS.get(entry) or _JOURNAL_KINDS.get(kind, kind))


def account_label(account: Account) -> str:
    """`account.get_kind_display()`, what the history's "Account" column shows."""
    return str(_ACCOUNT_KINDS.get(account.kind, account.kind))


def payments_for_wallet(*, wallet: Wallet | None) -> QuerySet[Payment]:
    if wallet is None:
        return Payment.objects.none()
    return Payment.objects.filter(wallet=wallet).select_related("merchant", "journal")


_PAYMENT = Columns(Payment, "payment")
_MERCHANT = Columns(Merchant, "merchant")
_PAYMENTS_FIRST = PreparedStatement(
    "vouchers_wallet_payments_first",
    f"SELECT {_PAYMENT.sql}, {_MERCHANT.sql}, {_JOURNAL.sql} "  # noqa: S608 - the models' tables
    f"FROM {Payment._meta.db_table} AS payment "
    f"JOIN {Merchant._meta.db_table} AS merchant ON merchant.id = payment.merchant_id "
    f"JOIN {JournalTransaction._meta.db_table} AS journal ON journal.id = payment.journal_id "
    "WHERE payment.wallet_id = %(wallet)s ORDER BY payment.id DESC LIMIT %(limit)s",
    params=[("wallet", "bigint"), ("limit", "bigint")],
)


def payments_for_wallet_first(*, wallet: Wallet | None, limit: int) -> list[Payment]:
    """The first `limit` rows of `payments_for_wallet(wallet=wallet).order_by("-pk")`, with
    their merchant and journal, from one prepared statement (the wallet page's first page)."""
    if wallet is None:
        return []
    with connection.cursor() as cursor:
        rows = _PAYMENTS_FIRST.execute(cursor, wallet=wallet.pk, limit=limit)
    merchant_at = len(_PAYMENT)
    journal_at = merchant_at + len(_MERCHANT)
    payments = []
    for row in rows:
        payment = _PAYMENT.instance(row)
        payment.merchant = _MERCHANT.instance(row, merchant_at)
        payment.journal = _JOURNAL.instance(row, journal_at)
        payments.append(payment)
    return payments


def merchants_of(*, user) -> QuerySet[Merchant]:
    return Merchant.objects.filter(owner=user).order_by("pk")


def merchant_day(*, merchant: Merchant, day: date) -> dict:
    """A merchant's payments, refunds and settlements for the dashboard."""
    payments = list(
        Payment.objects.filter(merchant=merchant, journal__business_date=day)
        .select_related("journal")
        .order_by("-pk")
    )
    refunds = list(
        Refund.objects.filter(payment__merchant=merchant, journal__business_date=day)
        .select_related("payment", "journal")
        .order_by("-pk")
    )
    return {
        "payments": payments,
        "refunds": refunds,
        "gross": sum(p.amount for p in payments),
        "refunded": sum(r.amount for r in refunds),
        "settlements": list(
            Settlement.objects.filter(merchant=merchant).order_by("-business_date")[:14]
        ),
        "balance": merchant_balance(merchant=merchant),
    }


def merchant_balance(*, merchant: Merchant) -> int:
    """What the city owes the merchant (payments less refunds and settlements so far): the
    sum of the account's postings, which is not materialised. Negative: a receivable."""
    total = Posting.objects.filter(account__merchant=merchant).aggregate(total=Sum("amount"))
    return total["total"] or 0


def pool_balance() -> int:
    """What the incentive (cashback) pool holds: the sum of its shards."""
    total = Account.objects.filter(kind=Account.Kind.INCENTIVE).aggregate(total=Sum("balance"))
    return total["total"] or 0


def settlement_lines(*, settlement: Settlement) -> list[dict]:
    """The rows of a settlement report: every payment and refund of that merchant and day."""
    rows = []
    for payment in (
        Payment.objects.filter(
            merchant=settlement.merchant, journal__business_date=settlement.business_date
        )
        .select_related("journal")
        .order_by("pk")
    ):
        rows.append(
            {
                "time": payment.created_at,
                "type": "payment",
                "reference": str(payment.public_id),
                "amount": payment.amount,
                "digest": payment.journal.digest,
            }
        )
    for refund in (
        Refund.objects.filter(
            payment__merchant=settlement.merchant, journal__business_date=settlement.business_date
        )
        .select_related("journal", "payment")
        .order_by("pk")
    ):
        rows.append(
            {
                "time": refund.created_at,
                "type": "refund",
                "reference": str(refund.payment.public_id),
                "amount": -refund.amount,
                "digest": refund.journal.digest,
            }
        )
    return rows


def ledger_totals() -> dict:
    """Invariants of the whole ledger: every posting sums to zero; every materialised balance
    equals the sum of its postings, and the balance column of every derived account (merchant)
    was never written (stays 0); no money-holding account is negative."""
    total = Posting.objects.aggregate(total=Sum("amount"))["total"] or 0
    sums = dict(Posting.objects.values_list("account").annotate(total=Sum("amount")))
    mismatched = [
        pk
        for pk, kind, balance in Account.objects.values_list("pk", "kind", "balance")
        if balance != (0 if kind in Account.DERIVED_KINDS else sums.get(pk, 0))
    ]
    negative = (
        Account.objects.filter(balance__lt=0)
        .exclude(kind__in=Account.SOURCE_KINDS + Account.DERIVED_KINDS)
        .count()
    )
    unbalanced = (
        Posting.objects.values("transaction").annotate(total=Sum("amount")).exclude(total=0).count()
    )
    return {
        "sum": total,
        "mismatched": mismatched,
        "negative": negative,
        "unbalanced_transactions": unbalanced,
        "transactions": JournalTransaction.objects.count(),
    }


def topups_of(*, user) -> QuerySet[TopUp]:
    """The citizen's top-ups, newest first, with their bank link (never another's)."""
    return TopUp.objects.filter(wallet__user=user).select_related("bank_link").order_by("-pk")
