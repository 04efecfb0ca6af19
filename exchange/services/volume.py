"""Traded volume as running totals (`TradedVolume`): the matcher adds each batch's fills, the
KYC trading caps and the fee tiers read a user's few rows instead of summing their orders.

Rows are per user, quote asset, and UTC hour or UTC day. The 24-hour cap counts the hours
from the one that holds the moment 24 hours ago, the 30-day cap and the fee tiers the days
from the one that holds the moment 30 days ago: a window starts at most an hour (a day)
early, so a cap is never looser than the exact rolling window, and at most that much
stricter.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db.models import Q

from busanhub.db import PreparedStatement
from exchange.models import TradedVolume

HOUR = TradedVolume.Span.HOUR
DAY = TradedVolume.Span.DAY


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _day(moment: datetime) -> datetime:
    return _hour(moment).replace(hour=0)


def windows(now: datetime) -> tuple[datetime, datetime]:
    """The first hour of the 24-hour window and the first day of the 30-day window."""
    return _hour(now - timedelta(hours=24)), _day(now - timedelta(days=30))


VOLUME_ADD = PreparedStatement(
    "exchange_volume_add",
    (Path(__file__).resolve().parent.parent / "sql" / "volume_add.sql").read_text(),
    params=[
        ("owners", "bigint[]"),
        ("assets", "bigint[]"),
        ("volumes", "bigint[]"),
        ("hour", "timestamptz"),
        ("day", "timestamptz"),
    ],
    generic_plan=True,
)


def volume_add(amounts: dict[tuple[int, int], int], *, now: datetime, writes) -> None:
    """Adds {(owner_id, quote asset_id): quote amount} to the hour and the day of `now`, in
    the caller's transaction (the matcher's, with the fills), as one statement added to
    `writes` (the matcher's batch, sent with its other writes). Rows are taken in one order
    (owner, span, asset), so two markets' matchers adding for the same user cannot deadlock."""
    amounts = {key: amount for key, amount in amounts.items() if amount}
    if not amounts:
        return
    writes.add(
        VOLUME_ADD.bind(
            owners=[owner for owner, _ in amounts],
            assets=[asset for _, asset in amounts],
            volumes=list(amounts.values()),
            hour=_hour(now),
            day=_day(now),
        )
    )


def volume_prune(*, now: datetime) -> int:
    """Deletes the rows no window reads any more (hours older than two days, days older than
    two 30-day windows, a margin for clocks); returns how many."""
    day_from, month_from = windows(now)
    deleted, _ = TradedVolume.objects.filter(
        Q(span=HOUR, start__lt=day_from - timedelta(hours=24))
        | Q(span=DAY, start__lt=month_from - timedelta(days=30))
    ).delete()
    return deleted
