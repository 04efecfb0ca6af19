"""Reads of the exchange: balances, order book, trades, ticker, candles, orders."""

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from busanhub.db import Columns, PreparedStatement
from exchange import engine
from exchange.models import (
    Account,
    Asset,
    ChainDeposit,
    ChainWithdrawal,
    FeeTier,
    JournalEntry,
    Market,
    Order,
    OrderRequest,
    Posting,
    Trade,
)

if TYPE_CHECKING:  # django-stubs' helper, installed with the type checker only
    from django_stubs_ext import WithAnnotations

INTERVALS = {"1m": 60, "5m": 300, "1h": 3600, "1d": 86400}


def balances_for(*, user) -> dict[str, dict]:
    """{symbol: {"available": int, "held": int}} of every customer account of the user."""
    rows = Account.objects.filter(owner=user, kind=Account.Kind.CUSTOMER).values_list(
        "asset__symbol", "available", "held", "is_frozen"
    )
    return {
        symbol: {"available": available, "held": held, "frozen": frozen}
        for symbol, available, held, frozen in rows
    }


_BALANCE_ROWS = PreparedStatement(
    "exchange_balance_rows",
    "SELECT asset.symbol, asset.decimals, account.available, account.held "  # noqa: S608
    f"FROM {Account._meta.db_table} AS account "
    f"JOIN {Asset._meta.db_table} AS asset ON asset.id = account.asset_id "
    "WHERE account.owner_id = %(owner)s AND account.kind = %(kind)s ORDER BY asset.symbol",
    params=[("owner", "bigint"), ("kind", "text")],
)


def balance_rows(*, user) -> list[dict]:
    """The user's balances with each asset's decimals, for pages (the /me/ panel, on every
    visit: a prepared statement, no ORM query to build)."""
    with connection.cursor() as cursor:
        rows = _BALANCE_ROWS.execute(cursor, owner=user.pk, kind=Account.Kind.CUSTOMER.value)
    return [{"symbol": s, "decimals": d, "available": a, "held": h} for s, d, a, h in rows]


# The signed-in trader's part of the trading page in one prepared statement: her balances
# (part 0, by symbol), then the first page and one more row of her active orders in the market
# (part 1) and of her past ones (part 2), newest first. The statuses are written into the SQL,
# not passed: the active orders' partial index (exchange_order_owner_active) serves only a
# condition the planner can see.
_ACTIVE_SQL = ", ".join(f"'{status}'" for status in Order.ACTIVE_STATUSES)
_PANEL_ORDER_COLUMNS = (
    "o.public_id, o.side, o.kind, o.price, o.quantity, o.filled_quantity, o.filled_quote, "
    "o.status, o.created_at, o.id"
)
_PANEL_ORDERS = (
    "(SELECT {part}, NULL, NULL, NULL, NULL, " + _PANEL_ORDER_COLUMNS + " "  # noqa: S608
    f"FROM {Order._meta.db_table} AS o "
    "WHERE o.owner_id = %(owner)s AND o.market_id = %(market)s AND {condition} "
    "ORDER BY o.created_at DESC, o.id DESC LIMIT %(rows)s)"
)
_TRADING_PANEL = PreparedStatement(
    "exchange_trading_panel",
    "(SELECT 0 AS part, asset.symbol, asset.decimals, account.available, account.held, "  # noqa: S608
    "NULL::uuid, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, "
    "NULL::bigint, NULL::text, NULL::timestamptz AS created_at, NULL::bigint AS id "
    f"FROM {Account._meta.db_table} AS account "
    f"JOIN {Asset._meta.db_table} AS asset ON asset.id = account.asset_id "
    "WHERE account.owner_id = %(owner)s AND account.kind = %(kind)s) "
    "UNION ALL "
    + _PANEL_ORDERS.format(part=1, condition=f"o.status IN ({_ACTIVE_SQL})")
    + " UNION ALL "
    + _PANEL_ORDERS.format(part=2, condition=f"o.status NOT IN ({_ACTIVE_SQL})")
    + " ORDER BY part, symbol, created_at DESC, id DESC",
    params=[("owner", "bigint"), ("kind", "text"), ("market", "bigint"), ("rows", "integer")],
)

# An order's columns as the trading page lists it (`trading_panel`'s rows; a later page's
# through `orders_for(...).values_list(*ORDER_ROW_FIELDS)`).
ORDER_ROW_FIELDS = (
    "public_id",
    "side",
    "kind",
    "price",
    "quantity",
    "filled_quantity",
    "filled_quote",
    "status",
    "created_at",
)


