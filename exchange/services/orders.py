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

import os
import threading
import uuid
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psycopg2 import sql as pgsql

from busanhub.db import Group, PreparedStatement, array_literal, execute_together, signal
from exchange import conf, engine, limits
from exchange.models import Account, Market, Order, OrderRequest, SurveillanceEvent

from .kyc import no_kyc_error
from .ledger import accounts_lock
from .matching import book_forget, lock_market, market_close_book, markets_match
from .volume import windows

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
# (group commit, busanhub.db.Group), and a lone placement is a group of one. Each order is
# decided on its own: one order's refusal does not touch another's.
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
_SQL = Path(__file__).resolve().parent.parent / "sql"
PLACE_TYPES = (
    # the market's facts, the time and its cap windows, the caps by KYC level
    ("market", "bigint"),
    ("now", "timestamptz"),
    ("tick_size", "bigint"),
    ("lot_size", "bigint"),
    ("min_notional", "bigint"),
    ("base", "bigint"),
    ("quote", "bigint"),
    ("decimals", "integer"),
    ("is_krw", "boolean"),
    ("day_from", "timestamptz"),
    ("month_from", "timestamptz"),
    ("caps_24h", "bigint[]"),
    ("caps_30d", "bigint[]"),
    # one element per order
    ("owners", "bigint[]"),
    ("public_ids", "uuid[]"),
    ("client_order_ids", "text[]"),
    ("sides", "text[]"),
    ("kinds", "text[]"),
    ("time_in_forces", "text[]"),
    ("post_onlys", "boolean[]"),
    ("prices", "bigint[]"),
    ("quantities", "bigint[]"),
    ("quote_amounts", "bigint[]"),
    ("helds", "bigint[]"),
    ("notionals", "bigint[]"),
    ("stps", "text[]"),
    ("hold_assets", "bigint[]"),
)


class PlaceOutcome(NamedTuple):
    outcome: str  # ok, stale, no_kyc, no_accounts, frozen, insufficient, over_limit
    order_id: int | None  # None: not written (refused, or a duplicate client order id)


PLACE_LOCK = PreparedStatement(
    "exchange_place_lock",
    (_SQL / "place_lock.sql").read_text(),
    params=[("owners", "bigint[]"), ("base", "bigint"), ("quote", "bigint")],
    generic_plan=True,
)
PLACE = PreparedStatement(
    "exchange_place",
    (_SQL / "place.sql").read_text(),
    params=PLACE_TYPES,
    row=PlaceOutcome,
    generic_plan=True,
)

# Cancels (queued or process matching), in one statement over arrays (a group of concurrent
# cancels, busanhub.db.Group; a lone cancel is a group of one): each order's row, and its
# cancel request in the market's log only if the order is the asker's and active. The rows
# come back either way (every column, for Order.from_db), so the refusals (another user's
# order, no longer active) are named from the very row the insert was decided on.
_ORDER_ATTNAMES = [field.attname for field in Order._meta.concrete_fields]


def _order_columns(alias: str) -> pgsql.Composable:
    return pgsql.SQL(", ").join(
        pgsql.Identifier(alias, field.column) for field in Order._meta.concrete_fields
    )


CANCEL_SQL = pgsql.SQL("""
WITH target AS (
    SELECT r.n, r.asker, o.*
    FROM unnest(%(orders)s::bigint[], %(askers)s::bigint[]) WITH ORDINALITY AS r(id, asker, n),
    -- a primary-key lookup per cancel, whatever the plan was made on (OFFSET 0 keeps the
    -- planner from turning it into a join that may scan the whole table)
    LATERAL (SELECT {order_columns} FROM {order} AS o WHERE o.id = r.id OFFSET 0) AS o
), request AS (
    INSERT INTO {request} (market_id, order_id, action, seq, created_at)
    SELECT target.market_id, target.id, 'cancel', NULL, %(now)s FROM target
    WHERE target.owner_id = target.asker AND target.status IN ('pending', 'open', 'partial')
    ORDER BY target.n
)
SELECT {target_columns}, target.n
FROM target
""").format(
    order_columns=_order_columns("o"),
    order=pgsql.Identifier(Order._meta.db_table),
    request=pgsql.Identifier(OrderRequest._meta.db_table),
    target_columns=_order_columns("target"),
)
CancelRow = namedtuple("CancelRow", [*_ORDER_ATTNAMES, "n"])
CANCEL = PreparedStatement(
    "exchange_cancel",
    CANCEL_SQL,
    params=[("orders", "bigint[]"), ("askers", "bigint[]"), ("now", "timestamptz")],
    row=CancelRow,
    generic_plan=True,
)

