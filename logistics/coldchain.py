"""Cold-chain breach detection (pure: no Django).

A breach is more than `max_minutes_out` cumulative minutes out of the storage class's range, or
any single reading beyond a hard limit. A reading's value holds until the next reading (step
interpolation), so the time out of range is the sum of the intervals that start out of range.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Rule:
    low: Decimal | None
    high: Decimal | None
    hard_low: Decimal | None
    hard_high: Decimal | None
    max_minutes_out: int = 30

    def in_range(self, celsius: Decimal) -> bool:
        return (self.low is None or celsius >= self.low) and (
            self.high is None or celsius <= self.high
        )

    def beyond_hard_limit(self, celsius: Decimal) -> bool:
        return (self.hard_low is not None and celsius < self.hard_low) or (
            self.hard_high is not None and celsius > self.hard_high
        )


RULES = {
    "chilled": Rule(Decimal(0), Decimal(4), Decimal(-3), Decimal(10)),
    "frozen": Rule(None, Decimal(-18), None, Decimal(-10)),
    "live": Rule(Decimal(2), Decimal(18), Decimal(0), Decimal(25)),
}


@dataclass(frozen=True)
class Reading:
    time: datetime
    celsius: Decimal


@dataclass(frozen=True)
class BreachFinding:
    started_at: datetime
    ended_at: datetime
    minutes_out_of_range: int
    extreme_celsius: Decimal
    reason: str  # "cumulative" or "hard_limit"


def detect(readings: list[Reading], rule: Rule) -> BreachFinding | None:
    """The breach in a series of readings (any order), or None when the series is in range."""
    series = sorted(readings, key=lambda reading: reading.time)
    seconds_out = 0.0
    out = [reading for reading in series if not rule.in_range(reading.celsius)]
    if not out:
        return None
    for current, following in zip(series, series[1:], strict=False):
        if not rule.in_range(current.celsius):
            seconds_out += (following.time - current.time).total_seconds()
    minutes = int(seconds_out // 60)
    extreme = max(out, key=lambda reading: _distance(reading.celsius, rule)).celsius
    hard = [reading for reading in series if rule.beyond_hard_limit(reading.celsius)]
    if hard:
        reason = "hard_limit"
    elif minutes > rule.max_minutes_out:
        reason = "cumulative"
    else:
        return None
    return BreachFinding(
        started_at=out[0].time,
        ended_at=out[-1].time,
        minutes_out_of_range=minutes,
        extreme_celsius=extreme,
        reason=reason,
    )


def _distance(celsius: Decimal, rule: Rule) -> Decimal:
    if rule.low is not None and celsius < rule.low:
        return rule.low - celsius
    if rule.high is not None and celsius > rule.high:
        return celsius - rule.high
    return Decimal(0)


def back_in_range_at(readings: list[Reading], rule: Rule, last_out: datetime) -> datetime:
    """When a breach whose last out-of-range reading is at `last_out` ended: the time of the next
    reading, which is in range (each reading holds until the next one, as `detect` counts the
    minutes), or `last_out` itself when no reading followed."""
    later = sorted(
        (reading for reading in readings if reading.time > last_out), key=lambda r: r.time
    )
    return later[0].time if later else last_out
