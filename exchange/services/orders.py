"""Order placement and cancellation; matching lives in `matching` (one writer per market).

Placement runs in any process, concurrently: it validates, holds the funds under the owner's
account row locks, counts the order against the KYC trading caps, and appends the order to
the market's input log (`OrderRequest`). Cancels append to the same log, so the matcher sees
placements and cancels in one order. What wakes the matcher is `EXCHANGE_MATCHING`:

- ``inline`` (default): the placing transaction runs the matcher itself before it commits, so
  callers see the order matched (no worker needed; placements of a market serialise);
- ``queue``: after commit, a Celery task on the ``matching`` queue drains the market;
- ``process``: nothing; a dedicated ``manage.py exchange_matcher`` process drains the log.
"""

import logging
import os
import threading
import uuid
import weakref
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from busanhub.sql import array_literal
from exchange import conf, engine, limits
from exchange.models import Account, Market, Order, OrderRequest, SurveillanceEvent

from .kyc import kyc_level_sql, no_kyc_error
from .ledger import accounts_lock
from .matching import book_forget, lock_market, market_close_book, markets_match
from .volume import windows

logger = logging.getLogger(__name__)

__all__ = [
    "account_set_frozen",
    "book_forget",
    "market_set_status",
    "order_cancel",
    "order_place",
    "orders_cancel_all",
]


def _mode() -> str:
    mode = conf.get("EXCHANGE_MATCHING")
    if mode not in ("inline", "queue", "process"):
        raise RuntimeError(f"EXCHANGE_MATCHING is inline, queue or process, not {mode!r}")
    return mode


def _wake(market_pk: int, mode: str | None = None) -> None:
    """Has the market's matcher take what the current transaction appended to its log
    (`mode`: EXCHANGE_MATCHING, when the caller has read it)."""
    mode = mode or _mode()
    if mode == "inline":
        markets_match(market_pk=market_pk)
    elif mode == "queue":
        from exchange.tasks import match_market

        transaction.on_commit(lambda: match_market.delay(market_pk))


def _validate(
    *, market, side, kind, price, quantity, quote_amount, time_in_force, post_only
) -> None:
    errors = {}
    if side not in _SIDES:
        errors["side"] = _("Side is buy or sell.")
    if kind not in _KINDS:
        errors["type"] = _("Type is limit or market.")
    if time_in_force not in _TIME_IN_FORCE:
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


def _market_buy_estimate(*, market_pk: int, scale: int, user, quantity: int) -> int | None:
    """What buying `quantity` at market costs against the resting asks now (own excluded),
    from the database; None if the book is too thin."""
    need, cost = quantity, 0
    asks = (
        Order.objects.filter(
            market_id=market_pk, side=Order.Side.SELL, status__in=Order.OPEN_STATUSES
        )
        .exclude(owner=user)
        .order_by("price", "seq")
        .values_list("price", "quantity", "filled_quantity")
    )
    for price, total, filled in asks.iterator(chunk_size=200):
        take = min(need, total - filled)
        cost += price * take // scale
        need -= take
        if need == 0:
            return cost
    return None


# ORDER BY ... LIMIT 1, not MAX(): the planner turns MAX into a read of the index's last entry
# only when the table's statistics say so; without them (a fresh or fast-growing table) it
# aggregated every resting bid: 15 ms with 8,000 resting, on every market sell.
BEST_BID_SQL = """
SELECT price FROM exchange_order
WHERE market_id = %s AND side = 'buy' AND status IN ('open', 'partial')
ORDER BY price DESC LIMIT 1
"""


def _best_bid(market_pk: int) -> int | None:
    """The highest resting bid (the last entry of the book's index; plain SQL: a market sell
    asks this on every placement, and building the ORM's query cost more than running it)."""
    with connection.cursor() as cursor:
        cursor.execute(BEST_BID_SQL, [market_pk])
        row = cursor.fetchone()
    return None if row is None else row[0]


