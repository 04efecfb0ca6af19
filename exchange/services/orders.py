"""Order placement, cancellation and matching. One writer per market at a time.

The writer holds the market row (SELECT ... FOR UPDATE) and, on PostgreSQL, a transaction
advisory lock on the market; the in-process `Book` cache is only trusted when the market's
`book_version` (changed by every committed write) matches the one it was built at.
"""

import uuid
from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from busanhub.chain.services import anchor_record
from exchange import engine
from exchange.models import Account, FeeTier, Market, Order, SurveillanceEvent, Trade

from .kyc import check_trade_cap, require_kyc
from .ledger import AVAILABLE, HELD, InsufficientFunds, accounts_lock, entry_post

_books: dict[int, tuple[uuid.UUID, engine.Book]] = {}


def _lock_market(market_pk: int) -> Market:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x45584348, market_pk])
    return Market.objects.select_for_update().select_related("base", "quote").get(pk=market_pk)


def _book_for(market: Market) -> engine.Book:
    cached = _books.get(market.pk)
    if cached and cached[0] == market.book_version:
        return cached[1]
    book = engine.Book(lot=market.lot_size, scale=market.scale)
    rows = (
        Order.objects.filter(market=market, status__in=Order.OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", "owner_id", "side", "price", "quantity", "filled_quantity")
    )
    for pk, owner_id, side, price, quantity, filled in rows:
        book.rest(
            engine.Order(
                order_id=pk,
                owner=owner_id,
                side=side,
                price=price,
                quantity=quantity,
                remaining=quantity - filled,
            )
        )
    _books[market.pk] = (market.book_version, book)
    return book


def _bump(market: Market) -> None:
    market.book_version = uuid.uuid4()
    Market.objects.filter(pk=market.pk).update(book_version=market.book_version)
    cached = _books.get(market.pk)
    if cached:
        _books[market.pk] = (market.book_version, cached[1])


def book_forget(market_pk: int) -> None:
    _books.pop(market_pk, None)


def _fee_bps(owner_ids) -> dict:
    """{owner_id: (maker_bps, taker_bps)} by each owner's 30-day traded quote volume."""
    tiers = list(FeeTier.objects.order_by("-min_volume_30d"))
    if not tiers:
        return defaultdict(lambda: (0, 0))
    since = timezone.now() - timedelta(days=30)
    volumes = dict(
        Order.objects.filter(owner_id__in=owner_ids, created_at__gte=since)
        .values_list("owner_id")
        .annotate(total=Sum("filled_quote"))
    )
    out = {}
    for owner_id in owner_ids:
        volume = volumes.get(owner_id) or 0
        tier = next((t for t in tiers if volume >= t.min_volume_30d), tiers[-1])
        out[owner_id] = (tier.maker_bps, tier.taker_bps)
    return out


def _validate(
    *, market: Market, side, kind, price, quantity, quote_amount, time_in_force, post_only
) -> None:
    errors = {}
    if side not in Order.Side.values:
        errors["side"] = _("Side is buy or sell.")
    if kind not in Order.Kind.values:
        errors["type"] = _("Type is limit or market.")
    if time_in_force not in Order.TimeInForce.values:
        errors["time_in_force"] = _("Time in force is GTC, IOC or FOK.")
    if errors:
        raise ValidationError(errors)
    if kind == Order.Kind.LIMIT:
        if price <= 0 or price % market.tick_size:
            errors["price"] = _("The price must be a positive multiple of the tick size.")
        if quote_amount:
            errors["quote_amount"] = _("Only a market buy is sized by quote amount.")
    else:
        if price:
            errors["price"] = _("A market order has no price.")
        if post_only:
            errors["post_only"] = _("A market order cannot be post-only.")
        if time_in_force == Order.TimeInForce.GTC:
            errors["time_in_force"] = _("A market order is IOC or FOK.")
    by_quote = kind == Order.Kind.MARKET and side == Order.Side.BUY and quote_amount
    if by_quote:
        if quantity:
            errors["quantity"] = _("Give a quantity or a quote amount, not both.")
        if quote_amount <= 0:
            errors["quote_amount"] = _("The quote amount must be positive.")
        elif quote_amount < market.min_notional:
            errors["quote_amount"] = _("The order is below the minimum notional.")
        if time_in_force == Order.TimeInForce.FOK:
            errors["time_in_force"] = _("A market buy by quote amount is IOC.")
    elif quantity <= 0 or quantity % market.lot_size:
        errors["quantity"] = _("The quantity must be a positive multiple of the lot size.")
    elif (
        kind == Order.Kind.LIMIT
        and price > 0
        and (price * quantity // market.scale < market.min_notional)
    ):
        errors["quantity"] = _("The order is below the minimum notional.")
    if post_only and time_in_force != Order.TimeInForce.GTC:
        errors["post_only"] = _("A post-only order is GTC.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def order_place(
    *,
    user,
    market: Market,
    side: str,
    kind: str = Order.Kind.LIMIT,
    price: int = 0,
    quantity: int = 0,
    quote_amount: int = 0,
    time_in_force: str = Order.TimeInForce.GTC,
    post_only: bool = False,
    client_order_id: str = "",
    stp: str = engine.STP_CANCEL_RESTING,
) -> Order:
    """Places an order: holds its funds, matches it, persists trades, fees and balances.

    Atomic: the order, the hold, every trade, fee and balance change and the anchor leaf of the
    trades commit together, under the market's single-writer lock. Refused input (ValidationError
    naming the field) changes nothing. Anchors the trades of the match as one public record
    `exchange.trades` (no personal data: order ids are public UUIDs).
    """
    caps = require_kyc(user=user)
    _validate(
        market=market,
        side=side,
        kind=kind,
        price=price,
        quantity=quantity,
        quote_amount=quote_amount,
        time_in_force=time_in_force,
        post_only=post_only,
    )
    if (
        client_order_id
        and Order.objects.filter(owner=user, client_order_id=client_order_id).exists()
    ):
        raise ValidationError({"client_order_id": _("This client order id is already used.")})
    market = _lock_market(market.pk)
    if market.status != Market.Status.OPEN:
        raise ValidationError({"market": _("The market is not open for trading.")}, code="halted")
    book = _book_for(market)
    base, quote = market.base_id, market.quote_id
    by_quote = kind == Order.Kind.MARKET and side == Order.Side.BUY and not quantity
    if side == Order.Side.SELL:
        hold_asset, hold = base, quantity
    elif kind == Order.Kind.LIMIT:
        hold_asset, hold = quote, price * quantity // market.scale
    elif by_quote:
        hold_asset, hold = quote, quote_amount
    else:
        hold_asset = quote
        hold = book.market_buy_cost(quantity, owner=user.pk)
        if hold is None:
            raise ValidationError({"quantity": _("Not enough liquidity for a market buy.")})
    value = hold if hold_asset == quote else (book.best(engine.BUY) or 0) * quantity // market.scale
    if market.quote.symbol == "KRW":
        check_trade_cap(user=user, caps=caps, notional_krw=value)
    # A first check before touching the book (no lock yet): refusals leave it intact.
    mine = Account.objects.filter(owner=user, asset_id=hold_asset, kind="customer").first()
    if mine is None or mine.available < hold:
        raise ValidationError(
            {"quantity": _("Insufficient available balance.")}, code="insufficient"
        )
    if mine.is_frozen:
        raise ValidationError({"account": _("Your account is frozen.")}, code="frozen")

    try:
        order = Order(
            owner=user,
            market=market,
            client_order_id=client_order_id,
            side=side,
            kind=kind,
            time_in_force=time_in_force,
            post_only=post_only,
            price=price,
            quantity=quantity,
            quote_amount=quote_amount,
            held_remaining=hold,
        )
        try:
            if client_order_id:  # a concurrent duplicate must not break the transaction
                with transaction.atomic():
                    order.save()
            else:
                order.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"client_order_id": _("This client order id is already used.")}
            ) from exc
        result = book.submit(
            engine.Order(
                order_id=order.pk,
                owner=user.pk,
                side=side,
                price=price,
                quantity=quantity,
                kind=kind,
                time_in_force=time_in_force,
                post_only=post_only,
                quote_amount=quote_amount,
                stp=stp,
            )
        )
        _persist(market=market, order=order, result=result, hold_asset=hold_asset, hold=hold)
    except BaseException:
        book_forget(market.pk)
        raise
    _bump(market)
    return order


