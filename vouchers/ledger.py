"""The arithmetic of the voucher ledger, with no Django: balanced postings, how a payment is
split between grants, cashback and cash, cashback and its reversal, the daily journal digest.

Every amount is an integer number of KRW.
"""

import hashlib
from collections.abc import Hashable, Iterable

DEFAULT_POLICY = {
    "monthly_topup_cap": 500_000,
    "holding_cap": 1_500_000,
    "cashback_small_bp": 1_000,
    "cashback_medium_bp": 500,
    "cashback_large_bp": 0,
    "monthly_cashback_cap": 50_000,
    "reauth_threshold": 200_000,
    "refund_window_days": 30,
    "gift_daily_limit": 200_000,
    "excluded_categories": ["department_store", "large_mart", "entertainment", "gambling"],
}

CATEGORIES = [
    "restaurant",
    "cafe",
    "bakery",
    "grocery",
    "traditional_market",
    "pharmacy",
    "bookstore",
    "clothing",
    "beauty",
    "education",
    "fitness",
    "services",
    "department_store",
    "large_mart",
    "entertainment",
    "gambling",
]


class LedgerError(ValueError):
    """A movement the ledger refuses; `field` names the input at fault, `rule` the rule."""

    def __init__(self, message: str, *, field: str, rule: str):
        super().__init__(message)
        self.field = field
        self.rule = rule


def is_amount(value: object) -> bool:
    """A positive whole number of KRW (booleans, floats and strings are not amounts)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def net_lines(lines: Iterable[tuple[Hashable, int]]) -> dict[Hashable, int]:
    """Merges the lines of one transaction per account and drops the ones that net to zero.

    Raises LedgerError if they do not sum to zero: a transaction never creates or loses money.
    """
    merged: dict[Hashable, int] = {}
    total = 0
    for account, amount in lines:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerError("amounts are integers", field="amount", rule="integer")
        merged[account] = merged.get(account, 0) + amount
        total += amount
    if total != 0:
        raise LedgerError(f"postings sum to {total}, not 0", field="amount", rule="balanced")
    return {account: amount for account, amount in merged.items() if amount != 0}


def split_payment(
    amount: int, *, grants: list[tuple[Hashable, int]], cashback: int, cash: int
) -> tuple[list[tuple[Hashable, int]], int, int]:
    """Draws `amount` from eligible grants first (in the given order), then cashback, then cash.

    Returns (grant parts, from cashback, from cash). Raises LedgerError when the wallet cannot
    afford it.
    """
    if not is_amount(amount):
        raise LedgerError("amount is a positive whole number of KRW", field="amount", rule="amount")
    available = sum(balance for _, balance in grants) + cashback + cash
    if amount > available:
        raise LedgerError(
            f"the wallet holds {available} KRW, less than {amount}",
            field="amount",
            rule="insufficient_balance",
        )
    remaining = amount
    parts = []
    for key, balance in grants:
        take = min(balance, remaining)
        if take > 0:
            parts.append((key, take))
            remaining -= take
    from_cashback = min(cashback, remaining)
    remaining -= from_cashback
    return parts, from_cashback, remaining


def cashback_for(
    amount: int, *, rate_bp: int, earned_this_month: int, monthly_cap: int, pool: int
) -> int:
    """Cashback on a payment: `rate_bp` basis points, rounded down, within the monthly cap and
    what the incentive pool still holds."""
    earned = amount * rate_bp // 10_000
    return max(0, min(earned, monthly_cap - earned_this_month, pool))


def cashback_reversal(
    *, cashback: int, amount: int, refunded_before: int, refund: int, reversed_before: int
) -> int:
    """Cashback to take back for a refund: proportional to the refunded share, rounded so that
    refunding the whole payment (in any number of parts) reverses exactly the whole cashback."""
    if amount <= 0:
        return 0
    due = cashback * (refunded_before + refund) // amount
    return max(0, due - reversed_before)


def allocate_return(
    amount: int, *, sources: list[tuple[Hashable, int]]
) -> list[tuple[Hashable, int]]:
    """Gives `amount` back to sources in order, each up to what it may still receive."""
    parts = []
    remaining = amount
    for key, room in sources:
        take = min(room, remaining)
        if take > 0:
            parts.append((key, take))
            remaining -= take
    if remaining:
        raise LedgerError("nothing left to return to", field="amount", rule="over_refund")
    return parts


def journal_digest(entries: Iterable[tuple[str, str]]) -> str:
    """sha256 over the day's (transaction id, anchor digest) pairs in journal order, 0x-hex."""
    hasher = hashlib.sha256()
    for public_id, digest in entries:
        hasher.update(f"{public_id}:{digest}\n".encode())
    return "0x" + hasher.hexdigest()
