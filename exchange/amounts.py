"""Ledger units <-> the decimal amounts people type and read (pure)."""

from decimal import Decimal, InvalidOperation

from busanhub.amounts import grouped

# The largest amount or price the exchange accepts, in ledger units (10**15: a million ETH at 9
# decimals, a thousand trillion won). Far above any real request, and far enough below the
# 64-bit columns (9.2 * 10**18) that sums of a few never overflow them.
MAX_AMOUNT = 10**15


def to_units(text: str, decimals: int) -> int:
    """ "0.15" with 9 decimals -> 150000000; ValueError if not a number or too precise."""
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc
    if not value.is_finite():
        raise ValueError("not a number")
    units = value.scaleb(decimals)
    if units != units.to_integral_value():
        raise ValueError("too many decimal places")
    return int(units)


def from_units(units: int, decimals: int) -> str:
    """150000000 with 9 decimals -> "0.15" (no trailing zeros; thousands separated)."""
    return grouped(units, decimals)