class TradingPanel(NamedTuple):
    balances: list[tuple[str, int, int, int]]  # (symbol, decimals, available, held) by symbol
    open_orders: list[tuple]  # ORDER_ROW_FIELDS, newest first
    past_orders: list[tuple]


def trading_panel(*, user, market: Market, rows: int) -> TradingPanel:
    """The user's customer balances (every asset, by symbol, with its decimals) and up to
    `rows` of her active and of her past orders in `market` (ORDER_ROW_FIELDS, newest first:
    `orders_for(..., is_open=True/False)`), in one prepared statement (the trading page's
    three ORM queries cost more to build than to run)."""
    with connection.cursor() as cursor:
        found = _TRADING_PANEL.execute(
            cursor, owner=user.pk, kind=Account.Kind.CUSTOMER.value, market=market.pk, rows=rows
        )
    panel = TradingPanel([], [], [])
    for row in found:
        if row[0] == 0:
            panel.balances.append(row[1:5])
        else:
            (panel.open_orders if row[0] == 1 else panel.past_orders).append(row[5:14])
    return panel


_MARKET = Columns(Market, "market")
_BASE = Columns(Asset, "base")
_QUOTE = Columns(Asset, "quote")
_MARKET_FOR_TRADING = PreparedStatement(
    "exchange_market_for_trading",
    f"SELECT {_MARKET.sql}, {_BASE.sql}, {_QUOTE.sql}, "  # noqa: S608 - models' tables
    f"(SELECT trade.price FROM {Trade._meta.db_table} AS trade "
    "WHERE trade.market_id = market.id ORDER BY trade.created_at DESC, trade.id DESC LIMIT 1), "
    f"(SELECT tier.taker_bps FROM {FeeTier._meta.db_table} AS tier "
    "ORDER BY tier.min_volume_30d LIMIT 1) "
    f"FROM {Market._meta.db_table} AS market "
    f"JOIN {Asset._meta.db_table} AS base ON base.id = market.base_id "
    f"JOIN {Asset._meta.db_table} AS quote ON quote.id = market.quote_id "
    "WHERE market.symbol = %(symbol)s",
    params=[("symbol", "text")],
)


class TradingFigures(TypedDict):
    last_price: int | None
    taker_bps: int


def market_for_trading(*, symbol: str) -> "WithAnnotations[Market, TradingFigures] | None":
    """The market with its assets, its last price (`last_price`, None before any trade) and
    the lowest tier's taker fee (`taker_bps`, 0 without tiers), in one prepared statement (the
    ORM's query with two subqueries cost more to build than to run): the trading page shows
    the last price and estimates the fee; the ticker's other figures come from the API."""
    with connection.cursor() as cursor:
        rows = _MARKET_FOR_TRADING.execute(cursor, symbol=symbol)
    if not rows:
        return None
    row = rows[0]
    base_start = len(_MARKET)
    quote_start = base_start + len(_BASE)
    quote_end = quote_start + len(_QUOTE)
    market: Any = _MARKET.instance(row)
    market.base = _BASE.instance(row, base_start)
    market.quote = _QUOTE.instance(row, quote_start)
    market.last_price, lowest_taker_bps = row[quote_end:]
    market.taker_bps = lowest_taker_bps or 0
    return market


def markets_listed() -> QuerySet[Market]:
    return Market.objects.select_related("base", "quote").exclude(status=Market.Status.CLOSED)


def book_depth(*, market: Market, depth: int = 20) -> dict:
    """Aggregated price levels of the open orders, best first, from the database."""
    rows = (
        Order.objects.filter(market=market, status__in=Order.OPEN_STATUSES)
        .values("side", "price")
        .annotate(quantity=Sum("quantity") - Sum("filled_quantity"))
    )
    bids = sorted(((r["price"], r["quantity"]) for r in rows if r["side"] == "buy"), reverse=True)
    asks = sorted((r["price"], r["quantity"]) for r in rows if r["side"] == "sell")
    return {
        "bids": [list(level) for level in bids[:depth]],
        "asks": [list(level) for level in asks[:depth]],
    }


_MARKET_BY_SYMBOL = PreparedStatement(
    "exchange_market_by_symbol",
    f"SELECT {_MARKET.sql} "  # noqa: S608 - the model's table and columns
    f"FROM {Market._meta.db_table} AS market WHERE symbol = %(symbol)s",
    params=[("symbol", "text")],
)


def market_by_symbol(*, symbol: str) -> Market | None:
    """`Market.objects.filter(symbol=symbol).first()` as a prepared statement (an order's
    input names its market: no ORM query to build on every placement)."""
    with connection.cursor() as cursor:
        rows = _MARKET_BY_SYMBOL.execute(cursor, symbol=symbol)
    return _MARKET.instance(rows[0]) if rows else None


