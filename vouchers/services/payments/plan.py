"""The payment's pure decisions, no Django: the cashback terms at the merchant's tier, the
journal lines from the split between grants, cashback and cash, and the cashback account's
monthly counter after the payment. The arithmetic itself is vouchers.ledger's."""

from datetime import date


def rate_bp(policy, tier: str) -> int:
    return {
        "small": policy.cashback_small_bp,
        "medium": policy.cashback_medium_bp,
        "large": policy.cashback_large_bp,
    }[tier]


def month_earned(account, month: date) -> int:
    return account.cashback_month_earned if account.cashback_month == month else 0


def cashback_terms(policy, tier: str, cashback_account, month: date) -> dict | None:
    """The terms of ledger.cashback_for at the merchant's tier; None when the tier earns none."""
    rate = rate_bp(policy, tier)
    if not rate:
        return None
    return {
        "rate_bp": rate,
        "earned_this_month": month_earned(cashback_account, month),
        "monthly_cap": policy.monthly_cashback_cap,
    }


def payment_lines(
    *,
    amount: int,
    locked: dict,
    parts: list[tuple[int, int]],
    from_cashback: int,
    from_cash: int,
    cash,
    cashback_account,
    merchant_account,
    pool,
    cashback: int,
) -> list:
    """The journal lines: grants, cashback and cash → merchant, then pool → cashback; none of
    zero."""
    lines = [(locked[pk], -part) for pk, part in parts]
    lines += [
        (cashback_account, -from_cashback),
        (cash, -from_cash),
        (merchant_account, amount),
    ]
    if cashback:
        lines += [(pool, -cashback), (cashback_account, cashback)]
    return [(account, value) for account, value in lines if value]


def cashback_counter(month: date, cashback_account, cashback: int) -> tuple[date, int] | None:
    """The cashback account's monthly counter after the payment; None when it earned none."""
    return (month, month_earned(cashback_account, month) + cashback) if cashback else None
