"""Exchange benchmark: the matching engine alone, then order placement end to end through the
service layer with persistence (holds, matching, trades, fees, ledger, anchor leaves).

    .venv/bin/python bench/exchange.py --quick
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub_exchange_bench \
        .venv/bin/python bench/exchange.py

The durable part runs against a throw-away database made by Django's test-database machinery
on whatever DATABASE_URL names (PostgreSQL is the figure that matters; SQLite is printed as
such). Prints figures only, asserts nothing about timing. The last line is the headline:

    engine_orders_per_s=N engine_p99_us=N durable_orders_per_s=N
"""

import argparse
import logging
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.test")

from exchange import engine  # noqa: E402 - pure, no Django


def order_stream(count: int, seed: int = 7):
    """A realistic stream: limit orders around a drifting mid (most rest near the touch, some
    cross), a few market orders, and cancels of resting orders (~30 %)."""
    rng = random.Random(seed)
    mid = 3_000_000
    live: list[int] = []
    for n in range(count):
        mid = max(100_000, mid + rng.choice((-1000, 0, 0, 1000)))
        roll = rng.random()
        if roll < 0.3 and live:
            yield ("cancel", live.pop(rng.randrange(len(live))))
            continue
        side = engine.BUY if rng.random() < 0.5 else engine.SELL
        owner = rng.randrange(50)
        quantity = rng.randrange(1, 50) * 1_000_000
        if roll < 0.35:
            yield (
                "order",
                engine.Order(
                    order_id=n,
                    owner=owner,
                    side=side,
                    kind=engine.MARKET,
                    time_in_force=engine.IOC,
                    quantity=quantity,
                ),
            )
            continue
        offset = int(rng.expovariate(1 / 3)) * 1000
        price = mid - offset if side == engine.BUY else mid + offset
        if rng.random() < 0.1:  # marketable
            price = mid + 5000 if side == engine.BUY else mid - 5000
        live.append(n)
        yield (
            "order",
            engine.Order(order_id=n, owner=owner, side=side, price=price, quantity=quantity),
        )


def bench_engine(count: int) -> dict:
    stream = list(order_stream(count))
    book = engine.Book(lot=1_000_000, scale=10**9)
    latencies = []
    fills = 0
    clock = time.perf_counter_ns
    start = clock()
    for kind, item in stream:
        t0 = clock()
        if kind == "cancel":
            book.cancel(item)
        else:
            fills += len(book.submit(item).fills)
        latencies.append(clock() - t0)
    elapsed = (clock() - start) / 1e9
    latencies.sort()
    return {
        "messages": len(stream),
        "fills": fills,
        "resting": len(book),
        "orders_per_s": len(stream) / elapsed,
        "p50_us": latencies[len(latencies) // 2] / 1000,
        "p99_us": latencies[int(len(latencies) * 0.99)] / 1000,
        "mean_us": statistics.fmean(latencies) / 1000,
    }


def bench_durable(count: int) -> dict:
    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False, keepdb=False, serialized_aliases=set())
    try:
        from exchange import services
        from exchange.models import Order, Trade
        from exchange.tests.factories import fee_tiers, kyc_user, market_eth_krw

        fee_tiers()
        market = market_eth_krw(tick_size=1_000, lot_size=10**6, min_notional=0)
        users = [kyc_user(level=3, email=f"bench{n}@example.kr") for n in range(10)]
        for user in users:
            services.deposit_credit(
                owner_id=user.pk, asset=market.quote, amount=10**13, kind="bench", reference="bench"
            )
            services.deposit_credit(
                owner_id=user.pk, asset=market.base, amount=10**13, kind="bench", reference="bench"
            )
        rng = random.Random(11)
        stream = []
        mid = 3_000_000
        for _ in range(count):
            side = "buy" if rng.random() < 0.5 else "sell"
            offset = rng.randrange(0, 6) * 1000
            price = mid - offset if side == "buy" else mid + offset
            if rng.random() < 0.2:
                price = mid + 3000 if side == "buy" else mid - 3000
            stream.append((rng.choice(users), side, price, rng.randrange(1, 20) * 10**6))
        latencies = []
        start = time.perf_counter()
        for user, side, price, quantity in stream:
            t0 = time.perf_counter()
            services.order_place(
                user=user, market=market, side=side, price=price, quantity=quantity
            )
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        latencies.sort()
        return {
            "vendor": connection.vendor,
            "orders": count,
            "trades": Trade.objects.count(),
            "open": Order.objects.filter(status__in=Order.OPEN_STATUSES).count(),
            "orders_per_s": count / elapsed,
            "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        }
    finally:
        teardown_databases(old, verbosity=0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under two minutes")
    args = parser.parse_args(argv)
    engine_count = 200_000 if args.quick else 1_000_000
    durable_count = 2_000 if args.quick else 10_000
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    result = bench_engine(engine_count)
    print(
        f"engine: {result['messages']:,} messages ({result['fills']:,} fills, "
        f"{result['resting']:,} left resting): {result['orders_per_s']:,.0f} orders/s, "
        f"p50 {result['p50_us']:.1f} µs, p99 {result['p99_us']:.1f} µs, "
        f"mean {result['mean_us']:.1f} µs"
    )
    durable = bench_durable(durable_count)
    print(
        f"durable ({durable['vendor']}): {durable['orders']:,} orders through order_place "
        f"({durable['trades']:,} trades, {durable['open']:,} resting): "
        f"{durable['orders_per_s']:,.0f} orders/s, p50 {durable['p50_ms']:.2f} ms, "
        f"p99 {durable['p99_ms']:.2f} ms"
    )
    sys.stdout.flush()
    print(
        f"engine_orders_per_s={result['orders_per_s']:.0f} engine_p99_us={result['p99_us']:.0f} "
        f"durable_orders_per_s={durable['orders_per_s']:.0f}"
    )


if __name__ == "__main__":
    main()
