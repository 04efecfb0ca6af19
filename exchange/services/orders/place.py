"""Order placement: the prepared statements (busanhub.db), grouped by group commit."""

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from busanhub.db import Group, PreparedStatement, array_literal, execute_together, signal
from exchange import engine, limits
from exchange.models import Market, Order

from ..kyc import no_kyc_error
from ..ledger import accounts_lock
from ..matching import lock_market
from ..volume import windows
from .facts import Facts, facts_cached, facts_of
from .validate import order_build
from .wake import matcher_wake, matching_mode

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
# validation: every value is built and checked by order_build, and the database holds the
# invariants (balances and held amounts not negative, postings non-zero, unique public ids
# and client order ids).
#
# The cap reads the owner's TradedVolume rows (a few per hour and day traded) and what her
# active orders may still trade from her quote account (`open_notional`, which this statement
# raises by the order's notional and the matcher lowers as orders fill and end): a few rows,
# however many orders she has open.
_SQL = Path(__file__).resolve().parent.parent.parent / "sql"
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


# The KYC levels' trading caps as arrays indexed by level (1, 2, ...); a level above the
# highest known gets the highest's caps.
_LEVELS = sorted(limits.LEVELS)
assert list(range(1, len(_LEVELS) + 1)) == _LEVELS, "KYC levels are 1, 2, ..."
CAPS_24H = [limits.LEVELS[level].trade_24h for level in _LEVELS]
CAPS_30D = [limits.LEVELS[level].trade_30d for level in _LEVELS]
_CAPS_24H, _CAPS_30D = array_literal(CAPS_24H), array_literal(CAPS_30D)  # rendered once
_PER_ORDER = tuple(name for name, _ in PLACE_TYPES[13:])  # the per-order arrays, in order


@dataclass(eq=False)
class _Ticket:
    """A built order waiting for its group: the facts it was validated against and the asset
    it holds; then its outcome (None: its group failed, and it is placed again alone)."""

    order: Order
    facts: Facts
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
    records = []
    for ticket in tickets:
        order = ticket.order
        order.created_at = order.updated_at = now
        records.append(
            (
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
        )
    # one array literal per column (the first, the owners, serves both statements)
    per_order = dict(zip(_PER_ORDER, map(array_literal, zip(*records, strict=True)), strict=True))
    owners = per_order["owners"]
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
                    caps_24h=_CAPS_24H,
                    caps_30d=_CAPS_30D,
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


def _place_statement(order: Order, *, facts: Facts, hold_asset: int) -> str:
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


def _place_by_statement(*, user, market_pk: int, facts: Facts, fresh: bool, **fields) -> Order:
    """Placement: builds the order against `facts` and runs _place_statement.
    Facts not `fresh` (the cache) are read again when they refuse the order or exchange_place
    finds them stale; the owner's first order in the market opens her accounts first."""
    for _attempt in range(4):
        now = timezone.now()
        try:
            order, hold_asset = order_build(
                user=user, market_pk=market_pk, facts=facts, now=now, **fields
            )
        except ValidationError:
            if fresh:
                raise
            facts, fresh = facts_cached(market_pk, refresh=True), True
            continue
        outcome = _place_statement(order, facts=facts, hold_asset=hold_asset)
        if outcome == "ok":
            return order
        if outcome == "stale":
            facts, fresh = facts_cached(market_pk, refresh=True), True
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
    mode = matching_mode()
    if not getattr(user, "is_authenticated", False):  # no KYC credential without a user
        raise no_kyc_error()
    if mode != "inline":
        order = _place_by_statement(
            user=user, market_pk=market.pk, facts=facts_cached(market.pk), fresh=False, **fields
        )
        matcher_wake(market.pk, mode)
        order.market = market  # the caller's: its answer names the market without a query
        return order
    with transaction.atomic():
        # The matcher runs in this transaction: take the market first, accounts second, the
        # order every writer uses (no deadlock with another placement's matcher).
        market = lock_market(market.pk)
        order = _place_by_statement(
            user=user, market_pk=market.pk, facts=facts_of(market), fresh=True, **fields
        )
        matcher_wake(market.pk, mode)
        order.refresh_from_db()
        return order
