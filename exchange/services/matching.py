"""The market's matcher: the one writer of a market's book.

Placement (`orders.order_place`) and cancel requests only append to the market's input log
(`OrderRequest`) and hold or keep funds; this module takes the waiting requests in log order,
runs them through the pure engine on an in-memory book and writes a whole batch's results in
one transaction with a few bulk statements: order updates, trades, one netted journal entry,
balances, anchor leaves, surveillance events, the market's sequence and book version.

One writer per market, by a PostgreSQL transaction advisory lock on the market plus a
`SELECT ... FOR UPDATE` of its row. The in-memory book is a cache, trusted only while the
market's `book_version` (rewritten by every committed batch) is the one it was built at;
otherwise it is rebuilt from the resting orders in `seq` order.
"""

import json
import threading
import uuid
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from busanhub.chain.services import ANCHOR_LEAF_TABLE, anchor_leaf_columns
from busanhub.db import Batch, array_literal, with_arrays
from exchange import engine
from exchange.models import (
    Account,
    Asset,
    FeeTier,
    JournalEntry,
    Market,
    Order,
    OrderRequest,
    Posting,
    SurveillanceEvent,
    Trade,
    TradedVolume,
)

from .ledger import AVAILABLE, HELD, InsufficientFunds, accounts_lock
from .volume import volume_add, windows

LOCK_CLASS = 0x45584348  # "EXCH": the advisory lock namespace of market writers
CONSUMER_CLASS = 0x45584355  # "EXCU": a consumer draining one market (see markets_match)
BATCH = 500

PLACE = OrderRequest.Action.PLACE
CANCEL = OrderRequest.Action.CANCEL


class _Live:
    """What the matcher knows of an order it changes, besides the engine's view of it."""

    __slots__ = (
        "pk",
        "public_id",
        "owner_id",
        "side",
        "price",
        "quantity",
        "filled_quantity",
        "filled_quote",
        "held_remaining",
        "notional",
        "status",
        "cancel_reason",
        "seq",
    )

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    @classmethod
    def of(cls, order: Order) -> "_Live":
        return cls(**{name: getattr(order, name) for name in cls.__slots__})


def _open(order: _Live) -> int:
    """What an order may still trade, in its market's quote asset (0 once it has ended)."""
    if order.status not in Order.ACTIVE_STATUSES:
        return 0
    return max(order.notional - order.filled_quote, 0)


class _Row(_Live):
    """A waiting request with its order's columns, read as plain values (no model instances).
    A placement's row becomes the order's `_Live` (its `status` is the one read from the
    database until the matcher changes it)."""

    FIELDS = (
        "request_pk",
        "action",
        "pk",
        "public_id",
        "owner_id",
        "side",
        "kind",
        "time_in_force",
        "post_only",
        "price",
        "quantity",
        "quote_amount",
        "stp",
        "filled_quantity",
        "filled_quote",
        "held_remaining",
        "notional",
        "status",
        "cancel_reason",
        "seq",
    )
    __slots__ = (
        "request_pk",
        "action",
        "kind",
        "time_in_force",
        "post_only",
        "quote_amount",
        "stp",
    )

    def __init__(self, values):
        for name, value in zip(self.FIELDS, values, strict=True):
            setattr(self, name, value)


# One constant statement (the matcher runs it at every batch).
_REQUESTS_SQL = (
    "SELECT r.id, r.action, r.order_id, "  # noqa: S608 (table names)
    + ", ".join(f"o.{name}" for name in _Row.FIELDS[3:])
    + f" FROM {OrderRequest._meta.db_table} AS r JOIN {Order._meta.db_table} AS o"
    " ON o.id = r.order_id WHERE r.market_id = %s AND r.seq IS NULL ORDER BY r.id LIMIT %s"
)


def _requests_waiting(market_pk: int, limit: int) -> list[_Row]:
    with connection.cursor() as cursor:
        cursor.execute(_REQUESTS_SQL, [market_pk, limit])
        rows = cursor.fetchall()
    return [_Row(values) for values in rows]


class _State:
    def __init__(self, version, book: engine.Book, live: dict):
        self.version = version
        self.book = book
        self.live = live  # order pk -> _Live, for every order resting on the book


# One cache per thread: two threads of one process behave like two processes.
_local = threading.local()