_ORDER = Columns(Order, "o")
_OWN_ORDER = PreparedStatement(
    "exchange_own_order",
    f"SELECT {_ORDER.sql}, {_MARKET.sql} "  # noqa: S608 - the models' tables and columns
    f"FROM {Order._meta.db_table} AS o JOIN {Market._meta.db_table} AS market "
    "ON market.id = o.market_id WHERE o.public_id = %(public_id)s AND o.owner_id = %(owner)s",
    params=[("public_id", "uuid"), ("owner", "bigint")],
)


def order_of(*, user, public_id) -> Order | None:
    """The user's order `public_id` with its market (None: no such order, or another's), as
    `Order.objects.select_related("market").filter(public_id=…, owner=user).first()` in a
    prepared statement (every cancel reads it)."""
    with connection.cursor() as cursor:
        rows = _OWN_ORDER.execute(cursor, public_id=public_id, owner=user.pk)
    if not rows:
        return None
    order = _ORDER.instance(rows[0])
    order.market = _MARKET.instance(rows[0], len(_ORDER))
    return order


_BOOK_BY_SYMBOL = PreparedStatement(
    "exchange_book_by_symbol",
    "SELECT market.symbol, level.side, level.price, level.quantity "  # noqa: S608
    f"FROM {Market._meta.db_table} AS market LEFT JOIN LATERAL ("
    "SELECT side, price, sum(quantity) - sum(filled_quantity) AS quantity "
    f"FROM {Order._meta.db_table} WHERE market_id = market.id AND status = ANY(%(statuses)s) "
    "GROUP BY side, price) AS level ON true WHERE market.symbol = %(symbol)s",
    params=[("statuses", "text[]"), ("symbol", "text")],
)


def book_depth_of_symbol(*, symbol: str, depth: int = 20) -> dict | None:
    """`book_depth` of the market named `symbol` with its `symbol`, in one prepared statement
    (the book API's read: no ORM query to build for the market, then for its levels); None
    when no market has that symbol."""
    with connection.cursor() as cursor:
        rows = _BOOK_BY_SYMBOL.execute(
            cursor, statuses=[str(status) for status in Order.OPEN_STATUSES], symbol=symbol
        )
    if not rows:
        return None
    levels = [(side, price, quantity) for _, side, price, quantity in rows if side is not None]
    bids = sorted(((p, q) for side, p, q in levels if side == "buy"), reverse=True)
    asks = sorted((p, q) for side, p, q in levels if side == "sell")
    return {
        "symbol": rows[0][0],
        "bids": [list(level) for level in bids[:depth]],
        "asks": [list(level) for level in asks[:depth]],
    }


def trades_recent(*, market: Market, limit: int = 50) -> list[Trade]:
    return list(Trade.objects.filter(market=market).order_by("-created_at", "-pk")[:limit])


def ticker(*, market: Market) -> dict:
    """The last 24 hours: open, high, low, last, base and quote volume, trade count."""
    since = timezone.now() - timedelta(hours=24)
    trades = Trade.objects.filter(market=market, created_at__gte=since)
    stats = trades.aggregate(
        high=Max("price"),
        low=Min("price"),
        volume=Sum("quantity"),
        quote_volume=Sum("notional"),
        count=Count("pk"),
    )
    first = trades.order_by("created_at", "pk").values_list("price", flat=True).first()
    last = (
        Trade.objects.filter(market=market)
        .order_by("-created_at", "-pk")
        .values_list("price", flat=True)
        .first()
    )
    best = book_depth(market=market, depth=1)
    return {
        "symbol": market.symbol,
        "open": first,
        "high": stats["high"],
        "low": stats["low"],
        "last": last,
        "volume": stats["volume"] or 0,
        "quote_volume": stats["quote_volume"] or 0,
        "count": stats["count"],
        "best_bid": best["bids"][0][0] if best["bids"] else None,
        "best_ask": best["asks"][0][0] if best["asks"] else None,
    }


