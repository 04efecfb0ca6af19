"""A batch's writes: fees, trades, the netted journal entry and balances, anchor leaves,
traded volume, surveillance events, order updates, the requests' sequence numbers and the
market's row, in a few bulk statements: prepared statements (busanhub.db) of
exchange/sql/match_*.sql, sent together (busanhub.db.Batch)."""

import json
import uuid
from collections import defaultdict
from pathlib import Path

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psycopg2 import sql as pgsql

from busanhub.chain.services import ANCHOR_LEAF_TABLE, anchor_leaf_columns
from busanhub.db import Batch, PreparedStatement, execute_together, sql_file
from exchange.models import Account, Market, Order, SurveillanceEvent

from ..ledger import AVAILABLE, HELD, InsufficientFunds, accounts_lock
from ..volume import volume_add, windows
from .batch import MatchBatch
from .live import Live, tradable

_SQL = Path(__file__).resolve().parent.parent.parent / "sql"


def _statement(name: str, params, **kwargs) -> PreparedStatement:
    """exchange_<name>, from exchange/sql/<name>.sql. Array statements run on the generic
    plan: the default would plan them again for every batch's lengths."""
    return PreparedStatement(
        f"exchange_{name}", (_SQL / f"{name}.sql").read_text(), params=params, **kwargs
    )


FEE_TIERS = _statement(
    "match_fee_tiers", [("owners", "bigint[]"), ("month_from", "timestamptz")], generic_plan=True
)
ORDERS_UPDATE = _statement(
    "match_orders_update",
    [
        ("now", "timestamptz"),
        ("ids", "bigint[]"),
        ("statuses", "text[]"),
        ("cancel_reasons", "text[]"),
        ("filled_quantities", "bigint[]"),
        ("filled_quotes", "bigint[]"),
        ("helds", "bigint[]"),
        ("seqs", "bigint[]"),
    ],
    generic_plan=True,
)
REQUESTS_SEQUENCE = _statement(
    "match_requests_sequence", [("ids", "bigint[]"), ("seqs", "bigint[]")], generic_plan=True
)
TRADES_INSERT = _statement(
    "match_trades_insert",
    [
        ("market", "bigint"),
        ("now", "timestamptz"),
        ("public_ids", "uuid[]"),
        ("makers", "bigint[]"),
        ("takers", "bigint[]"),
        ("sides", "text[]"),
        ("prices", "bigint[]"),
        ("quantities", "bigint[]"),
        ("notionals", "bigint[]"),
        ("maker_fees", "bigint[]"),
        ("taker_fees", "bigint[]"),
    ],
    generic_plan=True,
)
LEAVES_INSERT = PreparedStatement(
    "exchange_match_leaves_insert",
    sql_file(_SQL / "match_leaves_insert.sql").format(leaf=pgsql.Identifier(ANCHOR_LEAF_TABLE)),
    params=[
        ("now", "timestamptz"),
        ("kinds", "text[]"),
        ("refs", "text[]"),
        ("versions", "integer[]"),
        ("digests", "text[]"),
        ("envelopes", "jsonb[]"),
        ("publics", "boolean[]"),
    ],
    generic_plan=True,
)
ACCOUNTS_LOCK = _statement(
    "match_accounts_lock",
    [
        ("owners", "bigint[]"),
        ("assets", "bigint[]"),
        ("system_kinds", "text[]"),
        ("system_assets", "bigint[]"),
    ],
    generic_plan=True,
)
_BALANCE_PARAMS = [
    ("accounts", "bigint[]"),
    ("availables", "bigint[]"),
    ("helds", "bigint[]"),
    ("opens", "bigint[]"),
]
BALANCES = _statement("match_balances", _BALANCE_PARAMS, generic_plan=True)
# The entry and its postings, then the same balance UPDATE as BALANCES (one text, two uses).
POST = PreparedStatement(
    "exchange_match_post",
    (_SQL / "match_entry.sql").read_text() + (_SQL / "match_balances.sql").read_text(),
    params=[
        ("public_id", "uuid"),
        ("reference", "text"),
        ("now", "timestamptz"),
        ("posting_accounts", "bigint[]"),
        ("posting_assets", "bigint[]"),
        ("posting_buckets", "text[]"),
        ("posting_amounts", "bigint[]"),
        *_BALANCE_PARAMS,
    ],
    generic_plan=True,
)
MARKET_UPDATE = _statement(
    "match_market_update",
    [("last_seq", "bigint"), ("book_version", "uuid"), ("market", "bigint")],
)


