"""What wakes a market's matcher after a placement or a cancel: `EXCHANGE_MATCHING`."""

from django.db import transaction

from exchange import conf

from ..matching import markets_match


def matching_mode() -> str:
    mode = conf.get("EXCHANGE_MATCHING")
    if mode not in ("inline", "queue", "process"):
        raise RuntimeError(f"EXCHANGE_MATCHING is inline, queue or process, not {mode!r}")
    return mode


def matcher_wake(market_pk: int, mode: str | None = None) -> None:
    """Has the market's matcher take what the current transaction appended to its log
    (`mode`: EXCHANGE_MATCHING, when the caller has read it)."""
    mode = mode or matching_mode()
    if mode == "inline":
        markets_match(market_pk=market_pk)
    elif mode == "queue":
        from exchange.tasks import match_market

        transaction.on_commit(lambda: match_market.delay(market_pk))
