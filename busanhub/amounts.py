"""Amounts as people read them (pure): integers in minor units, grouped by thousands.

Money is stored as integers (won, or an asset's smallest unit); it becomes text only here, at
display. The template filters `amount` and `won` (busanhub.amount_filters, a template builtin)
and the exchange's `units` all go through `grouped`.
"""

from decimal import Decimal


def grouped(units: int, decimals: int = 0) -> str:
    """109200 -> "109,200"; 150000000 with 9 decimals -> "0.15"; 1234567 with 2 -> "12,345.67".

    Thousands are grouped in the integer part only; trailing zeros of the fraction are dropped.
    """
    value = Decimal(int(units)).scaleb(-int(decimals))
    if decimals <= 0:
        return f"{value:,.0f}"
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".")