def _cache() -> dict:
    if not hasattr(_local, "books"):
        _local.books = {}
    return _local.books


def book_forget(market_pk: int) -> None:
    _cache().pop(market_pk, None)


def lock_market(market_pk: int) -> Market:
    """Takes the market's writer lock for the current transaction and returns the row."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, market_pk])
    # NO KEY UPDATE: placements insert orders referencing the market (a KEY SHARE lock) while
    # holding their accounts, which the matcher then locks; FOR UPDATE would deadlock them.
    return (
        Market.objects.select_for_update(no_key=True)
        .select_related("base", "quote")
        .get(pk=market_pk)
    )


_MARKET_FIELDS = [field.attname for field in Market._meta.concrete_fields]
_MARKET_LOCK_SQL = (
    "SELECT "  # noqa: S608 (table and column names)
    + ", ".join(f"m.{field.column}" for field in Market._meta.concrete_fields)
    + f", b.decimals FROM {Market._meta.db_table} AS m JOIN {Asset._meta.db_table} AS b"
    " ON b.id = m.base_id WHERE m.id = %s FOR NO KEY UPDATE OF m"
)


def _market_locked(market_pk: int) -> Market:
    """`lock_market` for the matcher: the same locks, the row read by a constant statement,
    with its base asset's decimals only (what `Market.scale` needs)."""
    with connection.cursor() as cursor:  # one round trip: the writer lock, then the row
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s); " + _MARKET_LOCK_SQL,
            [LOCK_CLASS, market_pk, market_pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Market.DoesNotExist(market_pk)
    market = Market.from_db(connection.alias, _MARKET_FIELDS, row[:-1])
    market.base = Asset(pk=market.base_id, decimals=row[-1])
    return market


def _state_for(market: Market) -> _State:
    cached = _cache().get(market.pk)
    if cached is not None and cached.version == market.book_version:
        return cached
    book = engine.Book(lot=market.lot_size, scale=market.scale)
    live = {}
    rows = Order.objects.filter(market=market, status__in=Order.OPEN_STATUSES).order_by("seq", "pk")
    for order in rows.only(*_Live.__slots__[1:]):
        book.rest(
            engine.Order(
                order_id=order.pk,
                owner=order.owner_id,
                side=order.side,
                price=order.price,
                quantity=order.quantity,
                remaining=order.quantity - order.filled_quantity,
            )
        )
        live[order.pk] = _Live.of(order)
    state = _State(market.book_version, book, live)
    _cache()[market.pk] = state
    return state


def _fee_bps(owner_ids, *, now) -> dict:
    """{owner_id: (maker_bps, taker_bps)}: the highest tier each owner's 30-day traded quote
    volume reaches (the lowest tier below all of them; no tiers, no fees)."""
    with connection.cursor() as cursor:  # one statement: every owner's volume and tier
        cursor.execute(_FEES_SQL, [array_literal(owner_ids), windows(now)[1]])
        fees = {owner: (maker, taker) for owner, maker, taker in cursor.fetchall()}
    return fees or defaultdict(lambda: (0, 0))


_FEES_SQL = f"""
SELECT o.owner, tier.maker_bps, tier.taker_bps
FROM unnest(%s::bigint[]) AS o(owner)
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(v.volume), 0) AS volume FROM {TradedVolume._meta.db_table} AS v
    WHERE v.owner_id = o.owner AND v.span = 'day' AND v.start >= %s
) AS traded
CROSS JOIN LATERAL (
    SELECT t.maker_bps, t.taker_bps FROM {FeeTier._meta.db_table} AS t
    ORDER BY t.min_volume_30d <= traded.volume DESC,
        CASE WHEN t.min_volume_30d <= traded.volume THEN -t.min_volume_30d
             ELSE t.min_volume_30d END
    LIMIT 1
) AS tier
"""  # noqa: S608 (table names)


class _Batch:
    """The results of one batch, accumulated in memory, written by `write`."""

    def __init__(self, market: Market, state: _State):
        self.market = market
        self.state = state
        self.changed: dict = {}  # order pk -> _Live whose row changes
        self.deltas: dict = defaultdict(int)  # (owner or "fees", asset, bucket) -> amount
        self.fills: list = []  # (maker _Live, taker _Live, engine.Fill)
        self.self_trades: list = []  # (taker _Live, [cancelled maker _Live])
        self.requests: list = []  # (request pk, seq)
        self.open_before: dict = {}  # order pk -> what it could still trade before the batch

    # --- money moves ---------------------------------------------------------------------
    def touch(self, order: _Live) -> None:
        """Remembers what the order could still trade before the batch changes it."""
        if order.pk not in self.open_before:
            self.open_before[order.pk] = _open(order)

    def _asset(self, side: str) -> int:
        return self.market.quote_id if side == Order.Side.BUY else self.market.base_id

    def release(self, order: _Live, amount: int | None = None) -> None:
        amount = order.held_remaining if amount is None else amount
        if amount:
            asset = self._asset(order.side)
            self.deltas[(order.owner_id, asset, HELD)] -= amount
            self.deltas[(order.owner_id, asset, AVAILABLE)] += amount
            order.held_remaining -= amount

    def close(self, order: _Live, status: str, reason: str = "") -> None:
        """Ends an order: releases what it still holds."""
        self.touch(order)
        self.release(order)
        order.status, order.cancel_reason = status, reason
        self.changed[order.pk] = order

    # --- requests --------------------------------------------------------------------------
    def cancel(self, order_pk: int) -> None:
        order = self.state.live.pop(order_pk, None)
        if order is None:  # filled, cancelled or refused before the request came up
            return
        self.state.book.cancel(order_pk)
        self.close(order, Order.Status.CANCELLED, "user")

    def place(self, row: _Row, seq: int) -> None:
        book, market = self.state.book, self.market
        order = row
        self.touch(order)
        order.seq = seq
        self.changed[order.pk] = order
        if row.status != Order.Status.PENDING:  # already closed (the market was closed)
            return
        if market.status != Market.Status.OPEN:
            self.close(order, Order.Status.CANCELLED, f"market_{market.status}")
            return
        by_quote = row.kind == Order.Kind.MARKET and row.side == Order.Side.BUY and row.quote_amount
        if row.kind == Order.Kind.MARKET and row.side == Order.Side.BUY and not by_quote:
            # A market buy by quantity holds the cost seen at placement: it fills entirely
            # within that, or not at all.
            cost = book.market_buy_cost(row.quantity, owner=row.owner_id)
            if cost is None or cost > order.held_remaining:
                reason = "no_liquidity" if cost is None else "price_moved"
                self.close(order, Order.Status.CANCELLED, reason)
                return
        taker = engine.Order(
            order_id=row.pk,
            owner=row.owner_id,
            side=row.side,
            price=row.price,
            quantity=row.quantity,
            kind=row.kind,
            time_in_force=row.time_in_force,
            post_only=row.post_only,
            quote_amount=row.quote_amount,
            stp=row.stp,
        )
        result = book.submit(taker)
        spent = 0
        for fill in result.fills:
            maker = self.state.live[fill.maker_id]
            self.touch(maker)
            maker.held_remaining -= fill.notional if maker.side == Order.Side.BUY else fill.quantity
            maker.filled_quantity += fill.quantity
            maker.filled_quote += fill.notional
            order.filled_quantity += fill.quantity
            order.filled_quote += fill.notional
            spent += fill.notional if row.side == Order.Side.BUY else fill.quantity
            self.fills.append((maker, order, fill))
            if maker.filled_quantity == maker.quantity:
                del self.state.live[maker.pk]
                self.close(maker, Order.Status.FILLED)
            else:
                maker.status = Order.Status.PARTIALLY_FILLED
                self.changed[maker.pk] = maker
        cancelled = []
        for maker_pk in result.cancelled_resting:
            maker = self.state.live.pop(maker_pk)
            self.close(maker, Order.Status.CANCELLED, "self_trade")
            cancelled.append(maker)
        if result.self_trade:
            self.self_trades.append((order, cancelled))
        # The taker's hold pays its fills; it keeps only what its resting part needs.
        order.held_remaining -= spent
        if result.rested:
            keep = (
                row.price * result.remaining // market.scale
                if row.side == Order.Side.BUY
                else result.remaining
            )
            self.release(order, order.held_remaining - keep)
            order.status = (
                Order.Status.PARTIALLY_FILLED if order.filled_quantity else Order.Status.OPEN
            )
            self.state.live[order.pk] = order
        elif result.rejected:
            self.close(order, Order.Status.REJECTED, result.rejected)
        elif by_quote:
            if result.fills:
                self.close(order, Order.Status.FILLED)
            else:
                self.close(order, Order.Status.CANCELLED, "no_liquidity")
        elif order.filled_quantity == order.quantity:
            self.close(order, Order.Status.FILLED)
        else:
            reason = "self_trade" if result.self_trade else "unfilled"
            self.close(order, Order.Status.CANCELLED, reason)

    # --- writing ---------------------------------------------------------------------------
    def write(self, *, first_seq: int, last_seq: int) -> None:
        market = self.market
        base, quote = market.base_id, market.quote_id
        trades = []  # tuples in TRADE_COLUMNS order
        now = timezone.now()
        if self.fills:
            owners = {m.owner_id for m, _, _ in self.fills} | {t.owner_id for _, t, _ in self.fills}
            fees = _fee_bps(owners, now=now)
            deltas = self.deltas
            traded = defaultdict(int)  # {(owner, quote asset): quote value} for TradedVolume
            for maker, taker, fill in self.fills:
                buyer, seller = (
                    (taker, maker) if fill.taker_side == Order.Side.BUY else (maker, taker)
                )
                buyer_bps = fees[buyer.owner_id][1 if buyer is taker else 0]
                seller_bps = fees[seller.owner_id][1 if seller is taker else 0]
                buyer_fee = fill.quantity * buyer_bps // 10_000  # in base, from what it receives
                seller_fee = fill.notional * seller_bps // 10_000  # in quote
                deltas[(buyer.owner_id, quote, HELD)] -= fill.notional
                deltas[(seller.owner_id, quote, AVAILABLE)] += fill.notional - seller_fee
                deltas[(Account.Kind.FEES, quote, AVAILABLE)] += seller_fee
                deltas[(seller.owner_id, base, HELD)] -= fill.quantity
                deltas[(buyer.owner_id, base, AVAILABLE)] += fill.quantity - buyer_fee
                deltas[(Account.Kind.FEES, base, AVAILABLE)] += buyer_fee
                traded[(buyer.owner_id, quote)] += fill.notional
                traded[(seller.owner_id, quote)] += fill.notional
                trades.append(
                    (
                        uuid.uuid4(),
                        maker,
                        taker,
                        fill.taker_side,
                        fill.price,
                        fill.quantity,
                        fill.notional,
                        buyer_fee if buyer is maker else seller_fee,
                        buyer_fee if buyer is taker else seller_fee,
                    )
                )
        writes = Batch()
        _orders_update(list(self.changed.values()), now=now, writes=writes)
        _requests_sequence(self.requests, writes=writes)
        if trades:
            _trades_insert(market, trades, now=now, writes=writes)
            self._anchor(trades, now=now, writes=writes)
            volume_add(traded, now=now, writes=writes)
        if self.self_trades:
            SurveillanceEvent.objects.bulk_create(
                SurveillanceEvent(
                    kind=SurveillanceEvent.Kind.SELF_TRADE,
                    user_id=taker.owner_id,
                    market_id=market.pk,
                    detail={
                        "order": str(taker.public_id),
                        "cancelled": [str(m.public_id) for m in cancelled],
                    },
                )
                for taker, cancelled in self.self_trades
            )
        # Last: placements wait for these account locks until the batch commits.
        opens = defaultdict(int)  # {(owner, quote asset): change of what her orders may trade}
        for pk, order in self.changed.items():
            opens[(order.owner_id, quote)] += _open(order) - self.open_before[pk]
        self._post(
            reference=f"{market.symbol}:{first_seq}-{last_seq}", opens=opens, now=now, writes=writes
        )
        _market_update(market, writes=writes)
        with connection.cursor() as cursor:
            writes.send(cursor)

    def _post(self, *, reference: str, opens: dict, now, writes: Batch) -> None:
        """The batch's money moves as one journal entry, and the changes of what the owners'
        orders may still trade on their quote accounts (`open_notional`), under the accounts'
        locks."""
        moves = {key: amount for key, amount in self.deltas.items() if amount}
        opens = {key: amount for key, amount in opens.items() if amount}
        if not moves and not opens:
            return
        customers = {(owner, asset) for owner, asset, _ in moves if owner != Account.Kind.FEES}
        customers |= set(opens)
        system = {(owner, asset) for owner, asset, _ in moves if owner == Account.Kind.FEES}
        _journal_post(
            moves=moves,
            opens=opens,
            customers=customers,
            system=system,
            reference=reference,
            now=now,
            writes=writes,
        )

    def _records(self, trades: list[tuple]) -> list[dict]:
        """The anchor records of the trades: one `exchange.trades` leaf per taking order."""
        by_taker: dict = defaultdict(list)
        for trade in trades:
            by_taker[trade[2]].append(trade)
        symbol = self.market.symbol
        records = []
        for taker, taken in by_taker.items():
            taker_id = str(taker.public_id)
            records.append(
                {
                    "kind": "exchange.trades",
                    "ref": f"{symbol}:{taker_id}",
                    "version": 1,
                    "data": {
                        "market": symbol,
                        "trades": [
                            {
                                "id": str(public_id),
                                "price": str(price),
                                "quantity": str(quantity),
                                "takerSide": side,
                                "maker": str(maker.public_id),
                                "taker": taker_id,
                            }
                            for public_id, maker, _, side, price, quantity, *_ in taken
                        ],
                    },
                    "public": True,
                }
            )
        return records

    def _anchor(self, trades: list[tuple], *, now, writes: Batch) -> None:
        records = self._records(trades)
        # Each ref names a taking order, which takes once (when the matcher places it): the
        # leaves are new, so one INSERT (as anchor_record_new: a clash rolls the batch back).
        leaves = [anchor_leaf_columns(**record) for record in records]
        writes.add(
            f"INSERT INTO {ANCHOR_LEAF_TABLE} "  # noqa: S608 (table name)
            "(kind, ref, version, digest, envelope, is_public, created_at) "
            "SELECT v.kind, v.ref, v.version, v.digest, v.envelope, v.is_public, %s "
            "FROM unnest(%s::varchar[], %s::varchar[], %s::int[], %s::varchar[], "
            "%s::jsonb[], %s::boolean[]) AS v(kind, ref, version, digest, envelope, is_public)",
            [
                now,
                [leaf["kind"] for leaf in leaves],
                [leaf["ref"] for leaf in leaves],
                [leaf["version"] for leaf in leaves],
                [leaf["digest"] for leaf in leaves],
                [json.dumps(leaf["envelope"]) for leaf in leaves],
                [leaf["is_public"] for leaf in leaves],
            ],
        )


def _trades_insert(market: Market, trades: list[tuple], *, now, writes: Batch) -> None:
    """One INSERT for the batch's trades, in fill order."""
    columns = list(zip(*trades, strict=True))
    writes.add(
        f"INSERT INTO {Trade._meta.db_table} "  # noqa: S608 (table name)
        "(public_id, market_id, maker_order_id, taker_order_id, taker_side, price, quantity, "
        "notional, maker_fee, taker_fee, is_anchored, created_at) "
        "SELECT v.public_id, %s, v.maker, v.taker, v.side, v.price, v.quantity, v.notional, "
        "v.maker_fee, v.taker_fee, false, %s FROM unnest(%s::uuid[], %s::bigint[], "
        "%s::bigint[], %s::varchar[], %s::bigint[], %s::bigint[], %s::bigint[], "
        "%s::bigint[], %s::bigint[]) WITH ORDINALITY AS v(public_id, maker, taker, side, "
        "price, quantity, notional, maker_fee, taker_fee, n) ORDER BY v.n",
        [
            market.pk,
            now,
            list(columns[0]),
            [maker.pk for maker in columns[1]],
            [taker.pk for taker in columns[2]],
            *(list(column) for column in columns[3:]),
        ],
    )


def _journal_post(
    *, moves: dict, opens: dict, customers: set, system: set, reference: str, now, writes: Batch
) -> None:
    """`entry_post` of the batch's netted moves, without model instances: locks
    the accounts in primary-key order (creating missing ones through `accounts_lock`), in the
    round trip that sends the batch's writes so far; checks the entry balances per asset and
    leaves no customer balance below zero; then adds the entry, its postings and the balances
    as one statement to `writes`."""
    owners = sorted({owner for owner, _ in customers})
    assets = sorted({asset for _, asset in customers})
    system_kinds = sorted(system)
    sql = (
        f"SELECT id, owner_id, asset_id, kind, available, held FROM {Account._meta.db_table} "  # noqa: S608
        "WHERE (kind = 'customer' AND owner_id = ANY(%s::bigint[]) "
        "AND asset_id = ANY(%s::bigint[])) "
        "OR (owner_id IS NULL AND (kind, asset_id) IN "
        "(SELECT * FROM unnest(%s::varchar[], %s::bigint[]))) ORDER BY id FOR UPDATE"
    )
    params = with_arrays(
        [owners, assets, [k for k, _ in system_kinds], [a for _, a in system_kinds]]
    )
    with connection.cursor() as cursor:
        rows = writes.send(cursor, sql, params)
        found = {
            (owner if kind == Account.Kind.CUSTOMER else kind, asset): (pk, kind, available, held)
            for pk, owner, asset, kind, available, held in rows
        }
        if (customers | system) - set(found):
            accounts_lock(pairs=customers, system=system)  # creates the missing ones
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            found = {
                (owner if kind == Account.Kind.CUSTOMER else kind, asset): (pk, kind, avail, held)
                for pk, owner, asset, kind, avail, held in rows
            }
        sums: dict = defaultdict(int)
        deltas: dict = defaultdict(lambda: [0, 0, 0])  # available, held, open_notional
        postings = ([], [], [], [])  # account, asset, bucket, amount
        for (owner, asset, bucket), amount in moves.items():
            pk = found[(owner, asset)][0]
            sums[asset] += amount
            deltas[pk][0 if bucket == AVAILABLE else 1] += amount
            for column, value in zip(postings, (pk, asset, bucket, amount), strict=True):
                column.append(value)
        if any(sums.values()):
            raise ValueError(f"unbalanced journal entry match {reference}: {dict(sums)}")
        for key, amount in opens.items():
            deltas[found[key][0]][2] += amount
        balances = {pk: (kind, available, held) for pk, kind, available, held in found.values()}
        for pk, (available, held, _open_change) in deltas.items():
            kind, was_available, was_held = balances[pk]
            if kind == Account.Kind.CUSTOMER and (
                was_available + available < 0 or was_held + held < 0
            ):
                raise InsufficientFunds({"amount": _("Insufficient available balance.")})
        pks = list(deltas)
        update = (
            f"UPDATE {Account._meta.db_table} AS a "  # noqa: S608 (table names)
            "SET available = a.available + v.available, held = a.held + v.held, "
            "open_notional = a.open_notional + v.open "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) "
            "AS v(id, available, held, open) WHERE a.id = v.id"
        )
        changes = [pks, *([deltas[pk][n] for pk in pks] for n in range(3))]
        if not postings[0]:  # only what open orders may trade changed
            writes.add(update, changes)
            return
        writes.add(
            f"WITH e AS (INSERT INTO {JournalEntry._meta.db_table} "  # noqa: S608 (table names)
            "(public_id, kind, reference, created_at) VALUES (%s, 'match', %s, %s) RETURNING id), "
            f"p AS (INSERT INTO {Posting._meta.db_table} "
            "(entry_id, account_id, asset_id, bucket, amount) "
            "SELECT e.id, v.account, v.asset, v.bucket, v.amount FROM e, "
            "unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::bigint[]) "
            "AS v(account, asset, bucket, amount)) " + update,
            [uuid.uuid4(), reference, now, *postings, *changes],
        )


