"""What each KYC level allows, in KRW (pure data, no Django).

Level 1 trades small amounts and cannot withdraw crypto; level 2 is the ordinary customer;
level 3 is enhanced due diligence. Caps are rolling windows: the last 24 hours and 30 days.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    trade_24h: int
    trade_30d: int
    withdraw_24h: int
    withdraw_30d: int


LEVELS = {
    1: Limits(
        trade_24h=5_000_000, trade_30d=30_000_000, withdraw_24h=1_000_000, withdraw_30d=5_000_000
    ),
    2: Limits(
        trade_24h=100_000_000,
        trade_30d=1_000_000_000,
        withdraw_24h=50_000_000,
        withdraw_30d=300_000_000,
    ),
    3: Limits(
        trade_24h=10_000_000_000,
        trade_30d=100_000_000_000,
        withdraw_24h=5_000_000_000,
        withdraw_30d=30_000_000_000,
    ),
}


def limits_for(level: int) -> Limits | None:
    """A level's limits; a level above the highest known has the highest's; None below 1."""
    if level < 1:
        return None
    return LEVELS[min(level, max(LEVELS))]