# --- placement: one round trip, grouped ----------------------------------------------------
#
# Placement is the hot path of every market, so it is one round trip of two prepared
# statements sent together, and no model instance is built until the answer. Outside a
# caller's transaction the two run as one implicit transaction: no BEGIN, no COMMIT. The
# statements are prepared once per connection: planning them costs more than running them.
#
# The statements take a group of placements in one market (arrays, one element per order;
# distinct owners): a process's concurrent placements share the round trip and the commit
# (group commit, `_Group`), and a lone placement is a group of one. Each order is decided on
# its own: one order's refusal does not touch another's.
#
# The first locks the owners' accounts of the market (pk order, as accounts_lock: no
# deadlocks). The second starts after the locks are held, so its snapshot holds every
# placement, match and freeze committed before (a single statement would read the cap with
# a snapshot taken before waiting for the locks, and two placements could share the room).
# It checks what Python could not: the market's facts Python validated against are still the
# committed ones and the market is open, each owner's KYC level, hold account (frozen,
# balance) and trading cap. Then it writes the orders that pass, their holds (journal entry,
# postings, balance change) and their log entries in the group's order; the client order id's
# unique index decides duplicates (ON CONFLICT DO NOTHING: no exception, so a caller's
# transaction stays usable). It answers with each order's outcome and id. No model
# validation: every value is built and checked by _order_build, and the database holds the
# invariants (balances and held amounts not negative, postings non-zero, unique public ids
# and client order ids).
#
# The cap reads the owner's TradedVolume rows (a few per hour and day traded) and what her
# active orders may still trade from her quote account (`open_notional`, which this statement
# raises by the order's notional and the matcher lowers as orders fill and end): a few rows,
# however many orders she has open.
PLACE_LOCK_SQL = """
SELECT 1 FROM exchange_account
WHERE kind = 'customer' AND owner_id = ANY ($1) AND asset_id IN ($2, $3)
ORDER BY id
FOR UPDATE
"""
PLACE_TYPES = (
    # the market's facts, the time and its cap windows, the caps by KYC level
    "bigint, timestamptz, bigint, bigint, bigint, bigint, bigint, integer, boolean, "
    "timestamptz, timestamptz, bigint[], bigint[], "
    # one element per order, each array one literal (busanhub.sql.array_literal)
    "bigint[], uuid[], text[], text[], text[], text[], boolean[], bigint[], bigint[], "
    "bigint[], bigint[], bigint[], text[], bigint[]"
)
PLACE_SQL = """
WITH req AS (
    SELECT * FROM unnest($14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)
        WITH ORDINALITY AS r(owner, public_id, client_order_id, side, kind, tif, post_only,
            price, quantity, quote_amount, held, notional, stp, hold_asset, n)
), market AS (
    SELECT m.status = 'open' AND m.tick_size = $3 AND m.lot_size = $4
        AND m.min_notional = $5 AND m.base_id = $6 AND m.quote_id = $7
        AND base.decimals = $8 AND (quote.symbol = 'KRW') = $9 AS fresh
    FROM exchange_market AS m
    JOIN exchange_asset AS base ON base.id = m.base_id
    JOIN exchange_asset AS quote ON quote.id = m.quote_id
    WHERE m.id = $1
), checks AS MATERIALIZED (
    SELECT r.*, a.id AS hold_account, a.is_frozen AS frozen, a.available,
        (SELECT COUNT(*) FROM exchange_account AS b
            WHERE b.kind = 'customer' AND b.owner_id = r.owner AND b.asset_id IN ($6, $7)
        ) AS found,
        GREATEST(LEAST({kyc_level}, cardinality($12)), 0)::integer AS level,
        volume.day, volume.month, q.id AS quote_account, q.open_notional AS open
    FROM req AS r
    LEFT JOIN exchange_account AS a
        ON a.kind = 'customer' AND a.owner_id = r.owner AND a.asset_id = r.hold_asset
    LEFT JOIN exchange_account AS q
        ON q.kind = 'customer' AND q.owner_id = r.owner AND q.asset_id = $7
    CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(v.volume) FILTER (WHERE v.span = 'hour'), 0) AS day,
               COALESCE(SUM(v.volume) FILTER (WHERE v.span = 'day'), 0) AS month
        FROM exchange_tradedvolume AS v
        WHERE $9 AND v.owner_id = r.owner AND v.asset_id = $7
            AND ((v.span = 'hour' AND v.start >= $10) OR (v.span = 'day' AND v.start >= $11))
    ) AS volume
), decision AS MATERIALIZED (
    SELECT c.*, CASE
            WHEN NOT COALESCE((SELECT fresh FROM market), false) THEN 'stale'
            WHEN c.level <= 0 THEN 'no_kyc'
            WHEN c.found < 2 THEN 'no_accounts'
            WHEN c.frozen THEN 'frozen'
            WHEN c.available < c.held THEN 'insufficient'
            WHEN $9 AND (c.day + c.open + c.notional > $12[c.level]
                OR c.month + c.open + c.notional > $13[c.level]) THEN 'over_limit'
            ELSE 'ok'
        END AS outcome
    FROM checks AS c
), placed AS (
    INSERT INTO exchange_order (public_id, owner_id, market_id, client_order_id, side, kind,
        time_in_force, post_only, price, quantity, quote_amount, filled_quantity, filled_quote,
        held_remaining, notional, stp, status, cancel_reason, seq, created_at, updated_at)
    SELECT d.public_id, d.owner, $1, d.client_order_id, d.side, d.kind, d.tif, d.post_only,
        d.price, d.quantity, d.quote_amount, 0, 0, d.held, d.notional, d.stp, 'pending', '',
        NULL, $2, $2
    FROM decision AS d WHERE d.outcome = 'ok' ORDER BY d.n
    ON CONFLICT (owner_id, client_order_id) WHERE NOT (client_order_id = '') DO NOTHING
    RETURNING id, public_id
), done AS MATERIALIZED (
    SELECT d.*, p.id AS order_id FROM decision AS d JOIN placed AS p ON p.public_id = d.public_id
), request AS (
    INSERT INTO exchange_orderrequest (market_id, order_id, action, created_at)
    SELECT $1, done.order_id, 'place', $2 FROM done ORDER BY done.n
), entry AS (
    INSERT INTO exchange_journalentry (public_id, kind, reference, created_at)
    SELECT gen_random_uuid(), 'hold', done.public_id::text, $2 FROM done
    RETURNING id, reference
), postings AS (
    INSERT INTO exchange_posting (entry_id, account_id, asset_id, bucket, amount)
    SELECT entry.id, done.hold_account, done.hold_asset, line.bucket, line.sign * done.held
    FROM entry JOIN done ON done.public_id::text = entry.reference,
        (VALUES ('available', -1), ('held', 1)) AS line(bucket, sign)
    WHERE done.held <> 0
), moves AS (
    SELECT account, SUM(available)::bigint AS available, SUM(held)::bigint AS held,
        SUM(open)::bigint AS open
    FROM (
        SELECT done.hold_account, -done.held, done.held, 0 FROM done
        UNION ALL
        SELECT done.quote_account, 0, 0, done.notional FROM done
    ) AS move(account, available, held, open)
    GROUP BY account
), balance AS (
    UPDATE exchange_account AS a
    SET available = a.available + moves.available, held = a.held + moves.held,
        open_notional = a.open_notional + moves.open
    FROM moves WHERE a.id = moves.account
)
SELECT decision.outcome, done.order_id
FROM decision LEFT JOIN done ON done.n = decision.n
ORDER BY decision.n
"""