def _persist(*, market, order, result, hold_asset, hold) -> None:
    base, quote = market.base_id, market.quote_id
    maker_ids = {f.maker_id for f in result.fills} | set(result.cancelled_resting)
    makers = {o.pk: o for o in Order.objects.filter(pk__in=maker_ids)} if maker_ids else {}
    owners = {order.owner_id} | {m.owner_id for m in makers.values()}
    accounts = accounts_lock(
        pairs=[(o, a) for o in owners for a in (base, quote)],
        system=[(Account.Kind.FEES, base), (Account.Kind.FEES, quote)] if result.fills else [],
    )
    taker_base, taker_quote = accounts[(order.owner_id, base)], accounts[(order.owner_id, quote)]
    taker_hold_account = taker_quote if hold_asset == quote else taker_base
    if taker_hold_account.is_frozen:
        raise ValidationError({"account": _("Your account is frozen.")}, code="frozen")
    if taker_hold_account.available < hold:
        raise InsufficientFunds({"quantity": _("Insufficient available balance.")})
    lines = [(taker_hold_account, AVAILABLE, -hold), (taker_hold_account, HELD, hold)]
    fee_base = accounts.get((Account.Kind.FEES, base))
    fee_quote = accounts.get((Account.Kind.FEES, quote))
    fees = _fee_bps(owners) if result.fills else {}
    trades = []
    now = timezone.now()
    taker_spent = 0
    for fill in result.fills:
        maker = makers[fill.maker_id]
        maker_bps = fees[maker.owner_id][0]
        taker_bps = fees[order.owner_id][1]
        buyer, seller = (order, maker) if fill.taker_side == Order.Side.BUY else (maker, order)
        buyer_bps, seller_bps = (taker_bps, maker_bps) if buyer is order else (maker_bps, taker_bps)
        buyer_fee = fill.quantity * buyer_bps // 10_000  # in base, from what the buyer receives
        seller_fee = fill.notional * seller_bps // 10_000  # in quote
        lines += [
            (accounts[(buyer.owner_id, quote)], HELD, -fill.notional),
            (accounts[(seller.owner_id, quote)], AVAILABLE, fill.notional - seller_fee),
            (fee_quote, AVAILABLE, seller_fee),
            (accounts[(seller.owner_id, base)], HELD, -fill.quantity),
            (accounts[(buyer.owner_id, base)], AVAILABLE, fill.quantity - buyer_fee),
            (fee_base, AVAILABLE, buyer_fee),
        ]
        consumed = fill.notional if maker.side == Order.Side.BUY else fill.quantity
        maker.held_remaining -= consumed
        maker.filled_quantity += fill.quantity
        maker.filled_quote += fill.notional
        taker_spent += fill.notional if order.side == Order.Side.BUY else fill.quantity
        order.filled_quantity += fill.quantity
        order.filled_quote += fill.notional
        trades.append(
            Trade(
                market=market,
                maker_order=maker,
                taker_order=order,
                taker_side=fill.taker_side,
                price=fill.price,
                quantity=fill.quantity,
                notional=fill.notional,
                maker_fee=buyer_fee if buyer is maker else seller_fee,
                taker_fee=buyer_fee if buyer is order else seller_fee,
                created_at=now,
            )
        )
    for maker in makers.values():
        if maker.pk in result.cancelled_resting:
            maker.status, maker.cancel_reason = Order.Status.CANCELLED, "self_trade"
        elif maker.filled_quantity == maker.quantity:
            maker.status = Order.Status.FILLED
        else:
            maker.status = Order.Status.PARTIALLY_FILLED
        if maker.status != Order.Status.PARTIALLY_FILLED and maker.held_remaining:
            asset = quote if maker.side == Order.Side.BUY else base
            account = accounts[(maker.owner_id, asset)]
            lines += [
                (account, HELD, -maker.held_remaining),
                (account, AVAILABLE, maker.held_remaining),
            ]
            maker.held_remaining = 0
    # The taker keeps on hold only what its resting part needs.
    order.held_remaining = hold - taker_spent
    keep = 0
    if result.rested:
        keep = (
            order.price * result.remaining // market.scale
            if order.side == Order.Side.BUY
            else result.remaining
        )
    release = order.held_remaining - keep
    if release:
        lines += [(taker_hold_account, HELD, -release), (taker_hold_account, AVAILABLE, release)]
    order.held_remaining = keep
    if result.rejected:
        order.status, order.cancel_reason = Order.Status.REJECTED, result.rejected
    elif result.rested:
        order.status = Order.Status.PARTIALLY_FILLED if order.filled_quantity else Order.Status.OPEN
    elif order.kind == Order.Kind.MARKET and order.quote_amount:
        order.status = Order.Status.FILLED if result.fills else Order.Status.CANCELLED
        if not result.fills:
            order.cancel_reason = "no_liquidity"
    elif order.filled_quantity == order.quantity:
        order.status = Order.Status.FILLED
    else:
        order.status, order.cancel_reason = (
            Order.Status.CANCELLED,
            ("self_trade" if result.self_trade else "unfilled"),
        )
    entry_post(kind="order", reference=str(order.public_id), lines=lines)
    fields = [
        "filled_quantity",
        "filled_quote",
        "held_remaining",
        "status",
        "cancel_reason",
        "updated_at",
    ]
    order.save(update_fields=fields)
    if makers:
        for maker in makers.values():
            maker.updated_at = now
        Order.objects.bulk_update(list(makers.values()), fields)
    if trades:
        Trade.objects.bulk_create(trades)
        anchor_record(
            kind="exchange.trades",
            ref=f"{market.symbol}:{order.public_id}",
            version=1,
            data={
                "market": market.symbol,
                "trades": [
                    {
                        "id": str(t.public_id),
                        "price": str(t.price),
                        "quantity": str(t.quantity),
                        "takerSide": t.taker_side,
                        "maker": str(t.maker_order.public_id),
                        "taker": str(order.public_id),
                    }
                    for t in trades
                ],
            },
            public=True,
        )
    if result.self_trade:
        SurveillanceEvent.objects.create(
            kind=SurveillanceEvent.Kind.SELF_TRADE,
            user_id=order.owner_id,
            market=market,
            detail={
                "order": str(order.public_id),
                "cancelled": [str(makers[pk].public_id) for pk in result.cancelled_resting],
            },
        )