def _fee_bps(owner_ids, *, now) -> dict:
    """{owner_id: (maker_bps, taker_bps)}: the highest tier each owner's 30-day traded quote
    volume reaches (the lowest tier below all of them; no tiers, no fees)."""
    with connection.cursor() as cursor:  # one statement: every owner's volume and tier
        rows = FEE_TIERS.execute(cursor, owners=owner_ids, month_from=windows(now)[1])
    fees = {owner: (maker, taker) for owner, maker, taker in rows}
    return fees or defaultdict(lambda: (0, 0))


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
        LEAVES_INSERT.bind(
            now=now,
            kinds=[leaf["kind"] for leaf in leaves],
            refs=[leaf["ref"] for leaf in leaves],
            versions=[leaf["version"] for leaf in leaves],
            digests=[leaf["digest"] for leaf in leaves],
            envelopes=[json.dumps(leaf["envelope"]) for leaf in leaves],
            publics=[leaf["is_public"] for leaf in leaves],
        )
    )


def _trades_insert(market: Market, trades: list[tuple], *, now, writes: Batch) -> None:
    """One INSERT for the batch's trades, in fill order."""
    public_ids, makers, takers, sides, prices, quantities, notionals, maker_fees, taker_fees = zip(
        *trades, strict=True
    )
    writes.add(
        TRADES_INSERT.bind(
            market=market.pk,
            now=now,
            public_ids=public_ids,
            makers=[maker.pk for maker in makers],
            takers=[taker.pk for taker in takers],
            sides=sides,
            prices=prices,
            quantities=quantities,
            notionals=notionals,
            maker_fees=maker_fees,
            taker_fees=taker_fees,
        )
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
    lock = ACCOUNTS_LOCK.bind(
        owners=owners,
        assets=assets,
        system_kinds=[k for k, _ in system_kinds],
        system_assets=[a for _, a in system_kinds],
    )
    with connection.cursor() as cursor:
        rows = writes.send(cursor, lock)
        found = {
            (owner if kind == Account.Kind.CUSTOMER else kind, asset): (pk, kind, available, held)
            for pk, owner, asset, kind, available, held in rows
        }
        if (customers | system) - set(found):
            accounts_lock(pairs=customers, system=system)  # creates the missing ones
            rows = execute_together(cursor, [lock])
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
        changes = {
            "accounts": pks,
            "availables": [deltas[pk][0] for pk in pks],
            "helds": [deltas[pk][1] for pk in pks],
            "opens": [deltas[pk][2] for pk in pks],
        }
        if not postings[0]:  # only what open orders may trade changed
            writes.add(BALANCES.bind(**changes))
            return
        writes.add(
            POST.bind(
                public_id=uuid.uuid4(),
                reference=reference,
                now=now,
                posting_accounts=postings[0],
                posting_assets=postings[1],
                posting_buckets=postings[2],
                posting_amounts=postings[3],
                **changes,
            )
        )


def _orders_update(orders: list[Live], *, now, writes: Batch) -> None:
    """One UPDATE for every changed order (UPDATE ... FROM unnest(arrays))."""
    if not orders:
        return
    writes.add(
        ORDERS_UPDATE.bind(
            now=now,
            ids=[live.pk for live in orders],
            statuses=[live.status for live in orders],
            cancel_reasons=[live.cancel_reason for live in orders],
            filled_quantities=[live.filled_quantity for live in orders],
            filled_quotes=[live.filled_quote for live in orders],
            helds=[live.held_remaining for live in orders],
            seqs=[live.seq for live in orders],
        )
    )


def _requests_sequence(pairs: list[tuple[int, int]], *, writes: Batch) -> None:
    """Records the sequence number the matcher gave each request."""
    if not pairs:
        return
    writes.add(REQUESTS_SEQUENCE.bind(ids=[pk for pk, _ in pairs], seqs=[seq for _, seq in pairs]))


def _market_update(market: Market, *, writes: Batch) -> None:
    """Writes the market's sequence and book version."""
    writes.add(
        MARKET_UPDATE.bind(
            last_seq=market.last_seq, book_version=market.book_version, market=market.pk
        )
    )
