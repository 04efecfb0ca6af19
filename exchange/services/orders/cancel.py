"""Cancels: one order (a prepared statement, grouped, unless matching is inline) or all of
a user's orders in a market."""

import os
import threading
from collections import namedtuple
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psycopg2 import sql as pgsql

from busanhub.db import Group, PreparedStatement, signal
from exchange.models import Market, Order, OrderRequest, SurveillanceEvent

from ..matching import lock_market
from .wake import matcher_wake, matching_mode

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
    # queue: the market's task after commit; process: nothing
    matcher_wake(cancelled.market_id, mode)
    return cancelled


def order_cancel(*, user, order: Order, reason: str = "user") -> Order:
    """Asks the market's matcher to cancel one active order of `user` (it releases the hold).

    Atomic; the request joins the market's log after everything placed before it. With inline
    matching the order comes back cancelled; otherwise it stays active until the matcher takes
    the request. Cancelling another user's order or one that is no longer active is refused
    and changes nothing. Unless matching is inline: one prepared statement (exchange_cancel), its
    own transaction unless the caller has one.
    """
    mode = matching_mode()
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
    matcher_wake(order.market_id, "inline")
    order.refresh_from_db()
    return order


@transaction.atomic
def orders_cancel_all(*, user, market: Market) -> int:
    """Asks the matcher to cancel every active order of `user` in `market`; returns how many.
    Atomic: all the requests join the market's log together."""
    if matching_mode() == "inline":
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
    matcher_wake(market.pk)
    if len(pks) >= 10:
        SurveillanceEvent.objects.create(
            kind=SurveillanceEvent.Kind.CANCEL_ALL,
            user=user,
            market=market,
            detail={"count": len(pks)},
        )
    return len(pks)
