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

import uuid
import weakref
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange import conf, engine
from exchange.models import Account, Market, Order, OrderRequest, SurveillanceEvent

from .kyc import kyc_level_sql, require_kyc
from .ledger import AVAILABLE, HELD, accounts_lock, entry_post
from .matching import book_forget, lock_market, market_close_book, markets_match

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


def _wake(market_pk: int) -> None:
    """Has the market's matcher take what the current transaction appended to its log."""
    mode = _mode()
    if mode == "inline":
        markets_match(market_pk=market_pk)
    elif mode == "queue":
        from exchange.tasks import match_market

        transaction.on_commit(lambda: match_market.delay(market_pk))


def _validate(
    *, market, side, kind, price, quantity, quote_amount, time_in_force, post_only
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


CAP_USED_SQL = """
SELECT SUM(o.filled_quote) FILTER (WHERE o.created_at >= %(day)s),
       SUM(o.filled_quote) FILTER (WHERE o.created_at >= %(month)s),
       SUM(GREATEST(o.notional - o.filled_quote, 0))
           FILTER (WHERE o.status IN ('pending', 'open', 'partial'))
FROM exchange_order o
JOIN exchange_market m ON m.id = o.market_id
JOIN exchange_asset q ON q.id = m.quote_id AND q.symbol = 'KRW'
WHERE o.owner_id = %(owner)s
  AND (o.created_at >= %(month)s OR o.status IN ('pending', 'open', 'partial'))
"""


def trade_cap_check(*, user, caps, notional_krw: int) -> None:
    """Refuses an order whose KRW value would pass the 24-hour or 30-day trading cap. Counts the
    volume filled in each window plus what the user's active orders may still trade (their
    notional not yet filled), so open orders cannot run past the cap; a cancel frees the room.
    The caller holds the user's account locks, so two placements cannot both use the room."""
    now = timezone.now()
    day, month = now - timedelta(hours=24), now - timedelta(days=30)
    if connection.vendor == "postgresql":  # the hot path, without the ORM's compile step
        with connection.cursor() as cursor:
            cursor.execute(CAP_USED_SQL, {"owner": user.pk, "day": day, "month": month})
            used_day, used_month, committed = cursor.fetchone()
    else:
        active = Q(status__in=Order.ACTIVE_STATUSES)
        used = (
            Order.objects.filter(owner=user, market__quote__symbol="KRW")
            .filter(Q(created_at__gte=month) | active)
            .aggregate(
                day=Sum("filled_quote", filter=Q(created_at__gte=day)),
                month=Sum("filled_quote", filter=Q(created_at__gte=month)),
                open=Sum(Greatest(F("notional") - F("filled_quote"), Value(0)), filter=active),
            )
        )
        used_day, used_month, committed = used["day"], used["month"], used["open"]
    committed = committed or 0
    if (used_day or 0) + committed + notional_krw > caps.trade_24h or (
        used_month or 0
    ) + committed + notional_krw > caps.trade_30d:
        raise ValidationError(
            {"quantity": _("This order would pass your trading limit for your KYC level.")},
            code="over_limit",
        )


# --- placement on PostgreSQL: two prepared statements ---------------------------------------
#
# Placement is the hot path of every market, so on PostgreSQL it is two round trips and no
# model instance is built until the answer: one read that locks the owner's two accounts of
# the market and returns everything the checks need, and one write. (SQLite, the embedded
# default, takes the ORM path below: it has no row locks, its database lock serialises
# writers.) Both statements are prepared once per connection: planning them costs more than
# running them.

# The owner's accounts of the market (pk order, as accounts_lock: no deadlocks), locked; the
# market's row as committed (its status, steps and assets: no stale Market instance decides)
# and the owner's KYC level. A locked row comes back in its newest committed version, so
# the balances and frozen flags are the ones a concurrent placement, match or freeze left.
PLACE_LOCK_SQL = """
SELECT account.id, account.asset_id, account.available, account.is_frozen,
       market.status, market.tick_size, market.lot_size, market.min_notional,
       market.base_id, market.quote_id, base.decimals, quote.symbol, {kyc_level}
FROM exchange_market AS market
JOIN exchange_asset AS base ON base.id = market.base_id
JOIN exchange_asset AS quote ON quote.id = market.quote_id
JOIN exchange_account AS account ON account.kind = 'customer' AND account.owner_id = $1
    AND account.asset_id IN (market.base_id, market.quote_id)
WHERE market.id = $2
ORDER BY account.id
FOR UPDATE OF account
"""

# The order, its hold (journal entry, postings, balance change) and its log entry in one
# statement. The trading cap is checked here too, in the same statement: it runs after the
# locking read returned, so its snapshot holds every order of the owner committed before
# this placement took the owner's locks (a cap read in the locking statement itself would
# use a snapshot taken before waiting for them, and two placements could share the room).
# Everything is inserted only if the cap allows it; the client order id's unique index
# decides duplicates (ON CONFLICT DO NOTHING: no exception, so no savepoint is needed and a
# caller's transaction stays usable). The cap sums the owner's orders in one scan; the KRW
# markets are an array computed once (an InitPlan), not a join: joined, a planner without
# statistics (fresh tables) walked the whole market's orders by market_id and filtered on
# the owner, 0.5 ms for 2,400 orders where the owner's index reads only hers. No model
# validation: every value is built and checked by order_place, and the database holds the
# invariants (balances and held amounts not negative, postings non-zero, unique public ids
# and client order ids).
PLACE_WRITE_TYPES = (
    "bigint, bigint, uuid, text, text, text, text, boolean, bigint, bigint, bigint, bigint, "
    "bigint, text, timestamptz, uuid, bigint, bigint, boolean, bigint, bigint, timestamptz, "
    "timestamptz"
)
PLACE_WRITE_SQL = """
WITH usage AS (
    SELECT COALESCE(SUM(o.filled_quote) FILTER (WHERE o.created_at >= $22), 0) AS day,
           COALESCE(SUM(o.filled_quote) FILTER (WHERE o.created_at >= $23), 0) AS month,
           COALESCE(SUM(GREATEST(o.notional - o.filled_quote, 0))
               FILTER (WHERE o.status IN ('pending', 'open', 'partial')), 0) AS committed
    FROM exchange_order AS o
    WHERE $19 AND o.owner_id = $1
        AND (o.created_at >= $23 OR o.status IN ('pending', 'open', 'partial'))
        AND o.market_id = ANY (ARRAY(
            SELECT m.id FROM exchange_market AS m
            JOIN exchange_asset AS q ON q.id = m.quote_id AND q.symbol = 'KRW'
        ))
), allowed AS (
    SELECT NOT $19 OR (day + committed + $13 <= $20 AND month + committed + $13 <= $21) AS ok
    FROM usage
), placed AS (
    INSERT INTO exchange_order (public_id, owner_id, market_id, client_order_id, side, kind,
        time_in_force, post_only, price, quantity, quote_amount, filled_quantity, filled_quote,
        held_remaining, notional, stp, status, cancel_reason, seq, created_at, updated_at)
    SELECT $3, $1, $2, $4, $5, $6, $7, $8, $9, $10, $11, 0, 0, $12, $13, $14, 'pending', '',
        NULL, $15, $15
    FROM allowed WHERE ok
    ON CONFLICT (owner_id, client_order_id) WHERE NOT (client_order_id = '') DO NOTHING
    RETURNING id
), request AS (
    INSERT INTO exchange_orderrequest (market_id, order_id, action, created_at)
    SELECT $2, placed.id, 'place', $15 FROM placed
), entry AS (
    INSERT INTO exchange_journalentry (public_id, kind, reference, created_at)
    SELECT $16, 'hold', $3::text, $15 FROM placed RETURNING id
), postings AS (
    INSERT INTO exchange_posting (entry_id, account_id, asset_id, bucket, amount)
    SELECT entry.id, $17, $18, line.bucket, line.amount
    FROM entry, (VALUES ('available', -$12::bigint), ('held', $12::bigint))
        AS line(bucket, amount)
    WHERE $12 <> 0
), balance AS (
    UPDATE exchange_account SET available = available - $12, held = held + $12
    WHERE id = $17 AND EXISTS (SELECT 1 FROM placed)
)
SELECT allowed.ok, placed.id FROM allowed LEFT JOIN placed ON TRUE
"""

# A cancel on PostgreSQL (queued or process matching), in one statement: the order's row,
# and its cancel request in the market's log only if the order is the user's and active.
# The row comes back either way (every column, for Order.from_db), so the refusals (another
# user's order, no longer active) are named from the very row the insert was decided on.
_ORDER_ATTNAMES = [field.attname for field in Order._meta.concrete_fields]
_ORDER_COLUMNS = ", ".join(f"o.{field.column}" for field in Order._meta.concrete_fields)
CANCEL_SQL = f"""
WITH target AS (
    SELECT {_ORDER_COLUMNS} FROM exchange_order AS o WHERE o.id = $1
), request AS (
    INSERT INTO exchange_orderrequest (market_id, order_id, action, seq, created_at)
    SELECT target.market_id, target.id, 'cancel', NULL, $3 FROM target
    WHERE target.owner_id = $2 AND target.status IN ('pending', 'open', 'partial')
)
SELECT * FROM target
"""  # noqa: S608 (column names)

_prepared = weakref.WeakSet()  # the database connections where the statements are prepared


def _prepare(cursor) -> None:
    # Prepared statements belong to the session and survive rollbacks.
    raw = connection.connection
    if raw in _prepared:
        return
    lock = PLACE_LOCK_SQL.format(kyc_level=kyc_level_sql(holder="$1", now="$3"))
    cursor.execute(f"PREPARE exchange_place_lock (bigint, bigint, timestamptz) AS {lock}")
    cursor.execute(f"PREPARE exchange_place_write ({PLACE_WRITE_TYPES}) AS {PLACE_WRITE_SQL}")
    cursor.execute(f"PREPARE exchange_cancel (bigint, bigint, timestamptz) AS {CANCEL_SQL}")
    _prepared.add(raw)


@dataclass(frozen=True)
class _Facts:
    """What placement checks, as read under the owner's account locks (PostgreSQL) or from
    the Market instance and the ORM (SQLite)."""

    level: int | None  # None: not read yet
    status: str
    tick_size: int
    lot_size: int
    min_notional: int
    base_id: int
    quote_id: int
    scale: int
    quote_symbol: str
    accounts: dict  # {asset_id: (pk, available, is_frozen)}; empty: not locked yet


def _facts_locked(*, user, market_pk: int, now) -> _Facts | None:
    """PLACE_LOCK_SQL's answer; None when the owner lacks one of the two accounts."""
    with connection.cursor() as cursor:
        _prepare(cursor)
        cursor.execute("EXECUTE exchange_place_lock (%s, %s, %s)", [user.pk, market_pk, now])
        rows = cursor.fetchall()
    if len(rows) < 2:
        return None
    row = rows[0]
    return _Facts(
        level=int(row[12]),
        status=row[4],
        tick_size=row[5],
        lot_size=row[6],
        min_notional=row[7],
        base_id=row[8],
        quote_id=row[9],
        scale=10 ** row[10],
        quote_symbol=row[11],
        accounts={asset: (pk, available, frozen) for pk, asset, available, frozen, *_ in rows},
    )


def _facts_orm(market: Market) -> _Facts:
    return _Facts(
        level=None,
        status=market.status,
        tick_size=market.tick_size,
        lot_size=market.lot_size,
        min_notional=market.min_notional,
        base_id=market.base_id,
        quote_id=market.quote_id,
        scale=market.scale,
        quote_symbol=market.quote.symbol,
        accounts={},
    )


def _place_write(order: Order, *, account_pk: int, hold_asset: int, caps, capped: bool) -> None:
    """Runs PLACE_WRITE_SQL for `order`; refuses (nothing written) over the trading cap or on
    a used client order id."""
    day, month = order.created_at - timedelta(hours=24), order.created_at - timedelta(days=30)
    params = [
        order.owner_id,
        order.market_id,
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
        order.created_at,
        uuid.uuid4(),
        account_pk,
        hold_asset,
        capped,
        caps.trade_24h if capped else 0,
        caps.trade_30d if capped else 0,
        day,
        month,
    ]
    with connection.cursor() as cursor:
        _prepare(cursor)
        placeholders = ", ".join(["%s"] * len(params))
        cursor.execute(f"EXECUTE exchange_place_write ({placeholders})", params)
        allowed, pk = cursor.fetchone()
    if not allowed:
        raise _over_limit()
    if pk is None:
        raise _client_order_id_used()
    order.pk = pk
    order._state.adding = False
    order._state.db = connection.alias


def _over_limit() -> ValidationError:
    return ValidationError(
        {"quantity": _("This order would pass your trading limit for your KYC level.")},
        code="over_limit",
    )


def _client_order_id_used() -> ValidationError:
    return ValidationError({"client_order_id": _("This client order id is already used.")})


# --- placement on other databases (SQLite): the ORM -------------------------------------------


def _place_orm(*, order: Order, account: Account, hold: int, caps, capped: bool) -> None:
    if capped:
        trade_cap_check(user=order.owner, caps=caps, notional_krw=order.notional)
    try:
        if order.client_order_id:  # a concurrent duplicate must not break the transaction
            with transaction.atomic():
                order.save()
        else:
            order.save()
    except IntegrityError as exc:
        raise _client_order_id_used() from exc
    OrderRequest.objects.create(
        market_id=order.market_id, order=order, action=OrderRequest.Action.PLACE
    )
    entry_post(
        kind="hold",
        reference=str(order.public_id),
        lines=[(account, AVAILABLE, -hold), (account, HELD, hold)],
    )


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
    """Accepts an order: holds its funds and appends it to the market's log for the matcher.

    Atomic: the order, its hold (a journal entry) and its log entry commit together; refused
    input (ValidationError naming the field: tick, lot, minimum notional, balance, KYC, trading
    cap, market not open, frozen account, duplicate client order id) changes nothing. Safe to
    call concurrently: the owner's accounts of the market are row-locked while the funds and
    the caps are checked. The market's status and steps are read from the database, not from
    `market`. The order is `pending` until the matcher takes it (at once when
    EXCHANGE_MATCHING is inline); the matcher anchors its trades (`exchange.trades`).
    On PostgreSQL: two prepared statements (see PLACE_LOCK_SQL and PLACE_WRITE_SQL).
    """
    mode = _mode()
    if mode == "inline":
        # The matcher runs in this transaction: take the market first, accounts second, the
        # order every writer uses (no deadlock with another placement's matcher).
        market = lock_market(market.pk)
    now = timezone.now()
    facts = None
    is_authenticated = user is not None and getattr(user, "is_authenticated", False)
    if connection.vendor == "postgresql" and is_authenticated:
        facts = _facts_locked(user=user, market_pk=market.pk, now=now)
    if facts is None:  # SQLite, or the owner's first order in this market
        if mode != "inline":  # lock_market read it already
            market = Market.objects.select_related("base", "quote").get(pk=market.pk)
        facts = _facts_orm(market)
    caps = require_kyc(user=user, level=facts.level)
    _validate(
        market=facts,
        side=side,
        kind=kind,
        price=price,
        quantity=quantity,
        quote_amount=quote_amount,
        time_in_force=time_in_force,
        post_only=post_only,
    )
    if stp not in Order.SelfTrade.values:
        raise ValidationError(
            {"stp": _("Self-trade prevention is cancel_resting or cancel_taker.")}
        )
    if facts.status != Market.Status.OPEN:
        raise ValidationError({"market": _("The market is not open for trading.")}, code="halted")
    base, quote = facts.base_id, facts.quote_id
    scale = facts.scale
    by_quote = kind == Order.Kind.MARKET and side == Order.Side.BUY and not quantity
    if side == Order.Side.SELL:
        hold_asset, hold = base, quantity
    elif kind == Order.Kind.LIMIT:
        hold_asset, hold = quote, price * quantity // scale
    elif by_quote:
        hold_asset, hold = quote, quote_amount
    else:
        hold_asset = quote
        hold = _market_buy_estimate(market_pk=market.pk, scale=scale, user=user, quantity=quantity)
        if hold is None:
            raise ValidationError({"quantity": _("Not enough liquidity for a market buy.")})
    if hold_asset == quote:
        notional = hold
    elif kind == Order.Kind.LIMIT:
        notional = price * quantity // scale
    else:
        best_bid = Order.objects.filter(
            market_id=market.pk, side=Order.Side.BUY, status__in=Order.OPEN_STATUSES
        ).aggregate(best=Max("price"))["best"]
        notional = (best_bid or 0) * quantity // scale
    account = None
    if facts.accounts:
        account_pk, available, is_frozen = facts.accounts[hold_asset]
    else:
        accounts = accounts_lock(pairs=[(user.pk, base), (user.pk, quote)])
        account = accounts[(user.pk, hold_asset)]
        account_pk, available, is_frozen = account.pk, account.available, account.is_frozen
    if is_frozen:
        raise ValidationError({"account": _("Your account is frozen.")}, code="frozen")
    if available < hold:
        raise ValidationError(
            {"quantity": _("Insufficient available balance.")}, code="insufficient"
        )
    order = Order(
        public_id=uuid.uuid4(),
        owner=user,
        market_id=market.pk,
        client_order_id=client_order_id,
        side=side,
        kind=kind,
        time_in_force=time_in_force,
        post_only=post_only,
        stp=stp,
        price=price,
        quantity=quantity,
        quote_amount=quote_amount,
        held_remaining=hold,
        notional=notional,
        status=Order.Status.PENDING,
        created_at=now,
        updated_at=now,
    )
    capped = facts.quote_symbol == "KRW"
    if account is None:
        _place_write(order, account_pk=account_pk, hold_asset=hold_asset, caps=caps, capped=capped)
    else:
        _place_orm(order=order, account=account, hold=hold, caps=caps, capped=capped)
    _wake(market.pk)
    if mode == "inline":
        order.refresh_from_db()
    return order


def _cancel_statement(*, user, order: Order) -> Order:
    """order_cancel on PostgreSQL without inline matching: CANCEL_SQL."""
    with connection.cursor() as cursor:
        _prepare(cursor)
        cursor.execute("EXECUTE exchange_cancel (%s, %s, %s)", [order.pk, user.pk, timezone.now()])
        row = cursor.fetchone()
    cancelled = None if row is None else Order.from_db(connection.alias, _ORDER_ATTNAMES, row)
    # the statement's own conditions: nothing was inserted in these two cases
    if cancelled is None or cancelled.owner_id != user.pk:
        raise ValidationError({"order": _("No such order.")}, code="not_found")
    if cancelled.status not in Order.ACTIVE_STATUSES:
        raise ValidationError({"order": _("The order is not open any more.")}, code="not_open")
    if Order.market.is_cached(order) and order.market_id == cancelled.market_id:
        cancelled.market = order.market
    _wake(cancelled.market_id)  # queue: the market's task after commit; process: nothing
    return cancelled


@transaction.atomic
def order_cancel(*, user, order: Order, reason: str = "user") -> Order:
    """Asks the market's matcher to cancel one active order of `user` (it releases the hold).

    Atomic; the request joins the market's log after everything placed before it. With inline
    matching the order comes back cancelled; otherwise it stays active until the matcher takes
    the request. Cancelling another user's order or one that is no longer active is refused
    and changes nothing. On PostgreSQL, unless matching is inline: one prepared statement
    (CANCEL_SQL).
    """
    mode = _mode()
    if connection.vendor == "postgresql" and mode != "inline":
        return _cancel_statement(user=user, order=order)
    order = Order.objects.select_related("market").get(pk=order.pk)
    if order.owner_id != user.pk:
        raise ValidationError({"order": _("No such order.")}, code="not_found")
    if order.status not in Order.ACTIVE_STATUSES:
        raise ValidationError({"order": _("The order is not open any more.")}, code="not_open")
    if mode == "inline":
        lock_market(order.market_id)
    OrderRequest.objects.create(
        market_id=order.market_id, order=order, action=OrderRequest.Action.CANCEL
    )
    _wake(order.market_id)
    if mode == "inline":  # otherwise nothing changed the row since it was read above
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