ORDER_COLUMNS = (
    ("status", "varchar"),
    ("cancel_reason", "varchar"),
    ("filled_quantity", "bigint"),
    ("filled_quote", "bigint"),
    ("held_remaining", "bigint"),
    ("seq", "bigint"),
)


def _orders_update(orders: list[_Live], *, now, writes: Batch) -> None:
    """One UPDATE for every changed order (UPDATE ... FROM unnest(arrays))."""
    if not orders:
        return
    names = [name for name, _ in ORDER_COLUMNS]
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in ORDER_COLUMNS)
    sets = ", ".join(f"{name} = v.{name}" for name in names)
    # Only the constant column names and types above are formatted in; the values are
    # parameters (an array per column).
    sql = (
        f"UPDATE exchange_order AS o SET {sets}, updated_at = %s "  # noqa: S608
        f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {', '.join(names)}) WHERE o.id = v.id"
    )
    columns = [[live.pk for live in orders]]
    columns += [[getattr(live, name) for live in orders] for name in names]
    writes.add(sql, [now, *columns])


def _requests_sequence(pairs: list[tuple[int, int]], *, writes: Batch) -> None:
    """Records the sequence number the matcher gave each request."""
    if not pairs:
        return
    writes.add(
        "UPDATE exchange_orderrequest AS r SET seq = v.seq "
        "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, seq) WHERE r.id = v.id",
        [[pk for pk, _ in pairs], [seq for _, seq in pairs]],
    )