# Cancels (queued or process matching), in one statement over arrays (a group
# of concurrent cancels, `_Group`; a lone cancel is a group of one): each order's row, and its
# cancel request in the market's log only if the order is the asker's and active. The rows
# come back either way (every column, for Order.from_db), so the refusals (another user's
# order, no longer active) are named from the very row the insert was decided on.
_ORDER_ATTNAMES = [field.attname for field in Order._meta.concrete_fields]
_ORDER_COLUMNS = ", ".join(f"o.{field.column}" for field in Order._meta.concrete_fields)
CANCEL_SQL = f"""
WITH target AS (
    SELECT r.n, r.asker, o.*
    FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS r(id, asker, n),
    -- a primary-key lookup per cancel, whatever the plan was made on (OFFSET 0 keeps the
    -- planner from turning it into a join that may scan the whole table)
    LATERAL (SELECT {_ORDER_COLUMNS} FROM exchange_order AS o WHERE o.id = r.id OFFSET 0) AS o
), request AS (
    INSERT INTO exchange_orderrequest (market_id, order_id, action, seq, created_at)
    SELECT target.market_id, target.id, 'cancel', NULL, $3 FROM target
    WHERE target.owner_id = target.asker AND target.status IN ('pending', 'open', 'partial')
    ORDER BY target.n
)
SELECT {", ".join(f"target.{field.column}" for field in Order._meta.concrete_fields)}, target.n
FROM target
"""  # noqa: S608 (column names)

