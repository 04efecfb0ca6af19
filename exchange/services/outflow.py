"""Money out of the exchange, whichever way it leaves (chain withdrawals, KRW to the bank): the
one serialised decision per customer that checks the KYC caps and holds the amount, and the one
path of staff approval, rejection and refund of the hold (`outflow_approve`, `outflow_reject`,
`outflow_refund`) for both kinds of withdrawal.

Lock: the customer's exchange accounts (`accounts_lock` takes all of one owner's customer
rows, in primary-key order, and always includes her KRW account here). Every withdrawal path
takes it *before* it reads what she withdrew, so two requests of one customer are decided one
after the other: the second sees the first's row and hold, committed. At most the cap leaves.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import DecimalField, F, Func, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange import limits
from exchange.amounts import MAX_AMOUNT
from exchange.models import Asset, BankTransfer, ChainWithdrawal, Market, Trade

from .ledger import AVAILABLE, HELD, accounts_lock, entry_post

# Exact integer arithmetic in SQL (a price times an amount passes bigint).
_NUMERIC = DecimalField(max_digits=65, decimal_places=0)


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


def _krw_value_of_row() -> Func:
    """`krw_value` of a ChainWithdrawal row as an SQL expression (NULL without a KRW price):
    the last trade price of the first KRW market of its asset, times its amount, rounded down."""
    market = (
        Market.objects.filter(base=OuterRef(OuterRef("asset")), quote__symbol="KRW")
        .order_by("symbol")
        .values("pk")[:1]
    )
    last = (
        Trade.objects.filter(market=Subquery(market))
        .order_by("-created_at", "-pk")
        .values("price")[:1]
    )
    scale = Func(Cast(Value(10), _NUMERIC), F("asset__decimals"), function="power")
    return Func(
        Cast(Subquery(last), _NUMERIC) * F("amount"),
        scale,
        function="div",
        output_field=_NUMERIC,
    )


def withdrawn_krw(*, user, since: Sequence[datetime]) -> list[int]:
    """What the customer withdrew since each moment of `since`, in KRW: chain withdrawals at
    the last price (those without a KRW price do not count: staff approve each of them) plus KRW
    sent or waiting to be sent to her bank. Failed and rejected ones do not count. Two queries
    (one per kind of withdrawal), however many withdrawals and moments."""
    earliest = min(since)
    chain = (
        ChainWithdrawal.objects.filter(owner=user, created_at__gte=earliest)
        .exclude(status__in=[ChainWithdrawal.Status.FAILED, ChainWithdrawal.Status.REJECTED])
        .aggregate(
            **{
                f"w{n}": Sum(_krw_value_of_row(), filter=Q(created_at__gte=moment))
                for n, moment in enumerate(since)
            }
        )
    )
    bank = (
        BankTransfer.objects.filter(
            owner=user, direction=BankTransfer.Direction.OUT, created_at__gte=earliest
        )
        .exclude(status__in=BankTransfer.NOT_LIVE)
        .aggregate(
            **{
                f"w{n}": Sum("amount", filter=Q(created_at__gte=moment))
                for n, moment in enumerate(since)
            }
        )
    )
    return [int(chain[f"w{n}"] or 0) + (bank[f"w{n}"] or 0) for n in range(len(since))]


def outflow_check(*, user, caps: limits.Limits, value: int | None) -> None:
    """Refuses (naming `amount`) a withdrawal worth `value` KRW that would pass the 24 h or
    30-day cap. The caller holds `outflow_lock`; `value` None (no KRW price) is not capped."""
    if value is None:
        return
    now = timezone.now()
    windows = ((timedelta(hours=24), caps.withdraw_24h), (timedelta(days=30), caps.withdraw_30d))
    withdrawn = withdrawn_krw(user=user, since=[now - window for window, _cap in windows])
    for (_window, cap), already in zip(windows, withdrawn, strict=True):
        if already + value > cap:
            raise ValidationError(
                {"amount": _("This would pass your withdrawal limit.")}, code="limit"
            )


# --- staff approval and refunds (chain and KRW withdrawals alike) -------------------------------

Withdrawal = ChainWithdrawal | BankTransfer
# The journal entry kind of each refund of a hold (kept from before they shared this path).
_REFUND_KIND = {ChainWithdrawal: "withdrawal_refund", BankTransfer: "bank_refund"}


def _saved_fields(withdrawal: Withdrawal, *fields: str) -> list[str]:
    # ChainWithdrawal keeps an auto_now `updated_at`; BankTransfer has none.
    return [*fields, "updated_at"] if isinstance(withdrawal, ChainWithdrawal) else list(fields)


def outflow_awaiting(withdrawal: Withdrawal) -> Withdrawal:
    """The withdrawal's row, locked, if it awaits staff approval; refused (`not_awaiting`)
    otherwise. Inside the caller's transaction."""
    model = type(withdrawal)
    row = model.objects.select_for_update().get(pk=withdrawal.pk)
    is_out = not isinstance(row, BankTransfer) or row.direction == BankTransfer.Direction.OUT
    if not is_out or row.status != model.Status.AWAITING_APPROVAL:
        raise ValidationError(
            {"status": _("This withdrawal is not awaiting approval.")}, code="not_awaiting"
        )
    return row


def outflow_approve(*, staff, withdrawal: Withdrawal, status: str) -> Withdrawal:
    """Staff approval of a withdrawal awaiting it, by another person than its owner: moves it to
    `status` and records who approved it. Inside the caller's transaction (which takes the
    next step: anchoring, or paying); a refusal changes nothing."""
    row = outflow_awaiting(withdrawal)
    if row.owner_id == staff.pk:
        raise ValidationError(
            {"approved_by": _("Nobody approves their own withdrawal.")}, code="own"
        )
    row.status = status
    row.approved_by = staff
    row.save(update_fields=_saved_fields(row, "status", "approved_by"))
    return row


def outflow_refund(withdrawal: Withdrawal, *, status: str) -> None:
    """Gives the held amount back to the owner's available balance (one journal entry) and ends
    the withdrawal in `status` (rejected; failed on chain or declined by the bank). Inside the
    caller's transaction, with the withdrawal's row locked."""
    if isinstance(withdrawal, ChainWithdrawal):
        asset_id = withdrawal.asset_id
    else:
        asset_id = Asset.objects.values_list("pk", flat=True).get(symbol="KRW")
    pair = (withdrawal.owner_id, asset_id)
    account = accounts_lock(pairs=[pair])[pair]
    entry_post(
        kind=_REFUND_KIND[type(withdrawal)],
        reference=str(withdrawal.public_id),
        lines=[(account, HELD, -withdrawal.amount), (account, AVAILABLE, withdrawal.amount)],
    )
    withdrawal.status = status
    withdrawal.save(update_fields=_saved_fields(withdrawal, "status", "approved_by"))


def outflow_reject(*, staff, withdrawal: Withdrawal) -> Withdrawal:
    """Staff rejection of a withdrawal awaiting approval: the hold goes back, and who rejected
    it is recorded. Inside the caller's transaction; a refusal changes nothing."""
    row = outflow_awaiting(withdrawal)
    row.approved_by = staff
    outflow_refund(row, status=type(row).Status.REJECTED)
    return row