def _release_and_cancel(*, market: Market, orders: list[Order], reason: str) -> None:
    book = _book_for(market)
    accounts = accounts_lock(
        pairs=[(o.owner_id, market.quote_id if o.side == "buy" else market.base_id) for o in orders]
    )
    lines = []
    for order in orders:
        asset = market.quote_id if order.side == Order.Side.BUY else market.base_id
        account = accounts[(order.owner_id, asset)]
        lines += [
            (account, HELD, -order.held_remaining),
            (account, AVAILABLE, order.held_remaining),
        ]
        order.held_remaining = 0
        order.status, order.cancel_reason = Order.Status.CANCELLED, reason
        book.cancel(order.pk)
    entry_post(kind="cancel", reference=str(orders[0].public_id), lines=lines)
    Order.objects.bulk_update(orders, ["held_remaining", "status", "cancel_reason", "updated_at"])


@transaction.atomic
def order_cancel(*, user, order: Order, reason: str = "user") -> Order:
    """Cancels one open order of `user` and releases its hold. Atomic, under the market lock.
    Cancelling an order that is no longer open is refused and changes nothing."""
    market = _lock_market(order.market_id)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.owner_id != user.pk:
        raise ValidationError({"order": _("No such order.")}, code="not_found")
    if order.status not in Order.OPEN_STATUSES:
        raise ValidationError({"order": _("The order is not open any more.")}, code="not_open")
    try:
        _release_and_cancel(market=market, orders=[order], reason=reason)
    except BaseException:
        book_forget(market.pk)
        raise
    _bump(market)
    return order


