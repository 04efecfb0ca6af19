"""Staff's switches: a market's status and an account's freeze."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from exchange.models import Account, Market

from ..matching import lock_market, market_close_book, markets_match


@transaction.atomic
def market_set_status(*, market: Market, status: str) -> Market:
    """Opens, halts, resumes or closes a market (staff), as the market's writer. Orders still
    waiting for the matcher are taken first (a halted or closed market cancels new ones and
    releases their holds); closing also cancels every resting order."""
    if status not in Market.Status.values:
        raise ValidationError({"status": _("Unknown market status.")})
    market = lock_market(market.pk)
    market.status = status
    market.full_clean()
    market.save(update_fields=["status"])
    markets_match(market_pk=market.pk)
    if status == Market.Status.CLOSED:
        market = lock_market(market.pk)
        market_close_book(market=market, reason="market_closed")
    return market


@transaction.atomic
def account_set_frozen(*, account: Account, is_frozen: bool) -> Account:
    """Freezes or unfreezes a customer account (staff): a frozen account places no new orders
    and withdraws nothing; open orders stay until cancelled."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    account.is_frozen = is_frozen
    account.save(update_fields=["is_frozen"])
    return account
