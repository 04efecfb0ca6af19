"""A record's public /verify/<digest> page once its batch is anchored: wall time and CPU per view
against a real anvil node.

    DATABASE_URL=postgres://… .venv/bin/python bench/verify_page.py --views 300

bench/request_cpu.py's "/verify/<digest>" line measures records that wait for their batch
(nothing anchors there); an anchored record's page also checks the chain (JSON-RPC round trips
to the node, busanhub.chain.chain_check). Here: an anvil of its own, BusanAnchor deployed,
`--batches` batches of `--records` records anchored and confirmed, then `--views` views of the
records' pages in turn (HTML, and every fourth one the JSON form), through Django's WSGI
handler in this process under `busanhub.settings.prod` (bench/request_cpu.py's environment), on
a throw-away database `<DATABASE_URL's name>_verifypage`. Per view:

- `wall ms`: the median and p90 of the view's wall time (round trips included);
- `web ms`: this process's CPU; `db ms`: the PostgreSQL backend's; `node ms`: anvil's CPU.

`--profile` prints a cProfile of the views. Last line: `k=v …`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=300)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--records", type=int, default=50, help="records a batch")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from busanhub.chain.devnode import Anvil

    anvil = Anvil().start()
    os.environ["CHAIN_RPC_URL"] = anvil.url
    try:
        _run(args, anvil)
    finally:
        anvil.stop()


def _run(args, anvil) -> None:
    from bench.request_cpu import environment_set

    environment_set()
    os.environ["CHAIN_RPC_URL"] = anvil.url
    import django

    django.setup()
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import setup_databases, teardown_databases

    from bench.cpu import backend_cpu_reader, cpu_model, proc_cpu_seconds
    from busanhub.chain import services
    from busanhub.chain.testing import anchor_pending

    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"{connection.settings_dict['NAME']}_verifypage"
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        services.deployment_create()
        digests = []
        for batch in range(args.batches):
            for i in range(args.records):
                leaf = services.anchor_record(
                    kind="bench.record", ref=f"b{batch}-r{i}", version=1, data={"i": i}, public=True
                )
                digests.append(leaf.digest)
            anchor_pending()
        client = Client()
        paths = [
            f"/verify/{digest}" + ("?format=json" if n % 4 == 3 else "")
            for n, digest in enumerate(digests)
        ]
        for path in paths[:2]:  # warm-ups: connections, prepared statements, templates
            assert client.get(path).status_code == 200
        backend = backend_cpu_reader(connection)
        assert anvil.process is not None
        node_pid = anvil.process.pid
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        walls = []
        web_start, db_start = time.process_time(), backend()
        node_start = proc_cpu_seconds(node_pid) or 0.0
        if profiler:
            profiler.enable()
        for n in range(args.views):
            path = paths[n % len(paths)]
            started = time.perf_counter()
            close_old_connections()
            response = client.get(path)
            close_old_connections()
            walls.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")
        if profiler:
            profiler.disable()
        web, db = time.process_time() - web_start, backend() - db_start
        node = (proc_cpu_seconds(node_pid) or 0.0) - node_start
        if profiler:
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(30)
            print(text.getvalue())
        walls.sort()
        median = statistics.median(walls) * 1000
        p90 = walls[int(len(walls) * 0.9)] * 1000
        per = 1000 / args.views
        print(
            "# /verify/<digest> of anchored records: "
            f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; {cpu_model()} "
            f"x{os.cpu_count()}; load {os.getloadavg()[0]:.1f}; "
            f"{args.views} views over {len(digests)} records in {args.batches} batches"
        )
        print(
            f"wall_median_ms={median:.2f} wall_p90_ms={p90:.2f} web_ms={web * per:.2f} "
            f"db_ms={db * per:.2f} node_ms={node * per:.2f} "
            f"cpu_ms={(web + db + node) * per:.2f} load={os.getloadavg()[0]:.1f}"
        )
    finally:
        from django.db import connections

        connections.close_all()
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