# The KYC levels' trading caps as arrays indexed by level (1, 2, ...); a level above the
# highest known gets the highest's caps.
_LEVELS = sorted(limits.LEVELS)
assert list(range(1, len(_LEVELS) + 1)) == _LEVELS, "KYC levels are 1, 2, ..."
CAPS_24H = [limits.LEVELS[level].trade_24h for level in _LEVELS]
CAPS_30D = [limits.LEVELS[level].trade_30d for level in _LEVELS]

# Sent before the prepared statements: a generic plan, planned once per connection. A custom
# one (the default mode's choice, as it knows each group's size) would plan the statement on
# every run. Local: for the statement's transaction only.
GENERIC_PLAN = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true); "

_prepared = weakref.WeakSet()  # the database connections where the statements are prepared


def _prepare(cursor) -> None:
    # Prepared statements belong to the session and survive rollbacks.
    raw = cursor.connection
    if raw in _prepared:
        return
    place = PLACE_SQL.replace("{kyc_level}", kyc_level_sql(holder="r.owner", now="$2"))
    cursor.execute(f"PREPARE exchange_place_lock (bigint[], bigint, bigint) AS {PLACE_LOCK_SQL}")
    cursor.execute(f"PREPARE exchange_place ({PLACE_TYPES}) AS {place}")
    cursor.execute(f"PREPARE exchange_cancel (bigint[], bigint[], timestamptz) AS {CANCEL_SQL}")
    _prepared.add(raw)


@dataclass(frozen=True)
class _Facts:
    """The market's facts placement validates against: read from the market's row under the
    market's lock (inline matching), or from a per-process cache that PLACE_SQL checks against
    the committed row."""

    status: str
    tick_size: int
    lot_size: int
    min_notional: int
    base_id: int
    quote_id: int
    decimals: int
    quote_symbol: str

    @property
    def scale(self) -> int:
        return 10**self.decimals


def _facts_of(market: Market) -> _Facts:
    return _Facts(
        status=market.status,
        tick_size=market.tick_size,
        lot_size=market.lot_size,
        min_notional=market.min_notional,
        base_id=market.base_id,
        quote_id=market.quote_id,
        decimals=market.base.decimals,
        quote_symbol=market.quote.symbol,
    )


_facts_cache: dict[int, _Facts] = {}


def _facts_cached(market_pk: int, *, refresh: bool = False) -> _Facts:
    """The market's facts as this process last read them (`refresh`: read them now). Never
    trusted alone: PLACE_SQL refuses ("stale") to write against facts that are not the
    committed ones, and a refusal the cached facts give is asked again of fresh ones."""
    facts = None if refresh else _facts_cache.get(market_pk)
    if facts is None:
        market = Market.objects.select_related("base", "quote").get(pk=market_pk)
        facts = _facts_cache[market_pk] = _facts_of(market)
    return facts


_SIDES = frozenset(Order.Side.values)
_KINDS = frozenset(Order.Kind.values)
_TIME_IN_FORCE = frozenset(Order.TimeInForce.values)
_STP = frozenset(Order.SelfTrade.values)


