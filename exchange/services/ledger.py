"""The double-entry ledger: every balance change is a journal entry whose postings sum to zero
per asset. Callers lock the accounts (`accounts_lock`) before posting."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exchange.models import Account, Asset, JournalEntry, Posting

AVAILABLE = Posting.Bucket.AVAILABLE
HELD = Posting.Bucket.HELD


class InsufficientFunds(ValidationError):
    """A refusal coded `insufficient_funds` (a dict's messages each carry the code: Django
    keeps no code given beside a dict)."""

    def __init__(self, message, code="insufficient_funds", params=None):
        if isinstance(message, dict):
            message = {
                field: [
                    ValidationError(text, code=code, params=params)
                    for text in (texts if isinstance(texts, list) else [texts])
                ]
                for field, texts in message.items()
            }
        super().__init__(message, code=code, params=params)


def accounts_ensure(*, pairs) -> None:
    """Creates the missing customer accounts for (owner_id, asset_id) pairs (race-safe)."""
    pairs = set(pairs)
    if not pairs:
        return
    owners = {owner for owner, _ in pairs}
    existing = set(
        Account.objects.filter(owner_id__in=owners, kind=Account.Kind.CUSTOMER).values_list(
            "owner_id", "asset_id"
        )
    )
    missing = [
        Account(owner_id=owner, asset_id=asset, kind=Account.Kind.CUSTOMER)
        for owner, asset in pairs - existing
    ]
    if missing:
        Account.objects.bulk_create(missing, ignore_conflicts=True)


def system_account(*, kind: str, asset: Asset) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, asset=asset, owner=None)
    return account


def accounts_lock(*, pairs=(), system=()) -> dict:
    """Locks the customer accounts of (owner_id, asset_id) pairs and the system accounts of
    (kind, asset_id) pairs, in primary-key order (one order everywhere: no deadlocks), creating
    the missing ones first. Returns {(owner_id or kind, asset_id): Account}."""
    pairs, system = set(pairs), set(system)
    wanted = {*pairs, *system}

    def lock() -> dict:
        condition = Q(pk__in=[])
        owners = {owner for owner, _ in pairs}
        if owners:
            condition |= Q(kind=Account.Kind.CUSTOMER, owner_id__in=owners)
        for kind, asset_id in system:
            condition |= Q(kind=kind, asset_id=asset_id, owner__isnull=True)
        found = {}
        for account in Account.objects.select_for_update().filter(condition).order_by("pk"):
            owner = account.owner_id if account.kind == Account.Kind.CUSTOMER else account.kind
            found[(owner, account.asset_id)] = account
        return found

    locked = lock()
    missing = wanted - set(locked)
    if missing:
        Account.objects.bulk_create(
            [
                Account(owner_id=key, asset_id=asset, kind=Account.Kind.CUSTOMER)
                if (key, asset) in pairs
                else Account(owner=None, asset_id=asset, kind=key)
                for key, asset in missing
            ],
            ignore_conflicts=True,
        )
        locked = lock()
    return locked


def entry_post(*, kind: str, reference: str, lines) -> JournalEntry | None:
    """Writes one journal entry from (account, bucket, amount) lines and applies it.

    Guarantees: postings sum to zero per asset (else ValueError, nothing written); a customer
    balance never goes below zero (InsufficientFunds naming the bucket, nothing written).
    Runs in the caller's transaction (which holds the accounts' row locks); the in-memory
    balances of the accounts are updated too. Validates everything before writing anything.
    """
    sums: dict = defaultdict(int)
    deltas: dict = defaultdict(lambda: [0, 0])
    accounts = {}
    postings = []
    for account, bucket, amount in lines:
        if not amount:
            continue
        sums[account.asset_id] += amount
        deltas[account.pk][0 if bucket == AVAILABLE else 1] += amount
        accounts[account.pk] = account
        postings.append((account, bucket, amount))
    if any(sums.values()):
        raise ValueError(f"unbalanced journal entry {kind} {reference}: {dict(sums)}")
    if not postings:
        return None
    for pk, (available, held) in deltas.items():
        account = accounts[pk]
        if account.kind == Account.Kind.CUSTOMER and (
            account.available + available < 0 or account.held + held < 0
        ):
            raise InsufficientFunds({"amount": _("Insufficient available balance.")})
    entry = JournalEntry.objects.create(kind=kind, reference=reference)
    Posting.objects.bulk_create(
        Posting(entry=entry, account=a, asset_id=a.asset_id, bucket=b, amount=m)
        for a, b, m in postings
    )
    for pk, (available, held) in deltas.items():
        accounts[pk].available += available
        accounts[pk].held += held
    # Absolute values are safe: the caller holds these rows locked since it read them.
    Account.objects.bulk_update(list(accounts.values()), ["available", "held"])
    return entry
