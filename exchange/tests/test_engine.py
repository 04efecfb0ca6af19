"""The matching engine against a naive reference model (hypothesis) and by example."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange import engine
from exchange.engine import BUY, FOK, GTC, IOC, LIMIT, MARKET, SELL, Book, Order


class Reference:
    """A deliberately simple order book: a list, re-sorted for every incoming order."""

    def __init__(self, scale=1, lot=1):
        self.resting = []  # dicts with seq
        self.seq = 0
        self.scale = scale
        self.lot = lot

    def submit(self, o):
        fills, cancelled = [], []
        opposite = [r for r in self.resting if r["side"] != o["side"]]
        if o["side"] == BUY:
            opposite.sort(key=lambda r: (r["price"], r["seq"]))
        else:
            opposite.sort(key=lambda r: (-r["price"], r["seq"]))

        def crosses(price):
            if o["kind"] == MARKET:
                return True
            return price <= o["price"] if o["side"] == BUY else price >= o["price"]

        by_quote = o["kind"] == MARKET and o["side"] == BUY and not o["quantity"]
        if o["post_only"] and opposite and crosses(opposite[0]["price"]):
            return fills, cancelled, False
        if o["tif"] == FOK:
            available = sum(
                r["remaining"] for r in opposite if crosses(r["price"]) and r["owner"] != o["owner"]
            )
            if available < o["quantity"]:
                return fills, cancelled, False
        remaining = o["quantity"]
        budget = o["quote"]
        for r in opposite:
            if not crosses(r["price"]):
                break
            if by_quote:
                can = (budget * self.scale // r["price"]) // self.lot * self.lot
                if can == 0:
                    break
            elif remaining == 0:
                break
            if r["owner"] == o["owner"]:
                cancelled.append(r["id"])
                self.resting.remove(r)
                continue
            q = min(r["remaining"], can) if by_quote else min(r["remaining"], remaining)
            fills.append((r["id"], o["id"], r["price"], q))
            r["remaining"] -= q
            if by_quote:
                budget -= r["price"] * q // self.scale
            else:
                remaining -= q
            if r["remaining"] == 0:
                self.resting.remove(r)
            if by_quote and q < (r["remaining"] + q) and r["remaining"] > 0:
                break
        rested = False
        if not by_quote and remaining > 0 and o["kind"] == LIMIT and o["tif"] == GTC:
            self.seq += 1
            self.resting.append({**o, "remaining": remaining, "seq": self.seq})
            rested = True
        return fills, cancelled, rested


orders = st.lists(
    st.fixed_dictionaries(
        {
            "owner": st.integers(0, 3),
            "side": st.sampled_from([BUY, SELL]),
            "kind": st.sampled_from([LIMIT, LIMIT, LIMIT, MARKET]),
            "price": st.integers(95, 105),
            "quantity": st.integers(1, 20),
            "tif": st.sampled_from([GTC, GTC, IOC, FOK]),
            "post_only": st.booleans(),
            "by_quote": st.booleans(),
            "quote": st.integers(50, 3000),
        }
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(orders)
def test_engine_matches_the_reference_model(stream):
    # Given a random stream of orders, fed to the engine and to the naive model
    book, reference = Book(), Reference()
    total_in = {BUY: 0, SELL: 0}
    traded = 0
    for n, raw in enumerate(stream):
        o = dict(raw, id=n)
        if o["kind"] == MARKET:
            o["price"], o["post_only"] = 0, False
            if o["side"] == BUY and o["by_quote"]:
                o["quantity"], o["tif"] = 0, IOC
            else:
                o["quote"] = 0
        else:
            o["quote"] = 0
        # When both process it
        result = book.submit(
            Order(
                order_id=n,
                owner=o["owner"],
                side=o["side"],
                price=o["price"],
                quantity=o["quantity"],
                kind=o["kind"],
                time_in_force=o["tif"],
                post_only=o["post_only"],
                quote_amount=o["quote"],
            )
        )
        fills, cancelled, rested = reference.submit(o)
        # Then they agree on the trades, the self-trade cancels and the resting part
        assert [(f.maker_id, f.taker_id, f.price, f.quantity) for f in result.fills] == fills
        assert result.cancelled_resting == cancelled
        assert result.rested == rested
        # And the book is never crossed
        assert not book.is_crossed()
        total_in[o["side"]] += o["quantity"]
        traded += sum(f.quantity for f in result.fills)
        # And no quantity is created or lost: book == reference, order by order
        assert [(r.order_id, r.remaining) for r in book.orders()] == [
            (r["id"], r["remaining"])
            for r in sorted(
                reference.resting,
                key=lambda r: (
                    r["side"] != BUY,
                    -r["price"] if r["side"] == BUY else r["price"],
                    r["seq"],
                ),
            )
        ]
    for f_side in (BUY, SELL):
        resting = sum(r.remaining for r in book.orders() if r.side == f_side)
        assert resting <= total_in[f_side]
    assert traded >= 0


def _limit(order_id, owner, side, price, quantity, **kwargs):
    return Order(
        order_id=order_id, owner=owner, side=side, price=price, quantity=quantity, **kwargs
    )


def test_price_time_priority_and_maker_price():
    # Given two asks at 100 (older first) and one at 99
    book = Book()
    book.submit(_limit("a", 1, SELL, 100, 5))
    book.submit(_limit("b", 2, SELL, 100, 5))
    book.submit(_limit("c", 3, SELL, 99, 5))
    # When a buyer takes 12 at up to 101
    result = book.submit(_limit("t", 4, BUY, 101, 12))
    # Then the best price fills first, then the oldest, at the makers' prices
    assert [(f.maker_id, f.price, f.quantity) for f in result.fills] == [
        ("c", 99, 5),
        ("a", 100, 5),
        ("b", 100, 2),
    ]
    assert book.depth(SELL) == [(100, 3)]
    assert result.rested is False and result.remaining == 0


def test_post_only_that_would_take_is_rejected_and_changes_nothing():
    book = Book()
    book.submit(_limit("a", 1, SELL, 100, 5))
    result = book.submit(_limit("p", 2, BUY, 100, 1, post_only=True))
    assert result.rejected == "post_only" and result.fills == []
    assert book.depth(SELL) == [(100, 5)] and book.depth(BUY) == []


def test_fok_fills_all_or_nothing():
    book = Book()
    book.submit(_limit("a", 1, SELL, 100, 5))
    refused = book.submit(_limit("f", 2, BUY, 100, 6, time_in_force=FOK))
    assert refused.rejected == "fok" and book.depth(SELL) == [(100, 5)]
    done = book.submit(_limit("g", 2, BUY, 100, 5, time_in_force=FOK))
    assert [f.quantity for f in done.fills] == [5] and len(book) == 0


def test_self_trade_cancels_the_resting_order_by_default():
    book = Book()
    book.submit(_limit("own", 1, SELL, 100, 5))
    book.submit(_limit("other", 2, SELL, 100, 5))
    result = book.submit(_limit("t", 1, BUY, 100, 5))
    assert result.cancelled_resting == ["own"] and result.self_trade is True
    assert [(f.maker_id, f.quantity) for f in result.fills] == [("other", 5)]
    assert len(book) == 0


def test_self_trade_cancel_taker_mode():
    book = Book()
    book.submit(_limit("own", 1, SELL, 100, 5))
    result = book.submit(_limit("t", 1, BUY, 100, 5, stp=engine.STP_CANCEL_TAKER))
    assert result.fills == [] and result.rested is False and result.remaining == 5
    assert book.depth(SELL) == [(100, 5)]


def test_market_buy_by_quote_amount_spends_at_most_the_budget():
    # Given asks of 10 lots at 100 and 10 at 110, lot 2 and scale 10
    book = Book(lot=2, scale=10)
    book.submit(_limit("a", 1, SELL, 100, 10))
    book.submit(_limit("b", 1, SELL, 110, 10))
    # When a buyer spends 150 quote
    result = book.submit(
        Order(order_id="m", owner=2, side=BUY, kind=MARKET, time_in_force=IOC, quote_amount=150)
    )
    # Then 10 at 100 (cost 100), then 4 at 110 (cost 44): 6 left, not enough for one more lot
    assert [(f.maker_id, f.quantity, f.notional) for f in result.fills] == [
        ("a", 10, 100),
        ("b", 4, 44),
    ]
    assert result.quote_spent == 144
    assert book.market_buy_cost(6) == 66


def test_engine_rejects_a_duplicate_id():
    book = Book()
    book.submit(_limit("a", 1, SELL, 100, 5))
    with pytest.raises(engine.EngineError):
        book.submit(_limit("a", 1, SELL, 101, 5))


def test_a_spent_quote_budget_cancels_no_resting_order_of_the_same_owner():
    # Found by the property test: a market buy by quote amount that spends its budget on
    # another owner's ask must not cancel its owner's next ask by self-trade prevention.
    book = Book()
    book.submit(Order(order_id=1, owner=0, side=SELL, price=95, quantity=4, kind=LIMIT))
    book.submit(Order(order_id=2, owner=1, side=SELL, price=95, quantity=1, kind=LIMIT))
    result = book.submit(
        Order(
            order_id=3,
            owner=1,
            side=BUY,
            price=0,
            quantity=0,
            kind=MARKET,
            time_in_force=IOC,
            quote_amount=380,
        )
    )
    assert [(f.maker_id, f.quantity) for f in result.fills] == [(1, 4)]
    assert result.cancelled_resting == []
    assert book.best(SELL) == 95  # order 2 still rests
