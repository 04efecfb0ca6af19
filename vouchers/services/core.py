"""The ledger core: system accounts, wallets, policy versions and the one function that posts
a journal transaction. Every other service moves money only through `journal_post`."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.chain.services import anchor_record
from vouchers import ledger
from vouchers.models import Account, JournalTransaction, Policy, Posting, Wallet

SYSTEM_KINDS = (
    Account.Kind.TREASURY,
    Account.Kind.INCENTIVE,
    Account.Kind.CLEARING,
    Account.Kind.BANK,
)


def refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def check_amount(value, field: str = "amount") -> int:
    if not ledger.is_amount(value):
        raise refuse(field, _("The amount must be a positive whole number of KRW."))
    return value


def system_account(kind: str) -> Account:
    """The one account of a system kind (treasury, incentive pool, clearing, bank)."""
    if kind not in SYSTEM_KINDS:
        raise ValueError(f"{kind} is not a system account")
    account = Account.objects.filter(kind=kind).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(kind=kind)
    except IntegrityError:  # created concurrently
        return Account.objects.get(kind=kind)


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
            wallet.full_clean()
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


def wallet_accounts(wallet: Wallet) -> tuple[Account, Account]:
    accounts = {a.kind: a for a in wallet.accounts.filter(kind__in=["cash", "cashback"])}
    return accounts[Account.Kind.CASH], accounts[Account.Kind.CASHBACK]


def accounts_lock(pks) -> dict[int, Account]:
    """Locks the accounts FOR UPDATE in pk order (one order for everyone: no deadlocks)."""
    return {
        account.pk: account
        for account in Account.objects.select_for_update().filter(pk__in=set(pks)).order_by("pk")
    }


def policy_current() -> Policy:
    """The policy in force: the newest version, or the defaults (version 0) before any."""
    policy = Policy.objects.order_by("-version").first()
    return policy if policy is not None else Policy(version=0, **ledger.DEFAULT_POLICY)


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


def journal_post(
    *, kind: str, lines: list[tuple[Account, int]], memo: str = "", locked: dict | None = None
) -> JournalTransaction:
    """Posts one journal transaction and updates the materialised balances.

    Guarantees: the postings sum to zero (else ValueError, nothing written); no account that
    holds somebody's money goes below zero (ValidationError naming `amount`, nothing written;
    the CheckConstraint backs this up); the accounts are row-locked in pk order, unless the
    caller passes them already locked in `locked`. Anchors the transaction (kind
    `vouchers.journal`, ref = its public id, version 1; account ids and amounts only, no
    personal data) in the same database transaction. Atomic.
    """
    by_pk = {account.pk: account for account, _ in lines}
    try:
        net = ledger.net_lines((account.pk, amount) for account, amount in lines)
    except ledger.LedgerError as exc:
        raise ValueError(str(exc)) from exc
    if not net:
        raise refuse("amount", _("Nothing to post."))
    return _journal_write(kind=kind, net=net, by_pk=by_pk, memo=memo, locked=locked)


# No savepoint (two round trips fewer per movement): the input is checked above, and a
# failure here rolls the caller's whole transaction back, which is what every caller wants.
@transaction.atomic(savepoint=False)
def _journal_write(*, kind, net: dict, by_pk: dict, memo: str, locked) -> JournalTransaction:
    if locked is None or not set(net) <= set(locked):
        locked = accounts_lock(net.keys())
    for pk, amount in net.items():
        account = locked[pk]
        if account.kind not in Account.SOURCE_KINDS and account.balance + amount < 0:
            raise refuse("amount", _("The balance is not enough for this amount."))
    entry = JournalTransaction(kind=kind, business_date=business_date(), memo=memo[:200])
    data = {
        "kind": kind,
        "businessDate": entry.business_date.isoformat(),
        "postings": [
            {"account": str(by_pk[pk].public_id), "amount": amount}
            for pk, amount in sorted(net.items())
        ],
    }
    leaf = anchor_record(kind="vouchers.journal", ref=str(entry.public_id), version=1, data=data)
    entry.digest = leaf.digest
    entry.save()
    Posting.objects.bulk_create(
        [Posting(transaction=entry, account_id=pk, amount=amount) for pk, amount in net.items()]
    )
    for pk, amount in sorted(net.items()):
        Account.objects.filter(pk=pk).update(balance=F("balance") + amount)
        locked[pk].balance += amount
    return entry


@transaction.atomic
def treasury_fund(*, to: Account, amount: int, memo: str = "") -> JournalTransaction:
    """Moves city money from the treasury to a city account (incentive pool, programme)."""
    check_amount(amount)
    if to.kind not in (Account.Kind.INCENTIVE, Account.Kind.PROGRAMME):
        raise refuse("to", _("Only the incentive pool and grant programmes are funded."))
    treasury = system_account(Account.Kind.TREASURY)
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
