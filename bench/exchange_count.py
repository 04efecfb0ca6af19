"""Exchange placement counted, not timed: one thread places bench/exchange.py's kind of stream
(limit and market orders, ~20 % cancels; 8 users, EXCHANGE_MATCHING=process) through
`exchange.services`, for counts that the machine's load does not change.

    .venv/bin/python bench/exchange_count.py opcodes 200   # Python bytecodes per function
    .venv/bin/python bench/exchange_count.py queries 200   # round trips, placement and matcher
    valgrind --tool=callgrind --toggle-collect=_PyEval_CallTracing \
        .venv/bin/python bench/exchange_count.py place 200  # instructions of the placements
    valgrind --tool=callgrind --toggle-collect=_PyEval_CallTracing \
        .venv/bin/python bench/exchange_count.py match 200  # of the matcher taking them

`place` and `match` run the measured part inside `sys.call_tracing` (a no-op wrapper here), so
`--toggle-collect=_PyEval_CallTracing` collects exactly that part: callgrind_annotate's
total is the instructions of N messages, setup and warm-up excluded. With `--instr-atstart=no`
and CG_MARKER=path set, the script writes its pid to the path and waits for `path.go`, so
that the setup runs uninstrumented (`callgrind_control -i on PID; touch path.go`). Uses a
throw-away test database on the server DATABASE_URL names, as bench/exchange.py does."""

import math
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.test")


def stream(count: int, seed: int = 11) -> list[tuple]:
    """bench/exchange.py's client stream: orders around a slowly moving mid, some market
    orders, cancels of earlier orders."""
    rng = random.Random(seed)
    out: list[tuple] = []
    for n in range(count):
        mid = 3_000_000 + 1000 * round(5 * math.sin(n / 150))
        roll = rng.random()
        if roll < 0.2 and n > 5:
            out.append(("cancel", rng.randrange(n)))
            continue
        side = "buy" if rng.random() < 0.5 else "sell"
        quantity = rng.randrange(1, 50) * 10**6
        if roll < 0.28:
            if side == "buy":
                out.append(("market_buy", rng.randrange(5, 60) * 10_000))
            else:
                out.append(("market_sell", quantity))
            continue
        offset = int(rng.expovariate(1 / 3)) * 1000
        price = mid - offset if side == "buy" else mid + offset
        if rng.random() < 0.1:
            price = mid + 3000 if side == "buy" else mid - 3000
        out.append(("limit", side, price, quantity))
    return out


def _instrumented() -> None:
    marker = os.environ.get("CG_MARKER")
    if marker:
        Path(marker).write_text(str(os.getpid()))
        while not Path(marker + ".go").exists():
            time.sleep(0.2)


def main(mode: str, count: int) -> None:
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases

    settings.EXCHANGE_MATCHING = "process"
    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"test_{connection.settings_dict['NAME']}_count"  # beside a test run's
    old = setup_databases(verbosity=0, interactive=False, keepdb=False, serialized_aliases=set())
    try:
        from busanhub.accounts.models import User
        from exchange import services
        from exchange.models import Market
        from exchange.tests.factories import fee_tiers, kyc_user, market_eth_krw

        fee_tiers()
        market = market_eth_krw(tick_size=1_000, lot_size=10**6, min_notional=0)
        made = [kyc_user(level=3, email=f"count{n}@example.kr") for n in range(8)]
        for user in made:
            for asset in (market.quote, market.base):
                services.deposit_credit(
                    owner_id=user.pk, asset=asset, amount=10**13, kind="bench", reference="bench"
                )
        market = Market.objects.select_related("base", "quote").get(pk=market.pk)
        users = list(User.objects.filter(pk__in=[u.pk for u in made]).order_by("pk"))
        placed: list = []
        counts = Counter()

        def run(items):
            for number, item in enumerate(items):
                user = users[number % len(users)]
                try:
                    if item[0] == "cancel":
                        owner, order = placed[item[1] % len(placed)]
                        counts["cancels"] += 1
                        services.order_cancel(user=owner, order=order)
                        continue
                    if item[0] == "limit":
                        kwargs = {"side": item[1], "price": item[2], "quantity": item[3]}
                    elif item[0] == "market_buy":
                        kwargs = {"side": "buy", "kind": "market", "time_in_force": "IOC"}
                        kwargs["quote_amount"] = item[1]
                    else:
                        kwargs = {"side": "sell", "kind": "market", "time_in_force": "IOC"}
                        kwargs["quantity"] = item[1]
                    order = services.order_place(user=user, market=market, **kwargs)
                    placed.append((user, order))
                    counts["accepted"] += 1
                except ValidationError:
                    counts["refused"] += 1

        # warm-up: statements prepared, facts cached, lazy imports done, a book to match
        run(stream(60, seed=3))
        services.markets_match(market_pk=market.pk)
        counts.clear()
        items = stream(count)
        if mode == "place":
            _instrumented()
            sys.call_tracing(run, (items,))
        elif mode == "match":
            run(items)
            _instrumented()
            counts["matched"] = sys.call_tracing(
                lambda: services.markets_match(market_pk=market.pk), ()
            )
        elif mode == "queries":
            with CaptureQueriesContext(connection) as placing:
                run(items)
            with CaptureQueriesContext(connection) as matching:
                counts["matched"] = services.markets_match(market_pk=market.pk)
            print(f"placement: {len(placing.captured_queries)} round trips for {count} messages")
            print(f"matcher: {len(matching.captured_queries)} round trips")
        elif mode == "opcodes":
            executed: Counter = Counter()
            calls: Counter = Counter()

            def tracer(frame, event, arg):
                frame.f_trace_opcodes = True
                code = frame.f_code
                key = f"{code.co_filename.replace(str(ROOT), '')}:{code.co_name}"
                if event == "opcode":
                    executed[key] += 1
                elif event == "call":
                    calls[key] += 1
                return tracer

            sys.settrace(tracer)
            run(items)
            sys.settrace(None)
            total = sum(executed.values())
            print(f"bytecodes {total:,} ({total / count:,.0f} a message), calls {calls.total():,}")
            for key, value in executed.most_common(40):
                print(f"{value:>10,} {calls[key]:>7,} {key}")
        print(dict(counts))
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200)
