"""The market's facts placement validates against, and this process's cache of them."""

from dataclasses import dataclass

from exchange.models import Market


@dataclass(frozen=True)
class Facts:
    """The market's facts placement validates against: read from the market's row under the
    market's lock (inline matching), or from a per-process cache that exchange_place checks against
    the committed row."""

    status: str
    tick_size: int
    lot_size: int
    min_notional: int
    base_id: int
    quote_id: int
    decimals: int
    quote_symbol: str

    @property
    def scale(self) -> int:
        return 10**self.decimals


def facts_of(market: Market) -> Facts:
    return Facts(
        status=market.status,
        tick_size=market.tick_size,
        lot_size=market.lot_size,
        min_notional=market.min_notional,
        base_id=market.base_id,
        quote_id=market.quote_id,
        decimals=market.base.decimals,
        quote_symbol=market.quote.symbol,
    )


_facts_cache: dict[int, Facts] = {}


def facts_cached(market_pk: int, *, refresh: bool = False) -> Facts:
    """The market's facts as this process last read them (`refresh`: read them now). Never
    trusted alone: exchange_place refuses ("stale") to write against facts that are not the
    committed ones, and a refusal the cached facts give is asked again of fresh ones."""
    facts = None if refresh else _facts_cache.get(market_pk)
    if facts is None:
        market = Market.objects.select_related("base", "quote").get(pk=market_pk)
        facts = _facts_cache[market_pk] = facts_of(market)
    return facts
