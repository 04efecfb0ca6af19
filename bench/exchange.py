"""Exchange benchmark: the matching engine alone, then durable order placement end to end on
one market: several placer processes call the order services (validation, KYC, caps, holds,
the market's log) while one matcher process drains the log in batches (matching, trades,
fees, ledger, anchor leaves), as EXCHANGE_MATCHING=process runs it.

    .venv/bin/python bench/exchange.py --quick [--placers 4] [--rounds 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub_exchange_bench \
        .venv/bin/python bench/exchange.py

The durable part runs against a throw-away database made by Django's test-database machinery on
the server DATABASE_URL names (unset, the embedded cluster `make run` starts). A run's rate is
orders accepted / the wall time until every one of them is matched and committed; it runs three
times on the same market (a warm book after the first) and durable_orders_per_s is the median.
Each run prints the CPU time each part used per accepted order (placers, their database
backends, the matcher, its backend, the rest of the machine), read from /proc. One more run
then times each side alone: the placers with no matcher running, then the matcher draining what
they placed with nothing else running (the ceiling of one market's single writer). After it, it
checks and prints violations: no negative balance, held funds equal to what the active orders
need, quantities conserved, orders' fills equal to their trades, a balanced ledger, and the
trades equal to a replay of the market's log through the pure engine. Prints figures only,
asserts nothing about timing. The last line is the headline:

    engine_orders_per_s=N engine_p99_us=N durable_orders_per_s=N
"""

import argparse
import logging
import math
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

from bench.cpu import proc_cpu_seconds  # noqa: E402
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


def _placer_stream(index: int, count: int, users: list[int], seed: int) -> list[tuple]:
    """One client's stream: limit orders around a slowly moving mid (most rest near the touch,
    about one in ten crosses), some market orders (sells by quantity, buys by quote amount)
    and cancels of the client's own earlier orders."""
    rng = random.Random(seed * 1000 + index)
    out = []
    for n in range(count):
        mid = 3_000_000 + 1000 * round(5 * math.sin(n / 150))
        roll = rng.random()
        user = rng.choice(users)
        if roll < 0.2 and n > 5:
            out.append(("cancel", user, rng.randrange(n)))
            continue
        side = "buy" if rng.random() < 0.5 else "sell"
        quantity = rng.randrange(1, 50) * 10**6
        if roll < 0.28:
            if side == "buy":
                out.append(("market_buy", user, rng.randrange(5, 60) * 10_000))
            else:
                out.append(("market_sell", user, quantity))
            continue
        offset = int(rng.expovariate(1 / 3)) * 1000
        price = mid - offset if side == "buy" else mid + offset
        if rng.random() < 0.1:
            price = mid + 3000 if side == "buy" else mid - 3000
        out.append(("limit", user, side, price, quantity))
    return out


