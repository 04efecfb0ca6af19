"""The matching engine: one market's order book, price-time priority, integers only.

No Django, no I/O: the service layer loads the book, feeds orders in and persists what comes
out. Prices are integers (quote minor units per `scale` base minor units) and quantities are
integers (base minor units, multiples of `lot`). The notional of a fill is
`price * quantity // scale`; markets are configured so that the division is exact.

Rules:
- price-time priority: best price first, then the oldest order at that price;
- a fill happens at the resting (maker) order's price;
- time in force: GTC rests what is left, IOC cancels what is left, FOK fills entirely or
  does nothing;
- post-only: refused (nothing happens) if it would take liquidity;
- self-trade prevention: when the taker would meet a resting order of the same owner, the
  resting order is cancelled (default, "cancel_resting") or the taker's rest is cancelled
  ("cancel_taker");
- market orders: sell by quantity; buy by quantity or by quote amount (spend at most that).
"""

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

BUY = "buy"
SELL = "sell"
LIMIT = "limit"
MARKET = "market"
GTC = "GTC"
IOC = "IOC"
FOK = "FOK"
STP_CANCEL_RESTING = "cancel_resting"
STP_CANCEL_TAKER = "cancel_taker"


class EngineError(ValueError):
    pass


@dataclass(slots=True)
class Order:
    order_id: object
    owner: object
    side: str
    price: int = 0  # limit price; 0 for market orders
    quantity: int = 0  # base quantity; 0 for a market buy sized by quote amount
    kind: str = LIMIT
    time_in_force: str = GTC
    post_only: bool = False
    quote_amount: int = 0  # market buy by quote amount
    stp: str = STP_CANCEL_RESTING
    remaining: int = field(default=0)

    def __post_init__(self) -> None:
        if not self.remaining:
            self.remaining = self.quantity


@dataclass(frozen=True, slots=True)
class Fill:
    maker_id: object
    taker_id: object
    price: int
    quantity: int
    notional: int
    taker_side: str


@dataclass(slots=True)
class Result:
    fills: list = field(default_factory=list)
    cancelled_resting: list = field(default_factory=list)  # ids removed by self-trade prevention
    rested: bool = False
    remaining: int = 0  # what is left of the taker (rested or cancelled)
    quote_spent: int = 0
    rejected: str = ""  # "post_only" or "fok": nothing happened
    self_trade: bool = False


