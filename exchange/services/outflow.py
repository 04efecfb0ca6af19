"""Money out of the exchange, whichever way it leaves (chain withdrawals, KRW to the bank): the
one serialised decision per customer that checks the KYC caps and holds the amount.

Lock: the customer's exchange accounts (`accounts_lock` takes all of one owner's customer
rows, in primary-key order, and always includes her KRW account here). Every withdrawal path
takes it *before* it reads what she withdrew, so two requests of one customer are decided one
after the other: the second sees the first's row and hold, committed. At most the cap leaves.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange import limits
from exchange.amounts import MAX_AMOUNT
from exchange.models import Asset, BankTransfer, ChainWithdrawal, Market, Trade

from .ledger import accounts_lock


def amount_too_large(field: str = "amount") -> ValidationError:
    return ValidationError(
        {field: _("At most %(max)s.") % {"max": f"{MAX_AMOUNT:,}"}}, code="max_value"
    )


def krw_value(asset: Asset, amount: int) -> int | None:
    """The amount's value in KRW at the last trade; None when the asset has no KRW price."""
    if asset.symbol == "KRW":
        return amount
    market = Market.objects.filter(base=asset, quote__symbol="KRW").first()
    if market is None:
        return None
    last = (
        Trade.objects.filter(market=market)
        .order_by("-created_at", "-pk")
        .values_list("price", flat=True)
        .first()
    )
    if last is None:
        return None
    return last * amount // market.scale


def outflow_lock(*, user, asset: Asset | None = None) -> dict:
    """Locks the customer's accounts (her KRW one and `asset`'s, created if missing) for one
    withdrawal decision. Call first in the deciding transaction. Returns accounts_lock's dict."""
    pairs = [(user.pk, asset.pk)] if asset is not None else []
    krw_pk = Asset.objects.filter(symbol="KRW").values_list("pk", flat=True).first()
    if krw_pk is not None:
        pairs.append((user.pk, krw_pk))
    return accounts_lock(pairs=pairs)


def withdrawn_krw(*, user, since) -> int:
    """What the customer withdrew since `since`, in KRW: chain withdrawals at the last price
    (those without a KRW price do not count: staff approve each of them) plus KRW sent or
    waiting to be sent to her bank. Failed and rejected ones do not count."""
    chain = (
        ChainWithdrawal.objects.filter(owner=user, created_at__gte=since)
        .exclude(status__in=[ChainWithdrawal.Status.FAILED, ChainWithdrawal.Status.REJECTED])
        .select_related("asset")
    )
    values = (krw_value(w.asset, w.amount) for w in chain)
    bank = (
        BankTransfer.objects.filter(
            owner=user, direction=BankTransfer.Direction.OUT, created_at__gte=since
        )
        .exclude(status__in=BankTransfer.NOT_LIVE)
        .aggregate(total=Sum("amount"))["total"]
    )
    return sum(v for v in values if v is not None) + (bank or 0)


def outflow_check(*, user, caps: limits.Limits, value: int | None) -> None:
    """Refuses (naming `amount`) a withdrawal worth `value` KRW that would pass the 24 h or
    30-day cap. The caller holds `outflow_lock`; `value` None (no KRW price) is not capped."""
    if value is None:
        return
    now = timezone.now()
    for window, cap in (
        (timedelta(hours=24), caps.withdraw_24h),
        (timedelta(days=30), caps.withdraw_30d),
    ):
        if withdrawn_krw(user=user, since=now - window) + value > cap:
            raise ValidationError(
                {"amount": _("This would pass your withdrawal limit.")}, code="limit"
            )