def _market_update(market: Market, *, writes: Batch) -> None:
    """Writes the market's sequence and book version (one plain UPDATE)."""
    writes.add(
        f"UPDATE {Market._meta.db_table} SET last_seq = %s, book_version = %s WHERE id = %s",  # noqa: S608
        [market.last_seq, market.book_version, market.pk],
    )


def market_match_batch(*, market_pk: int, limit: int = BATCH) -> int:
    """Matches up to `limit` waiting requests of one market, in log order, as one transaction.

    Exactly one writer per market at a time (advisory lock + market row lock). Trades, fees,
    balance changes (one journal entry, netted per account and bucket), order states, anchor
    leaves of the trades (`exchange.trades`, one per taking order) and the requests' sequence
    numbers commit together or not at all. Returns how many requests it took (0: none waiting).
    """
    with transaction.atomic():
        market = _market_locked(market_pk)
        requests = _requests_waiting(market_pk, limit)
        if not requests:
            return 0
        try:
            state = _state_for(market)
            batch = _Batch(market, state)
            seq = market.last_seq
            for request in requests:
                seq += 1
                batch.requests.append((request.request_pk, seq))
                if request.action == CANCEL:
                    batch.cancel(request.pk)
                else:
                    batch.place(request, seq)
            first = market.last_seq + 1
            market.last_seq = seq
            market.book_version = uuid.uuid4()
            batch.write(first_seq=first, last_seq=seq)  # and the market's row
            state.version = market.book_version
        except BaseException:
            book_forget(market_pk)
            raise
    return len(requests)


