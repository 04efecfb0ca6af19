"""The ledger core: system accounts, wallets, policy versions and the one function that posts
a journal transaction. Every other service moves money only through `journal_post`."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2 import sql as pgsql

from busanhub.chain.services import ANCHOR_LEAF_TABLE, anchor_leaf_columns, anchor_record
from busanhub.db import PreparedStatement, sql_file
from vouchers import ledger, limits
from vouchers.models import Account, JournalTransaction, Policy, Posting, Wallet

SYSTEM_KINDS = Account.SYSTEM_KINDS


def refuse(field: str, message: str, code: str = "invalid") -> ValidationError:
    """A refusal of `field`; the API answers `code` (`self_payment`, `over_limit`,
    `insufficient_funds`, …), which tests and clients match."""
    return ValidationError({field: [ValidationError(message, code=code)]})


def check_amount(value, field: str = "amount", *, maximum: int) -> int:
    """A positive whole number of KRW no larger than `maximum` (vouchers.limits), or a
    ValidationError naming `field`."""
    if not ledger.is_amount(value):
        raise refuse(field, _("The amount must be a positive whole number of KRW."))
    if value > maximum:
        raise refuse(
            field,
            _("The amount can be at most %(maximum)s KRW.") % {"maximum": maximum},
            code="max_value",
        )
    return value


def system_account(kind: str, shard: int = 0) -> Account:
    """The account of a system kind (treasury, incentive pool, clearing, bank); the incentive
    pool has `Account.POOL_SHARDS` of them (shard 0 stands for the pool where one account is
    wanted, e.g. `treasury_fund(to=...)`, which spreads the money over every shard)."""
    if kind not in SYSTEM_KINDS:
        raise ValueError(f"{kind} is not a system account")
    if shard and (kind != Account.Kind.INCENTIVE or not 0 <= shard < Account.POOL_SHARDS):
        raise ValueError(f"{kind} has no shard {shard}")
    account = Account.objects.filter(kind=kind, shard=shard).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(kind=kind, shard=shard)
    except IntegrityError:  # created concurrently
        return Account.objects.get(kind=kind, shard=shard)


def pool_shards() -> list[Account]:
    """Every shard of the incentive pool, created on first use, in pk order."""
    shards = list(Account.objects.filter(kind=Account.Kind.INCENTIVE).order_by("pk"))
    if len(shards) < Account.POOL_SHARDS:
        Account.objects.bulk_create(
            [Account(kind=Account.Kind.INCENTIVE, shard=n) for n in range(Account.POOL_SHARDS)],
            ignore_conflicts=True,  # the unique (kind, shard) keeps the ones that exist
        )
        shards = list(Account.objects.filter(kind=Account.Kind.INCENTIVE).order_by("pk"))
    return shards


SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
POOL_SHARD_LOCK = PreparedStatement(
    "vouchers_pool_shard_lock",
    (SQL_DIR / "pool_shard_lock.sql").read_text(),
    params=[("need", "bigint"), ("preferred", "integer")],
)
POOL_SHARD_WAIT = PreparedStatement(
    "vouchers_pool_shard_wait", (SQL_DIR / "pool_shard_wait.sql").read_text()
)


def pool_shard_lock(*, preferred: int, need: int) -> Account | None:
    """Locks one shard of the incentive pool FOR UPDATE, for a movement of up to `need`: the
    `preferred` shard if it is free and holds `need`, else any free shard that does
    (SKIP LOCKED: concurrent payments never queue behind each other's shard), else the
    richest shard, waiting for it. None when the pool has no shard yet.

    Lock order: callers take this lock last, after their wallet and account locks, so a
    shard is never held while waiting for a citizen's row (no deadlock with the payments).
    """
    with connection.cursor() as cursor:
        rows = POOL_SHARD_LOCK.execute(
            cursor, need=need, preferred=preferred % Account.POOL_SHARDS
        ) or POOL_SHARD_WAIT.execute(cursor)
    if not rows:
        return None
    row = rows[0]
    return loaded(Account, id=row[0], kind=Account.Kind.INCENTIVE, balance=row[1], public_id=row[2])


def loaded(model, **values):
    """A model instance from column values read by raw SQL (the other fields deferred), as if
    the ORM had loaded it."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


@transaction.atomic
def wallet_open(*, user) -> Wallet:
    """The user's voucher wallet with its cash and cashback accounts, created on first use.

    Idempotent and safe under concurrency (unique constraints decide the race)."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is not None:
        return wallet
    try:
        with transaction.atomic():
            wallet = Wallet(user=user)
            # The unique constraint decides a race, not a pre-read: full_clean's uniqueness
            # check would turn a concurrent creation into a ValidationError.
            wallet.full_clean(validate_unique=False)
            wallet.save()
            Account.objects.bulk_create(
                [
                    Account(kind=Account.Kind.CASH, wallet=wallet),
                    Account(kind=Account.Kind.CASHBACK, wallet=wallet),
                ]
            )
    except IntegrityError:
        return Wallet.objects.get(user=user)
    return wallet


# One chunk's wallets are one INSERT (and their accounts another); the cap keeps those
# statements and their transaction moderate.
WALLETS_MAX = 1000


@transaction.atomic
def wallets_open(*, users: list) -> list[Wallet]:
    """`wallet_open` for many users at once: each user's voucher wallet with its cash and
    cashback accounts, in the order of `users`. A user who has a wallet keeps it (idempotent,
    as `wallet_open`); the others' wallets are one INSERT and their accounts another. All or
    nothing: a user given twice, or more than WALLETS_MAX users, is refused with a
    ValidationError and nothing is written. A wallet made concurrently by another call wins
    the unique constraint: this call then returns that one."""
    pks = [user.pk for user in users]
    if len(set(pks)) != len(pks):
        raise refuse("users", _("A user is given twice."), code="duplicate")
    if len(users) > WALLETS_MAX:
        raise refuse(
            "users",
            _("At most %(count)d wallets at once.") % {"count": WALLETS_MAX},
            code="max_value",
        )
    by_user = {wallet.user_id: wallet for wallet in Wallet.objects.filter(user_id__in=pks)}
    new = []
    for user in users:
        if user.pk not in by_user:
            wallet = Wallet(user=user)
            # The user is the row the caller holds (the foreign key constraint backs it), not
            # looked up again per wallet; the unique constraints decide a race (below).
            wallet.full_clean(exclude=["user"], validate_unique=False)
            new.append(wallet)
    try:
        with transaction.atomic():
            Wallet.objects.bulk_create(new)
            Account.objects.bulk_create(
                [
                    Account(kind=kind, wallet=wallet)
                    for wallet in new
                    for kind in (Account.Kind.CASH, Account.Kind.CASHBACK)
                ]
            )
    except IntegrityError:
        # A wallet of one of these users was made meanwhile: keep every existing one, make
        # the rest one by one (rare: two first uses of the same wallets at once).
        return [wallet_open(user=user) for user in users]
    by_user.update((wallet.user_id, wallet) for wallet in new)
    return [by_user[user.pk] for user in users]


def accounts_lock(pks) -> dict[int, Account]:
    """Locks the accounts FOR UPDATE in pk order (one order for everyone: no deadlocks).

    The `balance` of an account of a derived kind (merchant) is filled in with the sum of its
    postings, read under the lock (payments credit it without locking it, so this is the
    balance of every committed posting; settlements and refunds, which do lock it, are
    serialised)."""
    locked = {
        account.pk: account
        for account in Account.objects.select_for_update().filter(pk__in=set(pks)).order_by("pk")
    }
    derived = [pk for pk, account in locked.items() if account.kind in Account.DERIVED_KINDS]
    if derived:
        sums = dict(
            Posting.objects.filter(account_id__in=derived)
            .values_list("account_id")
            .annotate(total=Sum("amount"))
        )
        for pk in derived:
            locked[pk].balance = sums.get(pk, 0)
    return locked


def policy_current() -> Policy:
    """The policy in force: the newest version, or the defaults (version 0) before any."""
    policy = Policy.objects.order_by("-version").first()
    return policy if policy is not None else Policy(version=0, **ledger.DEFAULT_POLICY)


_policies: dict[str, Policy] = {}


def policy_by_pk(pk: int | None, *, digest: str | None) -> Policy:
    """The policy row `pk` (None: the defaults), cached in this process under its anchor
    digest, which covers the version and every rule. A policy version is never changed once
    published (a change publishes a new row), so the cache cannot go stale: callers learn
    the pk and digest in force from the database in a query they make anyway."""
    key = digest or f"pk:{pk}"
    policy = _policies.get(key)
    if policy is None:
        if len(_policies) > 64:
            _policies.clear()
        policy = (
            Policy.objects.get(pk=pk)
            if pk is not None
            else Policy(version=0, **ledger.DEFAULT_POLICY)
        )
        _policies[key] = policy
    return policy


def _policy_data(policy: Policy) -> dict:
    return {field: getattr(policy, field) for field in ["version", *ledger.DEFAULT_POLICY.keys()]}


@transaction.atomic
def policy_publish(*, by=None, **fields) -> Policy:
    """Publishes the next policy version (unset fields keep the current values); anchors it
    publicly as `vouchers.policy` (ref "voucher-policy", version = policy version)."""
    unknown = set(fields) - set(ledger.DEFAULT_POLICY)
    if unknown:
        raise refuse(sorted(unknown)[0], _("Unknown policy field."))
    current = Policy.objects.select_for_update().order_by("-version").first()
    base = _policy_data(current) if current else {**ledger.DEFAULT_POLICY, "version": 0}
    base.update(fields)
    base["version"] += 1
    categories = base["excluded_categories"]
    if not isinstance(categories, list) or not all(c in ledger.CATEGORIES for c in categories):
        raise refuse("excluded_categories", _("Name categories from the list of categories."))
    policy = Policy(created_by=by, **base)
    policy.full_clean()
    leaf = anchor_record(
        kind="vouchers.policy",
        ref="voucher-policy",
        version=policy.version,
        data=base,
        public=True,
    )
    policy.digest = leaf.digest
    policy.save()
    return policy


def business_date():
    return timezone.localdate()


def _netted(lines: list[tuple[Account, int]]) -> tuple[dict, dict]:
    """The accounts by pk and the lines netted per account: ValueError if they do not sum to
    zero, ValidationError naming `amount` if nothing is left to post."""
    by_pk = {account.pk: account for account, _ in lines}
    try:
        net = ledger.net_lines((account.pk, amount) for account, amount in lines)
    except ledger.LedgerError as exc:
        raise ValueError(str(exc)) from exc
    if not net:
        raise refuse("amount", _("Nothing to post."))
    return by_pk, net


def journal_post(
    *, kind: str, lines: list[tuple[Account, int]], memo: str = "", locked: dict | None = None
) -> JournalTransaction:
    """Posts one journal transaction and updates the materialised balances.

    Guarantees: the postings sum to zero (else ValueError, nothing written); no account that
    holds somebody's money goes below zero (ValidationError naming `amount`, nothing written;
    the CheckConstraint backs this up); the accounts are row-locked in pk order, unless the
    caller passes them already locked in `locked`. Accounts of a derived kind (merchants) get
    their posting but no balance update and no lock of their own: they may go negative (a
    receivable). Anchors the transaction (kind `vouchers.journal`, ref = its public id,
    version 1; account ids and amounts only, no personal data) in the same database
    transaction. Atomic.
    """
    by_pk, net = _netted(lines)
    return _journal_write(kind=kind, net=net, by_pk=by_pk, memo=memo, locked=locked)


# The anchor leaf's columns (what anchor_record_new writes, see
# busanhub.chain.services.anchor_leaf_columns) as parameters of the statements that insert it
# beside the journal entry (JournalDraft.leaf_values), and the entry's.
LEAF_PARAMS = [
    ("leaf_kind", "text"),
    ("leaf_ref", "text"),
    ("leaf_version", "integer"),
    ("digest", "text"),
    ("envelope", "jsonb"),
    ("is_public", "boolean"),
    ("created_at", "timestamptz"),
]
ENTRY_PARAMS = [
    ("entry_public_id", "uuid"),
    ("entry_kind", "text"),
    ("business_date", "date"),
    ("memo", "text"),
    ("posting_accounts", "bigint[]"),
    ("posting_amounts", "bigint[]"),
    ("balance_accounts", "bigint[]"),
    ("balance_amounts", "bigint[]"),
]
# Only table names are formatted into the SQL.
TABLES = {
    "leaf": pgsql.Identifier(ANCHOR_LEAF_TABLE),
    "journal": pgsql.Identifier(JournalTransaction._meta.db_table),
    "posting": pgsql.Identifier(Posting._meta.db_table),
    "account": pgsql.Identifier(Account._meta.db_table),
}


# One statement writes the anchor leaf, the entry, its postings and the materialised
# balances (a fixed shape: the postings and balance changes travel as arrays). Model
# validation is not run: every value is built by _journal_draft, and the database holds the
# rules that matter (CheckConstraints on balances and postings, the deferred trigger that
# each transaction sums to zero).
def journal_statement(name: str, rest: str, *, params, **tables) -> PreparedStatement:
    """The prepared statement `name` that writes a journal transaction's anchor leaf, entry and
    postings (sql/journal_entry.sql: LEAF_PARAMS, ENTRY_PARAMS) and goes on with the file
    `rest` (its own CTEs, the balances, what it returns) and its `params`; table names from
    TABLES and `tables`. Planned once per connection (generic plan), not at every movement."""
    return PreparedStatement(
        name,
        sql_file(SQL_DIR / "journal_entry.sql").format(**TABLES)
        + sql_file(SQL_DIR / rest).format(**TABLES, **tables),
        params=[*LEAF_PARAMS, *ENTRY_PARAMS, *params],
        generic_plan=True,
    )


JOURNAL_WRITE = journal_statement("vouchers_journal_write", "journal_write.sql", params=[])


@dataclass
class JournalDraft:
    """A journal transaction checked and built but not written: the entry (unsaved, its
    digest set), its anchor leaf's column values, the postings (account pk, amount) in pk
    order and, of these, the ones on materialised balances."""

    entry: JournalTransaction
    leaf: dict
    postings: list[tuple[int, int]]
    materialised: list[tuple[int, int]]

    def leaf_values(self) -> dict:
        """The anchor leaf's and the entry's parameters (LEAF_PARAMS, ENTRY_PARAMS) by name."""
        leaf, entry = self.leaf, self.entry
        return {
            "leaf_kind": leaf["kind"],
            "leaf_ref": leaf["ref"],
            "leaf_version": leaf["version"],
            "digest": leaf["digest"],
            "envelope": json.dumps(leaf["envelope"]),
            "is_public": leaf["is_public"],
            "created_at": entry.created_at,
            "entry_public_id": str(entry.public_id),
            "entry_kind": entry.kind,
            "business_date": entry.business_date,
            "memo": entry.memo,
            "posting_accounts": [pk for pk, _ in self.postings],
            "posting_amounts": [amount for _, amount in self.postings],
        }


def _journal_draft(*, kind, net: dict, by_pk: dict, memo: str, locked: dict) -> JournalDraft:
    for pk, amount in net.items():
        account = locked[pk]
        if (
            account.kind not in Account.SOURCE_KINDS
            and account.kind not in Account.DERIVED_KINDS
            and account.balance + amount < 0
        ):
            raise refuse(
                "amount", _("The balance is not enough for this amount."), "insufficient_funds"
            )
    entry = JournalTransaction(
        kind=kind, business_date=business_date(), memo=memo[:200], created_at=timezone.now()
    )
    postings = sorted(net.items())
    data = {
        "kind": kind,
        "businessDate": entry.business_date.isoformat(),
        "postings": [
            {"account": str(by_pk[pk].public_id), "amount": amount} for pk, amount in postings
        ],
    }
    # The journal transaction's public id is new: its leaf cannot exist yet (one INSERT).
    leaf = anchor_leaf_columns(
        kind="vouchers.journal", ref=str(entry.public_id), version=1, data=data
    )
    entry.digest = leaf["digest"]
    materialised = [
        (pk, amount) for pk, amount in postings if locked[pk].kind not in Account.DERIVED_KINDS
    ]
    return JournalDraft(entry=entry, leaf=leaf, postings=postings, materialised=materialised)


def journal_written(draft: JournalDraft, pk: int, locked: dict) -> JournalTransaction:
    """The draft's entry as saved under `pk`, and the locked accounts' balances moved."""
    entry = draft.entry
    entry.pk = pk
    entry._state.adding = False
    entry._state.db = connection.alias
    for account_pk, amount in draft.materialised:
        locked[account_pk].balance += amount
    return entry


# No savepoint (two round trips fewer per movement): the input is checked above, and a
# failure here rolls the caller's whole transaction back, which is what every caller wants.
@transaction.atomic(savepoint=False)
def _journal_write(*, kind, net: dict, by_pk: dict, memo: str, locked) -> JournalTransaction:
    if locked is None or not set(net) <= set(locked):
        locked = accounts_lock(net.keys())
    draft = _journal_draft(kind=kind, net=net, by_pk=by_pk, memo=memo, locked=locked)
    with connection.cursor() as cursor:
        ((pk,),) = JOURNAL_WRITE.execute(
            cursor,
            **draft.leaf_values(),
            balance_accounts=[account_pk for account_pk, _ in draft.materialised],
            balance_amounts=[amount for _, amount in draft.materialised],
        )
    return journal_written(draft, pk, locked)


@transaction.atomic
def treasury_fund(*, to: Account, amount: int, memo: str = "") -> JournalTransaction:
    """Moves city money from the treasury to a city account (incentive pool, programme); money
    for the pool (any of its shards given as `to`) is spread evenly over all its shards."""
    check_amount(amount, maximum=limits.MAX_FUNDING)
    if to.kind not in (Account.Kind.INCENTIVE, Account.Kind.PROGRAMME):
        raise refuse("to", _("Only the incentive pool and grant programmes are funded."))
    treasury = system_account(Account.Kind.TREASURY)
    if to.kind == Account.Kind.INCENTIVE:
        # Spread over every shard of the pool (the first ones get the remainder).
        shards = pool_shards()
        share, extra = divmod(amount, len(shards))
        lines = [(shard, share + (index < extra)) for index, shard in enumerate(shards)]
        return journal_post(
            kind=JournalTransaction.Kind.FUNDING,
            lines=[(treasury, -amount), *[(shard, part) for shard, part in lines if part]],
            memo=memo,
        )
    return journal_post(
        kind=JournalTransaction.Kind.FUNDING, lines=[(treasury, -amount), (to, amount)], memo=memo
    )


@transaction.atomic
def wallet_freeze(*, wallet: Wallet, reason: str, by=None) -> Wallet:
    """Freezes a wallet: no payment, top-up or gift in or out until unfrozen. Needs a reason."""
    if not reason or not reason.strip():
        raise refuse("reason", _("Give the reason for freezing the wallet."))
    wallet = Wallet.objects.select_for_update().get(pk=wallet.pk)
    wallet.is_frozen = True
    wallet.frozen_reason = reason.strip()[:200]
    wallet.full_clean()
    wallet.save(update_fields=["is_frozen", "frozen_reason"])
    return wallet


@transaction.atomic
def wallet_unfreeze(*, wallet: Wallet, reason: str, by=None) -> Wallet:
    """Unfreezes a wallet; the reason is kept until the next freeze."""
    if not reason or not reason.strip():
        raise refuse("reason", _("Give the reason for unfreezing the wallet."))
    wallet = Wallet.objects.select_for_update().get(pk=wallet.pk)
    wallet.is_frozen = False
    wallet.frozen_reason = _("Unfrozen: %(reason)s") % {"reason": reason.strip()[:180]}
    wallet.save(update_fields=["is_frozen", "frozen_reason"])
    return wallet
