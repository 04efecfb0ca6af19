"""Traded volume as running totals: the matcher keeps them with the fills, the KYC trading caps
and the fee tiers read them, the migration fills them from past trades; and placement's cached
market facts never decide alone."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from exchange import selectors, services
from exchange.models import Account, FeeTier, Market, Trade, TradedVolume
from exchange.services.volume import windows
from exchange.tests.factories import ETH, kyc_user

pytestmark = pytest.mark.django_db

PRICE = 3_000_000  # KRW per ETH
OVER = {"quantity": ["This order would pass your trading limit for your KYC level."]}


def _volume(user, span, start, amount, asset):
    TradedVolume.objects.create(owner=user, asset=asset, span=span, start=start, volume=amount)


def _hour(moment):
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def test_the_matcher_adds_both_sides_of_a_fill_to_their_hour_and_day(market, alice, bob, fund):
    # Given alice's resting sell of 0.5 ETH at 3,000,000
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=10_000_000)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 2)
    # When bob buys 0.2 ETH, then 0.1 ETH
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 5)
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    # Then each has 900,000 KRW traded in this hour and this day, in KRW
    now = timezone.now()
    rows = sorted(
        TradedVolume.objects.values_list("owner_id", "asset_id", "span", "start", "volume")
    )
    hour, day = _hour(now), _hour(now).replace(hour=0)
    krw = market.quote_id
    assert rows == sorted(
        [
            (alice.pk, krw, "day", day, 900_000),
            (alice.pk, krw, "hour", hour, 900_000),
            (bob.pk, krw, "day", day, 900_000),
            (bob.pk, krw, "hour", hour, 900_000),
        ]
    )


def test_the_24_hour_cap_counts_the_last_24_hours_and_the_30_day_cap_the_days(market, fund):
    # Given a level-1 user (5,000,000 KRW a day, 30,000,000 in 30 days) who traded 4,500,000
    # KRW 26 hours ago
    user = kyc_user(level=1)
    fund(user, market, krw=50_000_000)
    now = timezone.now()
    day_from, month_from = windows(now)
    krw = market.quote
    _volume(user, "hour", day_from - timedelta(hours=2), 4_500_000, krw)
    _volume(user, "day", month_from + timedelta(days=10), 4_500_000, krw)
    # When she places 3,000,000 KRW, Then it passes: those hours are outside the 24 hours
    first = services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    services.order_cancel(user=user, order=first)
    # Given 2,500,000 KRW traded within the 24 hours
    _volume(user, "hour", _hour(now) - timedelta(hours=3), 2_500_000, krw)
    # When she places 3,000,000 KRW again, Then the 24-hour cap refuses it
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    assert error.value.message_dict == OVER


def test_the_30_day_cap_counts_whole_days_of_the_window(market, fund):
    # Given a level-1 user who traded 26,000,000 KRW ten days ago and 9,000,000 long before
    user = kyc_user(level=1)
    fund(user, market, krw=50_000_000)
    _, month_from = windows(timezone.now())
    krw = market.quote
    _volume(user, "day", month_from - timedelta(days=1), 9_000_000, krw)
    _volume(user, "day", month_from + timedelta(days=20), 26_000_000, krw)
    # When she places 3,000,000 KRW, Then it passes (26 + 3 <= 30 million: the old day is out)
    services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    # And 1,500,000 more is refused by the 30-day cap (26 + 3 + 1.5 > 30), though it fits the
    # day's (3 + 1.5 <= 5)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH // 2)
    assert error.value.message_dict == OVER


def test_volume_in_another_quote_asset_does_not_count_against_the_krw_cap(market, fund):
    from exchange.tests.factories import AssetFactory

    user = kyc_user(level=1)
    fund(user, market, krw=50_000_000)
    usd = AssetFactory(symbol="USD", name="US dollar", decimals=0)
    _volume(user, "hour", _hour(timezone.now()), 4_900_000, usd)
    _volume(user, "day", _hour(timezone.now()).replace(hour=0), 4_900_000, usd)
    services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)


def test_the_fee_tier_follows_the_30_day_volume(market, alice, bob, fund):
    # Given a "vip" tier from 1,000,000 (0 bp maker, 5 bp taker) beside the base (10 / 20 bp),
    # and bob with 2,000,000 KRW traded yesterday, alice with nothing
    FeeTier.objects.create(name="vip", min_volume_30d=1_000_000, maker_bps=0, taker_bps=5)
    _volume(
        bob,
        "day",
        _hour(timezone.now()).replace(hour=0) - timedelta(days=1),
        2_000_000,
        market.quote,
    )
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=10_000_000)
    # When bob (taker) buys 0.1 ETH from alice's resting sell (maker)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 10)
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    # Then alice pays the base maker fee (10 bp of the 300,000 KRW she receives) and bob the
    # vip taker fee (5 bp of the 0.1 ETH he receives)
    trade = Trade.objects.get()
    assert (trade.maker_fee, trade.taker_fee) == (300_000 * 10 // 10_000, ETH // 10 * 5 // 10_000)


def test_the_migration_fills_the_totals_from_past_trades(market, alice, bob, fund):
    # Given trades the matcher counted
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=10_000_000)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 2)
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 5)
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    counted = sorted(
        TradedVolume.objects.values_list("owner_id", "asset_id", "span", "start", "volume")
    )
    # When the totals are gone and the migration's step runs
    TradedVolume.objects.all().delete()
    migration = importlib.import_module("exchange.migrations.0007_traded_volume_and_leaner_indexes")
    migration.volumes_from_trades(apps, None)
    # Then it finds the same totals
    assert (
        sorted(TradedVolume.objects.values_list("owner_id", "asset_id", "span", "start", "volume"))
        == counted
    )


@pytest.fixture
def process_mode(settings):
    settings.EXCHANGE_MATCHING = "process"


def test_cached_market_facts_never_decide_alone(market, alice, fund, process_mode):
    fund(alice, market, krw=10_000_000)
    # Given a process that placed an order, so it holds the market's facts (tick 1,000)
    services.order_place(user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    # When staff change the tick to 10,000 behind its back
    Market.objects.filter(pk=market.pk).update(tick_size=10_000)
    # Then a price off the new tick is refused, naming the price
    with pytest.raises(ValidationError) as error:
        services.order_place(
            user=alice, market=market, side="buy", price=PRICE + 1_000, quantity=ETH // 10
        )
    assert list(error.value.message_dict) == ["price"]
    # When the market is halted, Then placement says so; when it reopens, orders pass again
    Market.objects.filter(pk=market.pk).update(status=Market.Status.HALTED)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    assert list(error.value.message_dict) == ["market"]
    Market.objects.filter(pk=market.pk).update(status=Market.Status.OPEN)
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10
    )
    assert order.pk is not None


def test_windows_start_on_whole_utc_hours_and_days():
    now = datetime(2026, 11, 25, 7, 41, 12, tzinfo=UTC)
    assert windows(now) == (
        datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 0, 0, tzinfo=UTC),
    )


def test_pruning_keeps_what_a_window_reads(market, alice):
    # Given hour and day rows inside and far outside the windows
    now = timezone.now()
    day_from, month_from = windows(now)
    krw = market.quote
    kept = [
        ("hour", day_from),
        ("hour", day_from - timedelta(hours=23)),  # a day's margin
        ("day", month_from),
        ("day", month_from - timedelta(days=29)),
    ]
    gone = [("hour", day_from - timedelta(hours=25)), ("day", month_from - timedelta(days=31))]
    for span, start in kept + gone:
        _volume(alice, span, start, 1_000, krw)
    # When the daily task prunes, Then only the rows outside every window (and margin) go
    from exchange import tasks

    assert tasks.prune_traded_volume.apply().get() == 2
    assert sorted(TradedVolume.objects.values_list("span", "start")) == sorted(kept)


def test_the_pruning_task_is_scheduled_daily():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="exchange.tasks.prune_traded_volume")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 86_400, "seconds")


def test_the_migration_fills_what_open_orders_may_trade(market, alice, bob, fund):
    # Given resting, partly filled, filled and cancelled orders
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=10_000_000)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 2)
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 5)
    resting = services.order_place(
        user=bob, market=market, side="buy", price=PRICE - 1_000, quantity=ETH // 10
    )
    services.order_place(
        user=bob, market=market, side="buy", price=PRICE - 2_000, quantity=ETH // 10
    )
    services.order_cancel(user=bob, order=resting)
    kept = sorted(Account.objects.values_list("pk", "open_notional"))
    assert any(total for _, total in kept)
    # When the totals are zeroed and the migration's step runs
    Account.objects.update(open_notional=0)
    migration = importlib.import_module("exchange.migrations.0008_account_open_notional")
    migration.open_from_orders(apps, None)
    # Then it finds what placement and the matcher kept
    assert sorted(Account.objects.values_list("pk", "open_notional")) == kept
    assert not selectors.open_notional_mismatches()