def _order_build(*, user, market_pk: int, facts: _Facts, now, **fields) -> tuple[Order, int]:
    """Validates an order against the market's facts and builds it (not saved) with the funds
    it holds; returns it and the asset it holds. Refusals name the field."""
    side, kind, quantity = fields["side"], fields["kind"], fields["quantity"]
    price, quote_amount = fields["price"], fields["quote_amount"]
    _validate(
        market=facts,
        side=side,
        kind=kind,
        price=price,
        quantity=quantity,
        quote_amount=quote_amount,
        time_in_force=fields["time_in_force"],
        post_only=fields["post_only"],
    )
    if fields["stp"] not in _STP:
        raise ValidationError(
            {"stp": _("Self-trade prevention is cancel_resting or cancel_taker.")}
        )
    if facts.status != Market.Status.OPEN:
        message = _("The market is not open for trading.")
        raise ValidationError({"market": ValidationError(message, code="halted")})
    base, quote, scale = facts.base_id, facts.quote_id, facts.scale
    by_quote = kind == Order.Kind.MARKET and side == Order.Side.BUY and not quantity
    if side == Order.Side.SELL:
        hold_asset, hold = base, quantity
    elif kind == Order.Kind.LIMIT:
        hold_asset, hold = quote, price * quantity // scale
    elif by_quote:
        hold_asset, hold = quote, quote_amount
    else:
        hold_asset = quote
        hold = _market_buy_estimate(market_pk=market_pk, scale=scale, user=user, quantity=quantity)
        if hold is None:
            raise ValidationError({"quantity": _("Not enough liquidity for a market buy.")})
    if hold_asset == quote:
        notional = hold
    elif kind == Order.Kind.LIMIT:
        notional = price * quantity // scale
    else:
        notional = (_best_bid(market_pk) or 0) * quantity // scale
    order = _order_new(
        public_id=uuid.uuid4(),
        owner_id=user.pk,
        market_id=market_pk,
        client_order_id=fields["client_order_id"],
        side=side,
        kind=kind,
        time_in_force=fields["time_in_force"],
        post_only=fields["post_only"],
        stp=fields["stp"],
        price=price,
        quantity=quantity,
        quote_amount=quote_amount,
        held_remaining=hold,
        notional=notional,
        status=Order.Status.PENDING,
        created_at=now,
        updated_at=now,
    )
    Order.owner.field.set_cached_value(order, user)
    return order, hold_asset


# Every column of a new order, by position: the model's defaults (no primary key, no public
# id: each order gets its own), for _order_new to fill.
_ORDER_FIELDS = Order._meta.concrete_fields
_ORDER_POSITION = {field.attname: n for n, field in enumerate(_ORDER_FIELDS)}
_ORDER_BLANK = tuple(
    None if field.primary_key or field.name == "public_id" else field.get_default()
    for field in _ORDER_FIELDS
)


def _order_new(**values) -> Order:
    """A new Order (not saved) from column values by attname, the rest the model's defaults.
    Positional, as Model.from_db builds instances: faster than keywords, which go through every
    field's descriptor (11 µs instead of 18 here)."""
    args = list(_ORDER_BLANK)
    for name, value in values.items():
        args[_ORDER_POSITION[name]] = value
    return Order(*args)


def _signal() -> threading.Lock:
    """A one-shot signal: a held lock that its waiter acquires and the setter releases (one
    futex wake; an Event's set goes through a Condition and its lock as well)."""
    signal = threading.Lock()
    signal.acquire()
    return signal


@dataclass(eq=False)
class _Ticket:
    """A built order waiting for its group: the facts it was validated against and the asset
    it holds; then its outcome (None: its group failed, and it is placed again alone)."""

    order: Order
    facts: _Facts
    hold_asset: int
    outcome: str | None = None
    lead: bool = False  # woken to lead the next group, not with an outcome
    ready: threading.Lock = field(default_factory=_signal)


