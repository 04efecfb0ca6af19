"""The market's one writer: its locks, the batch over the waiting requests, and the
consumer that drains a market's log batch after batch."""

import uuid

from django.db import connection, transaction

from exchange.models import Asset, Market, Order, OrderRequest

from .batch import MatchBatch
from .book import book_forget, state_for
from .live import Row
from .writes import batch_write

LOCK_CLASS = 0x45584348  # "EXCH": the advisory lock namespace of market writers
CONSUMER_CLASS = 0x45584355  # "EXCU": a consumer draining one market (see markets_match)
BATCH = 500

PLACE = OrderRequest.Action.PLACE
CANCEL = OrderRequest.Action.CANCEL


# One constant statement (the matcher runs it at every batch).
_REQUESTS_SQL = (
    "SELECT r.id, r.action, r.order_id, "  # noqa: S608 (table names)
    + ", ".join(f"o.{name}" for name in Row.FIELDS[3:])
    + f" FROM {OrderRequest._meta.db_table} AS r JOIN {Order._meta.db_table} AS o"
    " ON o.id = r.order_id WHERE r.market_id = %s AND r.seq IS NULL ORDER BY r.id LIMIT %s"
)


def _requests_waiting(market_pk: int, limit: int) -> list[Row]:
    with connection.cursor() as cursor:
        cursor.execute(_REQUESTS_SQL, [market_pk, limit])
        rows = cursor.fetchall()
    return [Row(values) for values in rows]


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
            state = state_for(market)
            batch = MatchBatch(market, state)
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
            batch_write(batch, first_seq=first, last_seq=seq)  # and the market's row
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
    state = state_for(market)
    batch = MatchBatch(market, state)
    for pk in list(state.live):
        order = state.live.pop(pk)
        state.book.cancel(pk)
        batch.close(order, Order.Status.CANCELLED, reason)
    if not batch.changed:
        return 0
    market.book_version = uuid.uuid4()
    batch_write(batch, first_seq=market.last_seq, last_seq=market.last_seq)  # and the market's row
    state.version = market.book_version
    return len(batch.changed)