@transaction.atomic
def orders_cancel_all(*, user, market: Market) -> int:
    """Cancels every open order of `user` in `market`; returns how many. Atomic."""
    market = _lock_market(market.pk)
    orders = list(
        Order.objects.select_for_update()
        .filter(owner=user, market=market, status__in=Order.OPEN_STATUSES)
        .order_by("pk")
    )
    if not orders:
        return 0
    try:
        _release_and_cancel(market=market, orders=orders, reason="user")
    except BaseException:
        book_forget(market.pk)
        raise
    _bump(market)
    if len(orders) >= 10:
        SurveillanceEvent.objects.create(
            kind=SurveillanceEvent.Kind.CANCEL_ALL,
            user=user,
            market=market,
            detail={"count": len(orders)},
        )
    return len(orders)


@transaction.atomic
def market_set_status(*, market: Market, status: str) -> Market:
    """Opens, halts, resumes or closes a market (staff). Closing cancels every open order."""
    if status not in Market.Status.values:
        raise ValidationError({"status": _("Unknown market status.")})
    market = _lock_market(market.pk)
    market.status = status
    market.full_clean()
    market.save(update_fields=["status"])
    if status == Market.Status.CLOSED:
        orders = list(
            Order.objects.select_for_update()
            .filter(market=market, status__in=Order.OPEN_STATUSES)
            .order_by("pk")
        )
        if orders:
            try:
                _release_and_cancel(market=market, orders=orders, reason="market_closed")
            except BaseException:
                book_forget(market.pk)
                raise
            _bump(market)
    return market


@transaction.atomic
def account_set_frozen(*, account: Account, is_frozen: bool) -> Account:
    """Freezes or unfreezes a customer account (staff): a frozen account places no new orders
    and withdraws nothing; open orders stay until cancelled."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    account.is_frozen = is_frozen
    account.save(update_fields=["is_frozen"])
    return account
