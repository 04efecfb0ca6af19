"""The market's one writer: its locks, the batch over the waiting requests, and the
consumer that drains a market's log batch after batch."""

import uuid
from pathlib import Path

from django.db import connection, transaction
from psycopg2 import sql as pgsql

from busanhub.db import PreparedStatement, execute_together, sql_file
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


_SQL = Path(__file__).resolve().parent.parent.parent / "sql"
_MARKET = [("lock_class", "integer"), ("market", "integer")]  # an advisory lock's two keys
REQUESTS_WAITING = PreparedStatement(
    "exchange_requests_waiting",
    (_SQL / "requests_waiting.sql").read_text(),
    params=[("market", "bigint"), ("limit", "integer")],
)
assert len(Row.FIELDS) == 20, "requests_waiting.sql selects Row.FIELDS, in their order"
WRITER_LOCK = PreparedStatement(
    "exchange_market_writer_lock", (_SQL / "market_writer_lock.sql").read_text(), params=_MARKET
)
_MARKET_FIELDS = [field.attname for field in Market._meta.concrete_fields]
MARKET_ROW_LOCK = PreparedStatement(
    "exchange_market_row_lock",
    sql_file(_SQL / "market_row_lock.sql").format(
        columns=pgsql.SQL(", ").join(
            pgsql.Identifier("m", field.column) for field in Market._meta.concrete_fields
        )
    ),
    params=[("market", "bigint")],
)
CONSUMER_LOCK = PreparedStatement(
    "exchange_consumer_lock", (_SQL / "consumer_lock.sql").read_text(), params=_MARKET
)
CONSUMER_UNLOCK = PreparedStatement(
    "exchange_consumer_unlock", (_SQL / "consumer_unlock.sql").read_text(), params=_MARKET
)
ANY_WAITING = PreparedStatement(
    "exchange_requests_any_waiting",
    (_SQL / "requests_any_waiting.sql").read_text(),
    params=[("market", "bigint")],
)


def _requests_waiting(market_pk: int, limit: int) -> list[Row]:
    with connection.cursor() as cursor:
        rows = REQUESTS_WAITING.execute(cursor, market=market_pk, limit=limit)
    return [Row(values) for values in rows]


def lock_market(market_pk: int) -> Market:
    """Takes the market's writer lock for the current transaction and returns the row."""
    with connection.cursor() as cursor:
        WRITER_LOCK.execute(cursor, lock_class=LOCK_CLASS, market=market_pk)
    # NO KEY UPDATE: placements insert orders referencing the market (a KEY SHARE lock) while
    # holding their accounts, which the matcher then locks; FOR UPDATE would deadlock them.
    return (
        Market.objects.select_for_update(no_key=True)
        .select_related("base", "quote")
        .get(pk=market_pk)
    )


def _market_locked(market_pk: int) -> Market:
    """`lock_market` for the matcher: the same locks, the row read by a prepared statement,
    with its base asset's decimals only (what `Market.scale` needs)."""
    with connection.cursor() as cursor:  # one round trip: the writer lock, then the row
        rows = execute_together(
            cursor,
            [
                WRITER_LOCK.bind(lock_class=LOCK_CLASS, market=market_pk),
                MARKET_ROW_LOCK.bind(market=market_pk),
            ],
        )
    if not rows:
        raise Market.DoesNotExist(market_pk)
    row = rows[0]
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
            ((locked,),) = CONSUMER_LOCK.execute(
                cursor, lock_class=CONSUMER_CLASS, market=market_pk
            )
        if not locked:
            return total
        try:
            total += _drain(market_pk, limit)
        finally:
            with connection.cursor() as cursor:  # two statements: the look after letting go
                ((waiting,),) = execute_together(
                    cursor,
                    [
                        CONSUMER_UNLOCK.bind(lock_class=CONSUMER_CLASS, market=market_pk),
                        ANY_WAITING.bind(market=market_pk),
                    ],
                )
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
