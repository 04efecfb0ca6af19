"""Traded volume as running totals (`TradedVolume`): the matcher adds each batch's fills, the
KYC trading caps and the fee tiers read a user's few rows instead of summing their orders.

Rows are per user, quote asset, and UTC hour or UTC day. The 24-hour cap counts the hours
from the one that holds the moment 24 hours ago, the 30-day cap and the fee tiers the days
from the one that holds the moment 30 days ago: a window starts at most an hour (a day)
early, so a cap is never looser than the exact rolling window, and at most that much
stricter.
"""

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q, Sum

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


_ADD_SQL = f"""
INSERT INTO {TradedVolume._meta.db_table} AS t (owner_id, asset_id, span, start, volume)
SELECT v.owner, v.asset, s.span, s.start, v.volume
FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(owner, asset, volume),
    (VALUES ('{HOUR}', %s::timestamptz), ('{DAY}', %s::timestamptz)) AS s(span, start)
ORDER BY v.owner, s.span, v.asset
ON CONFLICT (owner_id, span, start, asset_id) DO UPDATE SET volume = t.volume + EXCLUDED.volume
"""  # noqa: S608 (table name and span constants only)


def volume_add(amounts: dict[tuple[int, int], int], *, now: datetime, writes) -> None:
    """Adds {(owner_id, quote asset_id): quote amount} to the hour and the day of `now`, in
    the caller's transaction (the matcher's, with the fills). On PostgreSQL it is one statement
    added to `writes` (the matcher's batch, sent with its other writes); rows are taken in one
    order (owner, span, asset), so two markets' matchers adding for the same user cannot
    deadlock. Elsewhere the ORM writes at once."""
    amounts = {key: amount for key, amount in amounts.items() if amount}
    if not amounts:
        return
    if connection.vendor == "postgresql":
        writes.add(
            _ADD_SQL,
            [
                [owner for owner, _ in amounts],
                [asset for _, asset in amounts],
                list(amounts.values()),
                _hour(now),
                _day(now),
            ],
        )
        return
    with transaction.atomic():
        for (owner, asset), amount in amounts.items():
            for span, start in ((DAY, _day(now)), (HOUR, _hour(now))):
                row, _ = TradedVolume.objects.get_or_create(
                    owner_id=owner, asset_id=asset, span=span, start=start
                )
                TradedVolume.objects.filter(pk=row.pk).update(volume=F("volume") + amount)


def volume_used(*, owner_id: int, asset_id: int, now: datetime) -> tuple[int, int]:
    """What the user traded in `asset` (as quote) in the 24-hour and the 30-day window."""
    day_from, month_from = windows(now)
    used = TradedVolume.objects.filter(
        Q(span=HOUR, start__gte=day_from) | Q(span=DAY, start__gte=month_from),
        owner_id=owner_id,
        asset_id=asset_id,
    ).aggregate(day=Sum("volume", filter=Q(span=HOUR)), month=Sum("volume", filter=Q(span=DAY)))
    return used["day"] or 0, used["month"] or 0


def volumes_30d(owner_ids, *, now: datetime) -> dict[int, int]:
    """{owner_id: quote volume of the 30-day window, every quote asset added up} (fee tiers)."""
    _, month_from = windows(now)
    return dict(
        TradedVolume.objects.filter(owner_id__in=list(owner_ids), span=DAY, start__gte=month_from)
        .values_list("owner_id")
        .annotate(total=Sum("volume"))
        .order_by()
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
