"""A batch's writes: fees, trades, the netted journal entry and balances, anchor leaves,
traded volume, surveillance events, order updates, the requests' sequence numbers and the
market's row, in a few bulk statements (busanhub.db.Batch)."""

import json
import uuid
from collections import defaultdict

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from busanhub.chain.services import ANCHOR_LEAF_TABLE, anchor_leaf_columns
from busanhub.db import Batch, array_literal, with_arrays
from exchange.models import (
    Account,
    FeeTier,
    JournalEntry,
    Market,
    Order,
    Posting,
    SurveillanceEvent,
    Trade,
    TradedVolume,
)

from ..ledger import AVAILABLE, HELD, InsufficientFunds, accounts_lock
from ..volume import volume_add, windows
from .batch import MatchBatch
from .live import Live, tradable


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


def batch_write(batch: MatchBatch, *, first_seq: int, last_seq: int) -> None:
    """Writes the batch's results, and the market's sequence and book version."""
    market = batch.market
    base, quote = market.base_id, market.quote_id
    trades = []  # tuples in TRADE_COLUMNS order
    now = timezone.now()
    if batch.fills:
        owners = {m.owner_id for m, _, _ in batch.fills} | {t.owner_id for _, t, _ in batch.fills}
        fees = _fee_bps(owners, now=now)
        deltas = batch.deltas
        traded = defaultdict(int)  # {(owner, quote asset): quote value} for TradedVolume
        for maker, taker, fill in batch.fills:
            buyer, seller = (taker, maker) if fill.taker_side == Order.Side.BUY else (maker, taker)
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
    _orders_update(list(batch.changed.values()), now=now, writes=writes)
    _requests_sequence(batch.requests, writes=writes)
    if trades:
        _trades_insert(market, trades, now=now, writes=writes)
        _anchor(batch, trades, now=now, writes=writes)
        volume_add(traded, now=now, writes=writes)
    if batch.self_trades:
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
            for taker, cancelled in batch.self_trades
        )
    # Last: placements wait for these account locks until the batch commits.
    opens = defaultdict(int)  # {(owner, quote asset): change of what her orders may trade}
    for pk, order in batch.changed.items():
        opens[(order.owner_id, quote)] += tradable(order) - batch.open_before[pk]
    _post(
        batch,
        reference=f"{market.symbol}:{first_seq}-{last_seq}",
        opens=opens,
        now=now,
        writes=writes,
    )
    _market_update(market, writes=writes)
    with connection.cursor() as cursor:
        writes.send(cursor)


def _post(batch: MatchBatch, *, reference: str, opens: dict, now, writes: Batch) -> None:
    """The batch's money moves as one journal entry, and the changes of what the owners'
    orders may still trade on their quote accounts (`open_notional`), under the accounts'
    locks."""
    moves = {key: amount for key, amount in batch.deltas.items() if amount}
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


def _records(batch: MatchBatch, trades: list[tuple]) -> list[dict]:
    """The anchor records of the trades: one `exchange.trades` leaf per taking order."""
    by_taker: dict = defaultdict(list)
    for trade in trades:
        by_taker[trade[2]].append(trade)
    symbol = batch.market.symbol
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


def _anchor(batch: MatchBatch, trades: list[tuple], *, now, writes: Batch) -> None:
    records = _records(batch, trades)
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


def _orders_update(orders: list[Live], *, now, writes: Batch) -> None:
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