def markets_match(*, market_pk: int, limit: int = BATCH) -> int:
    """Drains a market's waiting requests, batch after batch; returns how many it took.

    Inside a caller's transaction (inline matching) the batches run in it. Otherwise a
    session advisory lock makes this the market's only consumer: a second caller returns at
    once, and the consumer looks again after letting go, so a request committed meanwhile is
    never left waiting (its placer's wake-up either got the lock or came before that look).
    """
    total = 0
    if connection.in_atomic_block:
        return _drain(market_pk, limit)
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [CONSUMER_CLASS, market_pk])
            if not cursor.fetchone()[0]:
                return total
        try:
            total += _drain(market_pk, limit)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s); "
                    "SELECT EXISTS (SELECT 1 FROM exchange_orderrequest "
                    "WHERE market_id = %s AND seq IS NULL)",
                    [CONSUMER_CLASS, market_pk, market_pk],
                )
                waiting = cursor.fetchone()[0]
        if not waiting:
            return total


def _drain(market_pk: int, limit: int) -> int:
    """Batches until one takes less than `limit`: what it saw was all that was waiting (a
    request committed after it is the caller's second look's)."""
    total = 0
    while True:
        taken = market_match_batch(market_pk=market_pk, limit=limit)
        total += taken
        if taken < limit:
            return total


def market_close_book(*, market: Market, reason: str) -> int:
    """Cancels every order resting on the book of a locked market (caller holds lock_market)
    and releases their holds; returns how many."""
    state = _state_for(market)
    batch = _Batch(market, state)
    for pk in list(state.live):
        order = state.live.pop(pk)
        state.book.cancel(pk)
        batch.close(order, Order.Status.CANCELLED, reason)
    if not batch.changed:
        return 0
    market.book_version = uuid.uuid4()
    batch.write(first_seq=market.last_seq, last_seq=market.last_seq)  # and the market's row
    state.version = market.book_version
    return len(batch.changed)