def _cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by a process on this machine (default: this
    one); 0 where /proc cannot tell (another machine's database server)."""
    seconds = proc_cpu_seconds(pid or os.getpid())
    return 0.0 if seconds is None else seconds


def _machine_cpu_s() -> float:
    """CPU seconds all processors of this machine spent busy so far."""
    user, nice, system, idle, iowait, *rest = (
        int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    )
    return (user + nice + system + sum(rest[:3])) / os.sysconf("SC_CLK_TCK")


def _backend_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _placer(index, streams, market_pk, start, results) -> None:
    try:
        _place_all(index, streams, market_pk, start, results)
    except Exception as exc:  # noqa: BLE001 - reported, the run is then void
        results.put(("failed", index, repr(exc)))
        raise


def _place_all(index, streams, market_pk, start, results) -> None:
    """One placer process: a client thread per stream (each its own user and database
    connection), as an API server's threads serve concurrent clients."""
    import threading

    from django.db import connection

    from busanhub.accounts.models import User
    from exchange.models import Market

    market = Market.objects.select_related("base", "quote").get(pk=market_pk)
    users = {
        u.pk: u
        for u in User.objects.filter(pk__in={item[1] for stream in streams for item in stream})
    }
    connection.close()
    counts = {"accepted": 0, "refused": 0, "cancels": 0, "cancels_refused": 0}
    latencies, backends, failures = [], [], []
    merge = threading.Lock()
    connected = threading.Barrier(len(streams) + 1)
    go = threading.Event()

    def client(stream):
        try:
            backends.append(_backend_pid(connection))  # this thread's own connection
            connected.wait()
            go.wait()
            mine, took = _client(stream, market, users)
            with merge:
                for key, value in mine.items():
                    counts[key] += value
                latencies.extend(took)
        except Exception as exc:  # noqa: BLE001 - reported by the process
            failures.append(repr(exc))
            raise

    threads = [threading.Thread(target=client, args=(stream,)) for stream in streams]
    for thread in threads:
        thread.start()
    connected.wait()
    start.wait()
    cpu = (_cpu_s(), sum(_cpu_s(pid) for pid in backends))
    go.set()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    # the backends are read before this process (and with it their connections) ends
    counts["cpu_placers"] = _cpu_s() - cpu[0]
    counts["cpu_placer_backends"] = sum(_cpu_s(pid) for pid in backends) - cpu[1]
    results.put((index, counts, latencies))


def _client(stream, market, users) -> tuple[dict, list]:
    """One client's requests, one after another; returns its counts and latencies."""
    from django.core.exceptions import ValidationError

    from exchange import services

    placed, latencies = [], []
    counts = {"accepted": 0, "refused": 0, "cancels": 0, "cancels_refused": 0}
    for item in stream:
        t0 = time.perf_counter()
        user = users[item[1]]
        try:
            if item[0] == "cancel":
                if not placed:
                    continue
                counts["cancels"] += 1
                services.order_cancel(
                    user=placed[item[2] % len(placed)][0], order=placed[item[2] % len(placed)][1]
                )
            else:
                if item[0] == "limit":
                    kwargs = {"side": item[2], "price": item[3], "quantity": item[4]}
                elif item[0] == "market_buy":
                    kwargs = {
                        "side": "buy",
                        "kind": "market",
                        "time_in_force": "IOC",
                        "quote_amount": item[2],
                    }
                else:
                    kwargs = {
                        "side": "sell",
                        "kind": "market",
                        "time_in_force": "IOC",
                        "quantity": item[2],
                    }
                order = services.order_place(user=user, market=market, **kwargs)
                placed.append((user, order))
                counts["accepted"] += 1
        except ValidationError:
            counts["cancels_refused" if item[0] == "cancel" else "refused"] += 1
        latencies.append(time.perf_counter() - t0)
    return counts, latencies


def _matcher(market_pk, start, placers_done, results, after) -> None:
    """Drains the market's log until the placers are done and nothing is left; `after`: only
    once the placers are done (the matcher alone, nothing else running)."""
    from django.db import connection

    from exchange import services

    taken = 0
    backend = _backend_pid(connection)
    start.wait()
    if after:
        placers_done.wait()
    began = time.perf_counter()
    cpu = (_cpu_s(), _cpu_s(backend))
    try:
        while True:
            finished = placers_done.is_set()  # read before draining: nothing comes after it
            done = services.markets_match(market_pk=market_pk)
            taken += done
            if not done:
                if finished:
                    break
                time.sleep(0.005)
    except Exception as exc:  # noqa: BLE001 - reported, the run is then void
        results.put(("matcher", -1, repr(exc)))
        raise
    ended = time.perf_counter()
    cpu = {"cpu_matcher": _cpu_s() - cpu[0], "cpu_matcher_backend": _cpu_s(backend) - cpu[1]}
    connection.close()
    results.put(("matcher", taken, (began, ended, cpu)))


def check_durable(market) -> list[str]:
    """Everything that must hold after the run; returns the violations found."""
    from django.db.models import F, Q, Sum

    from exchange import selectors
    from exchange.models import Account, Order, OrderRequest, Trade

    problems = []
    negative = Account.objects.filter(kind="customer").filter(Q(available__lt=0) | Q(held__lt=0))
    if negative.exists():
        problems.append(f"{negative.count()} customer accounts below zero")
    if OrderRequest.objects.filter(seq__isnull=True).exists():
        problems.append("requests left waiting")
    # Held funds are exactly what the active orders still need.
    needs = {}
    for owner, side, held in (
        Order.objects.filter(status__in=Order.ACTIVE_STATUSES)
        .values_list("owner_id", "side")
        .annotate(held=Sum("held_remaining"))
    ):
        asset = market.quote_id if side == "buy" else market.base_id
        needs[(owner, asset)] = needs.get((owner, asset), 0) + held
    for owner, asset, held in Account.objects.filter(kind="customer").values_list(
        "owner_id", "asset_id", "held"
    ):
        if held != needs.get((owner, asset), 0):
            problems.append(
                f"account {owner}/{asset} holds {held}, orders need {needs.get((owner, asset), 0)}"
            )
    for order in Order.objects.filter(status__in=Order.OPEN_STATUSES):
        need = (
            order.price * order.remaining // market.scale
            if order.side == "buy"
            else order.remaining
        )
        if order.held_remaining != need:
            problems.append(f"order {order.pk} holds {order.held_remaining}, needs {need}")
    # Quantities are conserved: customers and fee income hold what custody mirrors.
    for asset in (market.base_id, market.quote_id):
        totals = dict(
            Account.objects.filter(asset_id=asset)
            .values_list("kind")
            .annotate(total=Sum(F("available") + F("held")))
            .order_by()
        )
        inside = totals.get("customer", 0) + totals.get("fees", 0)
        if inside + totals.get("custody", 0) != 0:
            problems.append(
                f"asset {asset}: {inside} inside, custody mirrors {totals.get('custody')}"
            )
    filled = {}
    for maker, taker, quantity in Trade.objects.values_list(
        "maker_order_id", "taker_order_id", "quantity"
    ):
        filled[maker] = filled.get(maker, 0) + quantity
        filled[taker] = filled.get(taker, 0) + quantity
    for pk, quantity, done in Order.objects.values_list("pk", "quantity", "filled_quantity"):
        if filled.get(pk, 0) != done:
            problems.append(f"order {pk}: filled {done}, trades say {filled.get(pk, 0)}")
        if quantity and done > quantity:
            problems.append(f"order {pk}: filled {done} of {quantity}")
    if selectors.journal_unbalanced():
        problems.append("unbalanced journal entries")
    if not selectors.ledger_matches_balances():
        problems.append("balances differ from their postings or open orders (open_notional)")
    # The trades are what the pure engine gives on the log replayed in sequence order.
    expected, book = selectors.market_log_replay(market=market)
    actual = list(
        Trade.objects.order_by("pk").values_list(
            "maker_order_id", "taker_order_id", "price", "quantity"
        )
    )
    if actual != expected:
        problems.append(f"trades differ from the replay ({len(actual)} vs {len(expected)})")
    resting = {o.order_id: o.remaining for o in book.orders()}
    on_book = {
        o.pk: o.remaining
        for o in Order.objects.filter(market=market, status__in=Order.OPEN_STATUSES)
    }
    if resting != on_book:
        problems.append("the resting orders differ from the replay's book")
    return problems


def bench_durable(count: int, placers: int, threads: int, rounds: int) -> dict:
    """`rounds` runs of `count` messages on one market (a warm book after the first), each
    with new placer processes and a new matcher; checked after the last."""
    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.db import connection, connections
    from django.test.utils import setup_databases, teardown_databases

    settings.EXCHANGE_MATCHING = "process"  # placers only append; one matcher process drains
    old = setup_databases(verbosity=0, interactive=False, keepdb=False, serialized_aliases=set())
    try:
        from exchange import services
        from exchange.models import Order, OrderRequest, Trade
        from exchange.tests.factories import fee_tiers, kyc_user, market_eth_krw

        fee_tiers()
        market = market_eth_krw(tick_size=1_000, lot_size=10**6, min_notional=0)
        clients = placers * threads
        users = [kyc_user(level=3, email=f"bench{n}@example.kr") for n in range(clients)]
        for user in users:
            for asset in (market.quote, market.base):
                services.deposit_credit(
                    owner_id=user.pk, asset=asset, amount=10**13, kind="bench", reference="bench"
                )

        def streams(seed):  # per placer process, a stream per client thread (one user each)
            return [
                [
                    _placer_stream(c, count // clients, [users[c].pk], seed)
                    for c in range(i * threads, (i + 1) * threads)
                ]
                for i in range(placers)
            ]

        runs = []
        for round_ in range(rounds):
            connections.close_all()
            runs.append(_durable_round(market, streams(11 + round_)))
        connections.close_all()
        apart = _durable_round(market, streams(11 + rounds), apart=True)
        version = connection.pg_version
        return {
            "database": f"PostgreSQL {version // 10000}.{version % 10000}",
            "placers": placers,
            "threads": threads,
            "runs": runs,
            "apart": apart,
            "orders_per_s": statistics.median(run["orders_per_s"] for run in runs),
            "trades": Trade.objects.count(),
            "resting": Order.objects.filter(status__in=Order.OPEN_STATUSES).count(),
            "log": OrderRequest.objects.count(),
            "problems": check_durable(market),
        }
    finally:
        connections.close_all()
        teardown_databases(old, verbosity=0)


def _durable_round(market, streams: list, *, apart: bool = False) -> dict:
    """One run: a placer process per stream and one matcher process, started together; the
    rate is accepted orders over the time until the matcher has committed the last. `apart`:
    the matcher starts only once every placer is done, which times each side alone (placement
    over placing_s, the matcher over drain_s)."""
    import multiprocessing

    placers = len(streams)
    context = multiprocessing.get_context("fork")
    start = context.Barrier(placers + 2)
    done = context.Event()
    results = context.Queue()
    processes = [
        context.Process(target=_placer, args=(i, streams[i], market.pk, start, results))
        for i in range(placers)
    ]
    processes.append(
        context.Process(target=_matcher, args=(market.pk, start, done, results, apart))
    )
    try:
        for process in processes:
            process.start()
        start.wait()
        began, machine_cpu = time.perf_counter(), _machine_cpu_s()
        counts, latencies = {}, []
        taken = ended = placed_at = None
        waiting = placers
        while taken is None:
            who, first, second = results.get()
            if who == "failed":
                raise RuntimeError(f"placer {first} failed: {second}")
            if who == "matcher":
                if first < 0:
                    raise RuntimeError(f"the matcher failed: {second}")
                taken, (drain_began, ended, cpu) = first, second
                counts.update(cpu)
                continue
            for key, value in first.items():
                counts[key] = counts.get(key, 0) + value
            latencies += second
            waiting -= 1
            if not waiting:
                placed_at = time.perf_counter()
                done.set()
        machine_cpu = _machine_cpu_s() - machine_cpu
        for process in processes:
            process.join()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
    elapsed = ended - began
    accepted = counts["accepted"]
    parts = ("cpu_placers", "cpu_placer_backends", "cpu_matcher", "cpu_matcher_backend")
    cpu_ms = {key[4:]: counts[key] * 1000 / accepted for key in parts}
    cpu_ms["other"] = machine_cpu * 1000 / accepted - sum(cpu_ms.values())
    latencies.sort()
    return {
        "accepted": accepted,
        "refused": counts["refused"],
        "cancels": counts["cancels"],
        "cancels_refused": counts["cancels_refused"],
        "requests": taken,
        "placing_s": placed_at - began,
        "drain_s": ended - drain_began,
        "elapsed_s": elapsed,
        "orders_per_s": accepted / elapsed,
        "messages_per_s": (accepted + counts["cancels"]) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "cpu_ms": cpu_ms,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under two minutes")
    parser.add_argument("--placers", type=int, default=2, help="placing processes")
    parser.add_argument(
        "--threads", type=int, default=16, help="client threads per placing process (a user each)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="durable runs (the headline is their median)"
    )
    args = parser.parse_args(argv)
    engine_count = 200_000 if args.quick else 1_000_000
    durable_count = 4_000 if args.quick else 20_000
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    result = bench_engine(engine_count)
    print(
        f"engine: {result['messages']:,} messages ({result['fills']:,} fills, "
        f"{result['resting']:,} left resting): {result['orders_per_s']:,.0f} orders/s, "
        f"p50 {result['p50_us']:.1f} µs, p99 {result['p99_us']:.1f} µs, "
        f"mean {result['mean_us']:.1f} µs"
    )
    durable = bench_durable(durable_count, args.placers, args.threads, args.rounds)
    for n, run in enumerate(durable["runs"], 1):
        print(
            f"durable ({durable['database']}) run {n}: {durable['placers']} placer processes of "
            f"{durable['threads']} client threads, one "
            f"matcher process: {run['accepted']:,} orders accepted ({run['refused']:,} refused), "
            f"{run['cancels']:,} cancels ({run['cancels_refused']:,} too late), "
            f"{run['requests']:,} log requests matched; placing took {run['placing_s']:.2f} s, "
            f"all matched and committed after {run['elapsed_s']:.2f} s: "
            f"{run['orders_per_s']:,.0f} orders/s ({run['messages_per_s']:,.0f} messages/s with "
            f"the cancels, as the engine counts); placement p50 {run['p50_ms']:.2f} ms, "
            f"p99 {run['p99_ms']:.2f} ms"
        )
        print(
            "  CPU per accepted order: "
            + ", ".join(f"{key.replace('_', ' ')} {ms:.2f} ms" for key, ms in run["cpu_ms"].items())
        )
    apart = durable["apart"]
    print(
        f"each side alone (one more run; the matcher starts once the placers are done): "
        f"{apart['accepted']:,} orders placed in {apart['placing_s']:.2f} s "
        f"({apart['accepted'] / apart['placing_s']:,.0f} orders/s, no matcher running), then "
        f"matched and committed by the matcher alone in {apart['drain_s']:.2f} s "
        f"({apart['accepted'] / apart['drain_s']:,.0f} orders/s: one market's single writer); "
        "CPU per accepted order: "
        + ", ".join(f"{key.replace('_', ' ')} {ms:.2f} ms" for key, ms in apart["cpu_ms"].items())
    )
    print(
        f"durable: median of {len(durable['runs'])} runs {durable['orders_per_s']:,.0f} orders/s; "
        f"{durable['trades']:,} trades, {durable['resting']:,} resting, {durable['log']:,} log "
        "requests in all"
    )
    print(
        "durable checks: "
        + ("all hold" if not durable["problems"] else f"{len(durable['problems'])} VIOLATIONS")
    )
    for problem in durable["problems"][:20]:
        print(f"  violation: {problem}")
    sys.stdout.flush()
    print(
        f"engine_orders_per_s={result['orders_per_s']:.0f} engine_p99_us={result['p99_us']:.0f} "
        f"durable_orders_per_s={durable['orders_per_s']:.0f}"
    )


if __name__ == "__main__":
    main()
