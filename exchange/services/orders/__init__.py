"""Order placement and cancellation; matching lives in `matching` (one writer per market).

Placement runs in any process, concurrently: it validates, holds the funds under the owner's
account row locks, counts the order against the KYC trading caps, and appends the order to
the market's input log (`OrderRequest`). Cancels append to the same log, so the matcher sees
placements and cancels in one order. What wakes the matcher is `EXCHANGE_MATCHING`:

- ``inline`` (default): the placing transaction runs the matcher itself before it commits, so
  callers see the order matched (no worker needed; placements of a market serialise);
- ``queue``: after commit, a Celery task on the ``matching`` queue drains the market;
- ``process``: nothing; a dedicated ``manage.py exchange_matcher`` process drains the log.
"""

from ..matching import book_forget
from .cancel import order_cancel, orders_cancel_all
from .place import order_place
from .staff import account_set_frozen, market_set_status

__all__ = [
    "account_set_frozen",
    "book_forget",
    "market_set_status",
    "order_cancel",
    "order_place",
    "orders_cancel_all",
]
