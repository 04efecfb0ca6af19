"""A batch's results, built in memory from the pure engine's output: order changes, fills,
money moves (netted per owner, asset and bucket), self-trades and the requests' sequence
numbers. `writes.batch_write` writes them."""

from collections import defaultdict

from exchange import engine
from exchange.models import Market, Order

from ..ledger import AVAILABLE, HELD
from .book import State
from .live import Live, Row, tradable


class MatchBatch:
    """The results of one batch, accumulated in memory, written by `writes.batch_write`."""

    def __init__(self, market: Market, state: State):
        self.market = market
        self.state = state
        self.changed: dict = {}  # order pk -> Live whose row changes
        self.deltas: dict = defaultdict(int)  # (owner or "fees", asset, bucket) -> amount
        self.fills: list = []  # (maker Live, taker Live, engine.Fill)
        self.self_trades: list = []  # (taker Live, [cancelled maker Live])
        self.requests: list = []  # (request pk, seq)
        self.open_before: dict = {}  # order pk -> what it could still trade before the batch

    # --- money moves ---------------------------------------------------------------------
    def touch(self, order: Live) -> None:
        """Remembers what the order could still trade before the batch changes it."""
        if order.pk not in self.open_before:
            self.open_before[order.pk] = tradable(order)

    def _asset(self, side: str) -> int:
        return self.market.quote_id if side == Order.Side.BUY else self.market.base_id

    def release(self, order: Live, amount: int | None = None) -> None:
        amount = order.held_remaining if amount is None else amount
        if amount:
            asset = self._asset(order.side)
            self.deltas[(order.owner_id, asset, HELD)] -= amount
            self.deltas[(order.owner_id, asset, AVAILABLE)] += amount
            order.held_remaining -= amount

    def close(self, order: Live, status: str, reason: str = "") -> None:
        """Ends an order: releases what it still holds."""
        self.touch(order)
        self.release(order)
        order.status, order.cancel_reason = status, reason
        self.changed[order.pk] = order

    # --- requests --------------------------------------------------------------------------
    def cancel(self, order_pk: int) -> None:
        order = self.state.live.pop(order_pk, None)
        if order is None:  # filled, cancelled or refused before the request came up
            return
        self.state.book.cancel(order_pk)
        self.close(order, Order.Status.CANCELLED, "user")

    def place(self, row: Row, seq: int) -> None:
        book, market = self.state.book, self.market
        order = row
        self.touch(order)
        order.seq = seq
        self.changed[order.pk] = order
        if row.status != Order.Status.PENDING:  # already closed (the market was closed)
            return
        if market.status != Market.Status.OPEN:
            self.close(order, Order.Status.CANCELLED, f"market_{market.status}")
            return
        by_quote = row.kind == Order.Kind.MARKET and row.side == Order.Side.BUY and row.quote_amount
        if row.kind == Order.Kind.MARKET and row.side == Order.Side.BUY and not by_quote:
            # A market buy by quantity holds the cost seen at placement: it fills entirely
            # within that, or not at all.
            cost = book.market_buy_cost(row.quantity, owner=row.owner_id)
            if cost is None or cost > order.held_remaining:
                reason = "no_liquidity" if cost is None else "price_moved"
                self.close(order, Order.Status.CANCELLED, reason)
                return
        taker = engine.Order(
            order_id=row.pk,
            owner=row.owner_id,
            side=row.side,
            price=row.price,
            quantity=row.quantity,
            kind=row.kind,
            time_in_force=row.time_in_force,
            post_only=row.post_only,
            quote_amount=row.quote_amount,
            stp=row.stp,
        )
        result = book.submit(taker)
        spent = 0
        for fill in result.fills:
            maker = self.state.live[fill.maker_id]
            self.touch(maker)
            maker.held_remaining -= fill.notional if maker.side == Order.Side.BUY else fill.quantity
            maker.filled_quantity += fill.quantity
            maker.filled_quote += fill.notional
            order.filled_quantity += fill.quantity
            order.filled_quote += fill.notional
            spent += fill.notional if row.side == Order.Side.BUY else fill.quantity
            self.fills.append((maker, order, fill))
            if maker.filled_quantity == maker.quantity:
                del self.state.live[maker.pk]
                self.close(maker, Order.Status.FILLED)
            else:
                maker.status = Order.Status.PARTIALLY_FILLED
                self.changed[maker.pk] = maker
        cancelled = []
        for maker_pk in result.cancelled_resting:
            maker = self.state.live.pop(maker_pk)
            self.close(maker, Order.Status.CANCELLED, "self_trade")
            cancelled.append(maker)
        if result.self_trade:
            self.self_trades.append((order, cancelled))
        # The taker's hold pays its fills; it keeps only what its resting part needs.
        order.held_remaining -= spent
        if result.rested:
            keep = (
                row.price * result.remaining // market.scale
                if row.side == Order.Side.BUY
                else result.remaining
            )
            self.release(order, order.held_remaining - keep)
            order.status = (
                Order.Status.PARTIALLY_FILLED if order.filled_quantity else Order.Status.OPEN
            )
            self.state.live[order.pk] = order
        elif result.rejected:
            self.close(order, Order.Status.REJECTED, result.rejected)
        elif by_quote:
            if result.fills:
                self.close(order, Order.Status.FILLED)
            else:
                self.close(order, Order.Status.CANCELLED, "no_liquidity")
        elif order.filled_quantity == order.quantity:
            self.close(order, Order.Status.FILLED)
        else:
            reason = "self_trade" if result.self_trade else "unfilled"
            self.close(order, Order.Status.CANCELLED, reason)
