"""The in-memory book of each market, per thread: a cache trusted only while the market's
`book_version` is the one it was built at; otherwise rebuilt from the resting orders."""

import threading

from exchange import engine
from exchange.models import Market, Order

from .live import Live


class State:
    def __init__(self, version, book: engine.Book, live: dict):
        self.version = version
        self.book = book
        self.live = live  # order pk -> Live, for every order resting on the book


# One cache per thread: two threads of one process behave like two processes.
_local = threading.local()


def _cache() -> dict:
    if not hasattr(_local, "books"):
        _local.books = {}
    return _local.books


def book_forget(market_pk: int) -> None:
    _cache().pop(market_pk, None)


def state_for(market: Market) -> State:
    cached = _cache().get(market.pk)
    if cached is not None and cached.version == market.book_version:
        return cached
    book = engine.Book(lot=market.lot_size, scale=market.scale)
    live = {}
    rows = Order.objects.filter(market=market, status__in=Order.OPEN_STATUSES).order_by("seq", "pk")
    for order in rows.only(*Live.__slots__[1:]):
        book.rest(
            engine.Order(
                order_id=order.pk,
                owner=order.owner_id,
                side=order.side,
                price=order.price,
                quantity=order.quantity,
                remaining=order.quantity - order.filled_quantity,
            )
        )
        live[order.pk] = Live.of(order)
    state = State(market.book_version, book, live)
    _cache()[market.pk] = state
    return state
