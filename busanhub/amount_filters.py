"""Template builtins (settings.TEMPLATES "builtins"): every template formats money with these,
without `{% load %}`.

    {{ payment.amount|won }}              109,200원 (ko) / 109,200 KRW (en)
    {{ payment.amount|amount }}           109,200   (a table whose header names the unit)
    {{ balance.available|amount:9 }}      1,234.5   (an asset with 9 decimals)
"""

from django import template
from django.utils.translation import pgettext

from busanhub.amounts import grouped

register = template.Library()

EMPTY = "—"


def _units(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register.filter
def amount(value, decimals=0) -> str:
    """An integer in minor units, grouped by thousands (and shown in `decimals` places)."""
    units = _units(value)
    if units is None:
        return EMPTY
    try:
        places = int(decimals or 0)
    except (TypeError, ValueError):
        places = 0
    return grouped(units, places)


@register.filter
def won(value) -> str:
    """Won with the unit as each language writes it: "109,200원", "109,200 KRW"."""
    units = _units(value)
    if units is None:
        return EMPTY
    return pgettext("money", "%(amount)s KRW") % {"amount": grouped(units)}