# The KYC levels' trading caps as arrays indexed by level (1, 2, ...); a level above the
# highest known gets the highest's caps.
_LEVELS = sorted(limits.LEVELS)
assert list(range(1, len(_LEVELS) + 1)) == _LEVELS, "KYC levels are 1, 2, ..."
CAPS_24H = [limits.LEVELS[level].trade_24h for level in _LEVELS]
CAPS_30D = [limits.LEVELS[level].trade_30d for level in _LEVELS]


@dataclass(frozen=True)
class _Facts:
    """The market's facts placement validates against: read from the market's row under the
    market's lock (inline matching), or from a per-process cache that exchange_place checks against
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
    trusted alone: exchange_place refuses ("stale") to write against facts that are not the
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


@dataclass(eq=False)
class _Ticket:
    """A built order waiting for its group: the facts it was validated against and the asset
    it holds; then its outcome (None: its group failed, and it is placed again alone)."""

    order: Order
    facts: _Facts
    hold_asset: int
    outcome: str | None = None
    lead: bool = False  # woken to lead the next group, not with an outcome
    ready: threading.Lock = field(default_factory=signal)


def _place_rows(tickets: list[_Ticket]) -> None:
    """Runs exchange_place_lock and exchange_place for `tickets` (one market, the same facts,
    distinct owners) in one round trip on this thread's connection; sets each ticket's outcome
    ("ok": written, and its order is now the stored row)."""
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
    per_order = dict(zip([name for name, _ in PLACE_TYPES[13:]], columns, strict=True))
    per_order["owners"] = owners = array_literal(columns[0])  # one literal for both statements
    with connection.cursor() as cursor:
        rows = execute_together(
            cursor,
            [
                PLACE_LOCK.bind(owners=owners, base=facts.base_id, quote=facts.quote_id),
                PLACE.bind(
                    market=tickets[0].order.market_id,
                    now=now,
                    tick_size=facts.tick_size,
                    lot_size=facts.lot_size,
                    min_notional=facts.min_notional,
                    base=facts.base_id,
                    quote=facts.quote_id,
                    decimals=facts.decimals,
                    is_krw=facts.quote_symbol == "KRW",
                    day_from=day_from,
                    month_from=month_from,
                    caps_24h=CAPS_24H,
                    caps_30d=CAPS_30D,
                    **per_order,
                ),
            ],
        )
        alias = cursor.db.alias
    for ticket, (outcome, pk) in zip(tickets, rows, strict=True):
        if pk is not None:
            ticket.order.pk = pk
            ticket.order._state.adding = False
            ticket.order._state.db = alias
        ticket.outcome = "duplicate" if outcome == "ok" and pk is None else outcome


_group = Group(
    _place_rows,
    key=lambda ticket: (ticket.order.market_id, ticket.facts),
    exclusive=lambda ticket: ticket.order.owner_id,
    what="placement",
)
os.register_at_fork(after_in_child=_group.reset)


def _place_statement(order: Order, *, facts: _Facts, hold_asset: int) -> str:
    """Places `order` by exchange_place: with other threads' placements of the moment
    (busanhub.db.Group), or alone inside a caller's transaction. Returns the outcome."""
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
    Facts not `fresh` (the cache) are read again when they refuse the order or exchange_place
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

    With queued or process matching: one round trip (exchange_place_lock and exchange_place),
    its own transaction unless the caller has one. Inline: the same statements in a transaction that
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
    ready: threading.Lock = field(default_factory=signal)


def _cancel_rows(tickets: list[_CancelTicket]) -> None:
    """Runs exchange_cancel for `tickets` in one round trip on this thread's connection."""
    with connection.cursor() as cursor:
        found = CANCEL.execute(
            cursor,
            orders=[t.order_pk for t in tickets],
            askers=[t.asker for t in tickets],
            now=timezone.now(),
        )
        rows = {row.n: row[:-1] for row in found}
    for n, ticket in enumerate(tickets, 1):
        ticket.row, ticket.outcome = rows.get(n), "done"


_cancels = Group(
    _cancel_rows, key=lambda ticket: None, exclusive=lambda ticket: None, what="cancel"
)
os.register_at_fork(after_in_child=_cancels.reset)


def _cancel_statement(*, user, order: Order, mode: str) -> Order:
    """order_cancel without inline matching: exchange_cancel, with other threads'
    cancels of the moment (busanhub.db.Group), or alone inside a caller's transaction."""
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
    and changes nothing. Unless matching is inline: one prepared statement (exchange_cancel), its
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