class Book:
    """One market's resting orders."""

    def __init__(self, *, lot: int = 1, scale: int = 1):
        self.lot = lot
        self.scale = scale
        self._levels: dict[str, dict[int, deque[Order]]] = {BUY: {}, SELL: {}}  # by price
        # Sorted prices: bids ascending (best is last), asks ascending (best is first).
        self._prices: dict[str, list[int]] = {BUY: [], SELL: []}
        self._index: dict[object, Order] = {}  # order_id -> order

    # --- reads -------------------------------------------------------------------------
    def best(self, side: str) -> int | None:
        prices = self._prices[side]
        if not prices:
            return None
        return prices[-1] if side == BUY else prices[0]

    def depth(self, side: str, levels: int = 10) -> list[tuple[int, int]]:
        prices = self._prices[side]
        ordered = reversed(prices) if side == BUY else iter(prices)
        out: list[tuple[int, int]] = []
        for price in ordered:
            if len(out) >= levels:
                break
            out.append((price, sum(o.remaining for o in self._levels[side][price])))
        return out

    def orders(self) -> Iterator[Order]:
        """Every resting order, best price first, then by time."""
        for side in (BUY, SELL):
            prices = reversed(self._prices[side]) if side == BUY else self._prices[side]
            for price in prices:
                yield from self._levels[side][price]

    def get(self, order_id: object) -> Order | None:
        return self._index.get(order_id)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._index

    def __len__(self) -> int:
        return len(self._index)

    def notional(self, price: int, quantity: int) -> int:
        return price * quantity // self.scale

    def is_crossed(self) -> bool:
        bid, ask = self.best(BUY), self.best(SELL)
        return bid is not None and ask is not None and bid >= ask

    # --- writes ------------------------------------------------------------------------
    def rest(self, order: Order) -> None:
        """Puts an order on the book as is (loading a persisted book, or after matching)."""
        if order.order_id in self._index:
            raise EngineError(f"order {order.order_id!r} is already on the book")
        if order.remaining <= 0 or order.price <= 0:
            raise EngineError("a resting order has a positive price and remaining quantity")
        level = self._levels[order.side].get(order.price)
        if level is None:
            level = self._levels[order.side][order.price] = deque()
            insort(self._prices[order.side], order.price)
        level.append(order)
        self._index[order.order_id] = order

    def cancel(self, order_id: object) -> Order | None:
        order = self._index.pop(order_id, None)
        if order is None:
            return None
        level = self._levels[order.side][order.price]
        level.remove(order)
        if not level:
            self._drop_level(order.side, order.price)
        return order

    def _drop_level(self, side: str, price: int) -> None:
        del self._levels[side][price]
        prices = self._prices[side]
        del prices[bisect_left(prices, price)]

    def _crosses(self, taker: Order, price: int) -> bool:
        if taker.kind == MARKET:
            return True
        return price <= taker.price if taker.side == BUY else price >= taker.price

    def _fillable(self, taker: Order) -> bool:
        """FOK check: can the taker fill entirely (own orders excluded, as STP skips them)?"""
        opposite = SELL if taker.side == BUY else BUY
        prices = self._prices[opposite]
        need = taker.remaining
        for price in prices if opposite == SELL else reversed(prices):
            if not self._crosses(taker, price):
                return False
            for resting in self._levels[opposite][price]:
                if resting.owner == taker.owner:
                    if taker.stp == STP_CANCEL_TAKER:
                        return False
                    continue
                need -= min(need, resting.remaining)
                if need == 0:
                    return True
        return False

    def _max_for_quote(self, budget: int, price: int) -> int:
        return (budget * self.scale // price) // self.lot * self.lot

    def _lot_cost(self, price: int) -> int:
        return self.notional(price, self.lot)

    def submit(self, taker: Order) -> Result:
        """Matches an incoming order; rests a GTC limit remainder. Returns what happened."""
        result = Result()
        by_quote = taker.kind == MARKET and taker.side == BUY and not taker.quantity
        if taker.order_id in self._index:
            raise EngineError(f"order {taker.order_id!r} is already on the book")
        if by_quote and taker.time_in_force == FOK:
            raise EngineError("a market buy sized by quote amount cannot be fill-or-kill")
        opposite = SELL if taker.side == BUY else BUY
        best = self.best(opposite)
        if taker.post_only and best is not None and self._crosses(taker, best):
            result.rejected = "post_only"
            result.remaining = taker.remaining
            return result
        if taker.time_in_force == FOK and not self._fillable(taker):
            result.rejected = "fok"
            result.remaining = taker.remaining
            return result
        budget = taker.quote_amount
        prices = self._prices[opposite]
        levels = self._levels[opposite]
        fills = result.fills
        stopped = False  # the taker's rest is cancelled by self-trade prevention
        while prices and not stopped:
            if by_quote:
                price = prices[0]
                if self._max_for_quote(budget, price) == 0:
                    break
            else:
                if taker.remaining == 0:
                    break
                price = prices[0] if opposite == SELL else prices[-1]
                if not self._crosses(taker, price):
                    break
            level = levels[price]
            while level:
                if by_quote and self._max_for_quote(budget, price) == 0:
                    # The budget is spent: nothing more would trade, so no self-trade either.
                    stopped = True
                    break
                resting = level[0]
                if resting.owner == taker.owner:
                    result.self_trade = True
                    if taker.stp == STP_CANCEL_TAKER:
                        stopped = True
                        break
                    level.popleft()
                    del self._index[resting.order_id]
                    result.cancelled_resting.append(resting.order_id)
                    continue
                if by_quote:
                    quantity = min(resting.remaining, self._max_for_quote(budget, price))
                    if quantity == 0:
                        stopped = True
                        break
                else:
                    quantity = min(resting.remaining, taker.remaining)
                notional = price * quantity // self.scale
                resting.remaining -= quantity
                if by_quote:
                    budget -= notional
                else:
                    taker.remaining -= quantity
                result.quote_spent += notional
                fills.append(
                    Fill(resting.order_id, taker.order_id, price, quantity, notional, taker.side)
                )
                if resting.remaining == 0:
                    level.popleft()
                    del self._index[resting.order_id]
                if not by_quote and taker.remaining == 0:
                    break
            if not level:
                self._drop_level(opposite, price)
        if by_quote:
            taker.remaining = 0
            return result
        result.remaining = taker.remaining
        if (
            taker.remaining > 0
            and taker.kind == LIMIT
            and taker.time_in_force == GTC
            and not stopped
        ):
            self.rest(taker)
            result.rested = True
        return result

    def market_buy_cost(self, quantity: int, owner: object = None) -> int | None:
        """Quote needed to buy `quantity` at market now (None if the book is too thin)."""
        need, cost = quantity, 0
        for price in self._prices[SELL]:
            for resting in self._levels[SELL][price]:
                if resting.owner == owner:
                    continue
                take = min(need, resting.remaining)
                cost += self.notional(price, take)
                need -= take
                if need == 0:
                    return cost
        return None
