from django import template

from exchange.amounts import from_units

register = template.Library()


@register.filter
def units(value, decimals) -> str:
    """An integer of ledger units shown in the asset's decimals."""
    if value is None or value == "":
        return "—"
    return from_units(int(value), int(decimals))