def candles(*, market: Market, interval: str, limit: int = 500) -> list[list[int]]:
    """Rows [ts (s, UTC), open, high, low, close, volume], oldest first, bucketed in Python;
    bounded by `limit` intervals."""
    seconds = INTERVALS[interval]
    now = timezone.now()
    start = datetime.fromtimestamp((int(now.timestamp()) // seconds - limit + 1) * seconds, tz=UTC)
    rows = (
        Trade.objects.filter(market=market, created_at__gte=start)
        .order_by("created_at", "pk")
        .values_list("created_at", "price", "quantity")
    )
    out: dict[int, list[int]] = {}
    for created_at, price, quantity in rows:
        bucket = int(created_at.timestamp()) // seconds * seconds
        candle = out.get(bucket)
        if candle is None:
            out[bucket] = [bucket, price, price, price, price, quantity]
        else:
            candle[2] = max(candle[2], price)
            candle[3] = min(candle[3], price)
            candle[4] = price
            candle[5] += quantity
    return [out[key] for key in sorted(out)]


def orders_for(
    *, user, market: Market | None = None, status: str | None = None, is_open: bool | None = None
) -> QuerySet[Order]:
    orders = Order.objects.filter(owner=user).select_related("market")
    if market is not None:
        orders = orders.filter(market=market)
    if status:
        orders = orders.filter(status=status)
    # "Open" for the owner: still active (waiting for the matcher or on the book).
    if is_open is True:
        orders = orders.filter(status__in=Order.ACTIVE_STATUSES)
    elif is_open is False:
        orders = orders.exclude(status__in=Order.ACTIVE_STATUSES)
    return orders.order_by("-created_at", "-pk")


def deposits_for(*, user) -> QuerySet[ChainDeposit]:
    return ChainDeposit.objects.filter(address__owner=user).select_related("asset")


def withdrawals_for(*, user) -> QuerySet[ChainWithdrawal]:
    return ChainWithdrawal.objects.filter(owner=user).select_related("asset")


def journal_unbalanced() -> list[str]:
    """Public ids of journal entries whose postings do not sum to zero for some asset."""
    rows = (
        Posting.objects.values("entry_id", "asset_id")
        .annotate(total=Sum("amount"))
        .filter(~Q(total=0))
        .values_list("entry_id", flat=True)
    )
    return [
        str(p)
        for p in JournalEntry.objects.filter(pk__in=list(rows)).values_list("public_id", flat=True)
    ]


def ledger_matches_balances() -> bool:
    """Does every account's balance equal the sum of its postings, and every customer's
    `open_notional` what her active orders may still trade?"""
    if open_notional_mismatches():
        return False
    sums = {
        (a, b): t
        for a, b, t in Posting.objects.values("account_id", "bucket")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "bucket", "total")
    }
    for pk, available, held in Account.objects.values_list("pk", "available", "held"):
        if sums.get((pk, "available"), 0) != available or sums.get((pk, "held"), 0) != held:
            return False
    return True


def open_notional_mismatches() -> list[tuple[int, int, int]]:
    """(account pk, stored, recomputed) of each customer account whose `open_notional` is not
    the sum over its owner's active orders in markets quoted in its asset of their notional not
    yet filled."""
    expected: dict = {}
    rows = Order.objects.filter(status__in=Order.ACTIVE_STATUSES).values_list(
        "owner_id", "market__quote_id", "notional", "filled_quote"
    )
    for owner, asset, notional, filled in rows:
        expected[(owner, asset)] = expected.get((owner, asset), 0) + max(notional - filled, 0)
    return [
        (pk, stored, expected.get((owner, asset), 0))
        for pk, owner, asset, stored in Account.objects.filter(kind="customer").values_list(
            "pk", "owner_id", "asset_id", "open_notional"
        )
        if stored != expected.get((owner, asset), 0)
    ]


def market_log_replay(*, market: Market) -> tuple[list[tuple], engine.Book]:
    """Replays the market's log (placements and cancels in sequence order) through the pure
    engine, from an empty book: the trades it gives, as (maker order pk, taker order pk, price,
    quantity), and the book it leaves. An audit of the matcher: they must equal the stored
    trades and the resting orders."""
    book = engine.Book(lot=market.lot_size, scale=market.scale)
    orders = {o.pk: o for o in Order.objects.filter(market=market)}
    trades = []
    log = OrderRequest.objects.filter(market=market, seq__isnull=False).order_by("seq")
    for action, pk in log.values_list("action", "order_id"):
        if action == OrderRequest.Action.CANCEL:
            book.cancel(pk)
            continue
        o = orders[pk]
        result = book.submit(
            engine.Order(
                order_id=o.pk,
                owner=o.owner_id,
                side=o.side,
                price=o.price,
                quantity=o.quantity,
                kind=o.kind,
                time_in_force=o.time_in_force,
                post_only=o.post_only,
                quote_amount=o.quote_amount,
                stp=o.stp,
            )
        )
        trades += [(f.maker_id, f.taker_id, f.price, f.quantity) for f in result.fills]
    return trades, book
