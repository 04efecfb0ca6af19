"""The market's matcher: the one writer of a market's book.

Placement (`orders.order_place`) and cancel requests only append to the market's input log
(`OrderRequest`) and hold or keep funds; this package takes the waiting requests in log order,
runs them through the pure engine on an in-memory book and writes a whole batch's results in
one transaction with a few bulk statements: order updates, trades, one netted journal entry,
balances, anchor leaves, surveillance events, the market's sequence and book version.

One writer per market, by a PostgreSQL transaction advisory lock on the market plus a
`SELECT ... FOR UPDATE` of its row. The in-memory book is a cache, trusted only while the
market's `book_version` (rewritten by every committed batch) is the one it was built at;
otherwise it is rebuilt from the resting orders in `seq` order.
"""

from .book import book_forget
from .consumer import lock_market, market_close_book, market_match_batch, markets_match

__all__ = [
    "book_forget",
    "lock_market",
    "market_close_book",
    "market_match_batch",
    "markets_match",
]