def _place_rows(tickets: list[_Ticket]) -> None:
    """Runs PLACE_LOCK_SQL and PLACE_SQL for `tickets` (one market, the same facts, distinct
    owners) in one round trip on this thread's connection; sets each ticket's outcome ("ok":
    written, and its order is now the stored row)."""
    facts = tickets[0].facts
    now = timezone.now()
    day_from, month_from = windows(now)
    columns: tuple[list, ...] = tuple([] for _ in range(14))
    for ticket in tickets:
        order = ticket.order
        order.created_at = order.updated_at = now
        values = (
            order.owner_id,
            order.public_id,
            order.client_order_id,
            order.side,
            order.kind,
            order.time_in_force,
            order.post_only,
            order.price,
            order.quantity,
            order.quote_amount,
            order.held_remaining,
            order.notional,
            order.stp,
            ticket.hold_asset,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    arrays = [array_literal(column) for column in columns]
    params = [
        tickets[0].order.market_id,
        now,
        facts.tick_size,
        facts.lot_size,
        facts.min_notional,
        facts.base_id,
        facts.quote_id,
        facts.decimals,
        facts.quote_symbol == "KRW",
        day_from,
        month_from,
        array_literal(CAPS_24H),
        array_literal(CAPS_30D),
        *arrays,
    ]
    with connection.cursor() as cursor:
        _prepare(cursor)
        cursor.execute(
            GENERIC_PLAN
            + "EXECUTE exchange_place_lock (%s, %s, %s); EXECUTE exchange_place ("
            + ", ".join(["%s"] * len(params))
            + ")",
            [arrays[0], facts.base_id, facts.quote_id, *params],
        )
        rows = cursor.fetchall()
        alias = cursor.db.alias
    for ticket, (outcome, pk) in zip(tickets, rows, strict=True):
        if pk is not None:
            ticket.order.pk = pk
            ticket.order._state.adding = False
            ticket.order._state.db = alias
        ticket.outcome = "duplicate" if outcome == "ok" and pk is None else outcome


class _Group:
    """Group commit for statements outside a transaction: what a process's threads send at the
    same moment goes to the database as one statement (`run` over a list of tickets), sharing
    its round trip and its commit. The first waiting thread leads: it takes up to MAX waiting
    tickets with the first one's `key`, no two with the same `exclusive` value (placements: one
    market, distinct owners, so an owner's second placement waits for the next group), runs
    them on its connection, wakes their threads and hands the lead to the next waiting thread.
    Each ticket gets its own outcome, only after the commit that holds it. A group that fails
    (a database error) leaves its tickets' outcome None: each thread then runs its own alone,
    so the error reaches its own caller."""

    MAX = 32

    def __init__(self, run, *, key, exclusive, what: str):
        self._run, self._key, self._exclusive, self._what = run, key, exclusive, what
        self._lock = threading.Lock()
        self._waiting: list = []
        self._leading = False

    def submit(self, ticket) -> None:
        """Runs `ticket`: with the other threads' tickets of the moment, or alone inside a
        caller's transaction or when its group failed. Its outcome is set after."""
        if not connection.in_atomic_block:
            self.place(ticket)
        if ticket.outcome is None:
            self._run([ticket])

    def place(self, ticket) -> None:
        with self._lock:
            self._waiting.append(ticket)
            lead, self._leading = not self._leading, True
        if not lead:
            ticket.ready.acquire()  # released once: outcome set, or the lead handed on
            if not ticket.lead:
                return  # placed by the leader
        group = []
        try:
            with self._lock:
                group = self._take()  # holds `ticket`: it is the first waiting
            self._run(group)
        except Exception:
            logger.warning("a %s group of %d failed; running one by one", self._what, len(group))
            for member in group:
                member.outcome = None
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting[0].lead = True
                    self._waiting[0].ready.release()
                else:
                    self._leading = False
            for member in group:
                if member is not ticket:
                    member.ready.release()

    def _take(self) -> list:
        key = self._key(self._waiting[0])
        group, taken, rest = [], set(), []
        for ticket in self._waiting:
            exclusive = self._exclusive(ticket)
            if len(group) < self.MAX and self._key(ticket) == key and exclusive not in taken:
                group.append(ticket)
                if exclusive is not None:
                    taken.add(exclusive)
            else:
                rest.append(ticket)
        self._waiting = rest
        return group

    def reset(self) -> None:
        """A forked child starts with no group (its parent's threads are not in it)."""
        self._lock = threading.Lock()
        self._waiting, self._leading = [], False


_group = _Group(
    _place_rows,
    key=lambda ticket: (ticket.order.market_id, ticket.facts),
    exclusive=lambda ticket: ticket.order.owner_id,
    what="placement",
)
os.register_at_fork(after_in_child=_group.reset)


def _place_statement(order: Order, *, facts: _Facts, hold_asset: int) -> str:
    """Places `order` by PLACE_SQL: with other threads' placements of the moment (`_Group`),
    or alone inside a caller's transaction. Returns the outcome."""
    ticket = _Ticket(order=order, facts=facts, hold_asset=hold_asset)
    _group.submit(ticket)
    return ticket.outcome


def _over_limit() -> ValidationError:
    message = _("This order would pass your trading limit for your KYC level.")
    return ValidationError({"quantity": ValidationError(message, code="over_limit")})


def _client_order_id_used() -> ValidationError:
    message = _("This client order id is already used.")
    return ValidationError({"client_order_id": ValidationError(message, code="unique")})


def _frozen() -> ValidationError:
    message = _("Your account is frozen.")
    return ValidationError({"account": ValidationError(message, code="frozen")})


def _insufficient() -> ValidationError:
    message = _("Insufficient available balance.")
    return ValidationError({"quantity": ValidationError(message, code="insufficient_funds")})


_REFUSALS = {
    "no_kyc": no_kyc_error,
    "frozen": _frozen,
    "insufficient": _insufficient,
    "over_limit": _over_limit,
    "duplicate": _client_order_id_used,
}


def _place_by_statement(*, user, market_pk: int, facts: _Facts, fresh: bool, **fields) -> Order:
    """Placement: builds the order against `facts` and runs _place_statement.
    Facts not `fresh` (the cache) are read again when they refuse the order or PLACE_SQL
    finds them stale; the owner's first order in the market opens her accounts first."""
    for _attempt in range(4):
        now = timezone.now()
        try:
            order, hold_asset = _order_build(
                user=user, market_pk=market_pk, facts=facts, now=now, **fields
            )
        except ValidationError:
            if fresh:
                raise
            facts, fresh = _facts_cached(market_pk, refresh=True), True
            continue
        outcome = _place_statement(order, facts=facts, hold_asset=hold_asset)
        if outcome == "ok":
            return order
        if outcome == "stale":
            facts, fresh = _facts_cached(market_pk, refresh=True), True
        elif outcome == "no_accounts":
            with transaction.atomic():
                accounts_lock(pairs=[(user.pk, facts.base_id), (user.pk, facts.quote_id)])
        else:
            raise _REFUSALS[outcome]()
    raise RuntimeError(f"placement in market {market_pk} did not settle")  # facts keep changing


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
    """Accepts an order: holds its funds and appends it to the market's log for the matcher.

    Atomic: the order, its hold (a journal entry) and its log entry commit together; refused
    input (ValidationError naming the field: tick, lot, minimum notional, balance, KYC, trading
    cap, market not open, frozen account, duplicate client order id) changes nothing. Safe to
    call concurrently: the owner's accounts of the market are row-locked while the funds and
    the caps are checked. The market's status and steps that decide are the committed ones.
    The order is `pending` until the matcher takes it (at once when EXCHANGE_MATCHING is
    inline); the matcher anchors its trades (`exchange.trades`).

    With queued or process matching: one round trip (PLACE_LOCK_SQL and PLACE_SQL), its own
    transaction unless the caller has one. Inline: the same statements in a transaction that
    holds the market's lock and runs the matcher. A caller who is not signed in is refused as
    one without KYC.
    """
    fields = {
        "side": side,
        "kind": kind,
        "price": price,
        "quantity": quantity,
        "quote_amount": quote_amount,
        "time_in_force": time_in_force,
        "post_only": post_only,
        "client_order_id": client_order_id,
        "stp": stp,
    }
    mode = _mode()
    if not getattr(user, "is_authenticated", False):  # no KYC credential without a user
        raise no_kyc_error()
    if mode != "inline":
        order = _place_by_statement(
            user=user, market_pk=market.pk, facts=_facts_cached(market.pk), fresh=False, **fields
        )
        _wake(market.pk, mode)
        return order
    with transaction.atomic():
        # The matcher runs in this transaction: take the market first, accounts second, the
        # order every writer uses (no deadlock with another placement's matcher).
        market = lock_market(market.pk)
        order = _place_by_statement(
            user=user, market_pk=market.pk, facts=_facts_of(market), fresh=True, **fields
        )
        _wake(market.pk, mode)
        order.refresh_from_db()
        return order


@dataclass(eq=False)
class _CancelTicket:
    """A cancel waiting for its group; then the order's row as the statement read it (None:
    no such order) and an outcome (None: its group failed, and it runs again alone)."""

    order_pk: int
    asker: int
    row: tuple | None = None
    outcome: str | None = None
    lead: bool = False
    ready: threading.Lock = field(default_factory=_signal)


def _cancel_rows(tickets: list[_CancelTicket]) -> None:
    """Runs CANCEL_SQL for `tickets` in one round trip on this thread's connection."""
    with connection.cursor() as cursor:
        _prepare(cursor)
        cursor.execute(
            GENERIC_PLAN + "EXECUTE exchange_cancel (%s, %s, %s)",
            [
                array_literal(t.order_pk for t in tickets),
                array_literal(t.asker for t in tickets),
                timezone.now(),
            ],
        )
        rows = {row[-1]: row[:-1] for row in cursor.fetchall()}
    for n, ticket in enumerate(tickets, 1):
        ticket.row, ticket.outcome = rows.get(n), "done"


_cancels = _Group(
    _cancel_rows, key=lambda ticket: None, exclusive=lambda ticket: None, what="cancel"
)
os.register_at_fork(after_in_child=_cancels.reset)


def _cancel_statement(*, user, order: Order, mode: str) -> Order:
    """order_cancel without inline matching: CANCEL_SQL, with other threads'
    cancels of the moment (`_Group`), or alone inside a caller's transaction."""
    ticket = _CancelTicket(order_pk=order.pk, asker=user.pk)
    _cancels.submit(ticket)
    row = ticket.row
    cancelled = None if row is None else Order.from_db(connection.alias, _ORDER_ATTNAMES, row)
    # the statement's own conditions: nothing was inserted in these two cases
    if cancelled is None or cancelled.owner_id != user.pk:
        raise ValidationError({"order": ValidationError(_("No such order."), code="not_found")})
    if cancelled.status not in Order.ACTIVE_STATUSES:
        raise ValidationError(
            {"order": ValidationError(_("The order is not open any more."), code="not_open")}
        )
    if Order.market.is_cached(order) and order.market_id == cancelled.market_id:
        cancelled.market = order.market
    _wake(cancelled.market_id, mode)  # queue: the market's task after commit; process: nothing
    return cancelled


def order_cancel(*, user, order: Order, reason: str = "user") -> Order:
    """Asks the market's matcher to cancel one active order of `user` (it releases the hold).

    Atomic; the request joins the market's log after everything placed before it. With inline
    matching the order comes back cancelled; otherwise it stays active until the matcher takes
    the request. Cancelling another user's order or one that is no longer active is refused
    and changes nothing. Unless matching is inline: one prepared statement (CANCEL_SQL), its
    own transaction unless the caller has one.
    """
    mode = _mode()
    if mode != "inline":
        return _cancel_statement(user=user, order=order, mode=mode)
    with transaction.atomic():
        return _cancel_inline(user=user, order=order)


def _cancel_inline(*, user, order: Order) -> Order:
    """order_cancel with inline matching: the cancel request and the matcher that takes it in
    one transaction, under the market's lock."""
    order = Order.objects.select_related("market").get(pk=order.pk)
    if order.owner_id != user.pk:
        raise ValidationError({"order": ValidationError(_("No such order."), code="not_found")})
    if order.status not in Order.ACTIVE_STATUSES:
        raise ValidationError(
            {"order": ValidationError(_("The order is not open any more."), code="not_open")}
        )
    lock_market(order.market_id)
    OrderRequest.objects.create(
        market_id=order.market_id, order=order, action=OrderRequest.Action.CANCEL
    )
    _wake(order.market_id, "inline")
    order.refresh_from_db()
    return order


@transaction.atomic
def orders_cancel_all(*, user, market: Market) -> int:
    """Asks the matcher to cancel every active order of `user` in `market`; returns how many.
    Atomic: all the requests join the market's log together."""
    if _mode() == "inline":
        lock_market(market.pk)
    pks = list(
        Order.objects.filter(
            owner=user, market=market, status__in=Order.ACTIVE_STATUSES
        ).values_list("pk", flat=True)
    )
    if not pks:
        return 0
    OrderRequest.objects.bulk_create(
        OrderRequest(market_id=market.pk, order_id=pk, action=OrderRequest.Action.CANCEL)
        for pk in pks
    )
    _wake(market.pk)
    if len(pks) >= 10:
        SurveillanceEvent.objects.create(
            kind=SurveillanceEvent.Kind.CANCEL_ALL,
            user=user,
            market=market,
            detail={"count": len(pks)},
        )
    return len(pks)


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
