"""CPU of the voucher payments change list's count over a large table: Django's COUNT(*) against
busanhub/admin_big_lists.py's planner estimate, in interleaved rounds.

    DATABASE_URL=postgres://.../<a throw-away copy with many payments> \\
        .venv/bin/python bench/admin_count.py --rounds 4 --repeat 10

Reads only (never writes): point it at a throw-away database whose `vouchers_payment` holds
the rows to count (BENCHMARKS.md says how one was filled by SQL). Parallel workers are off in
this session, so the backend's CPU is all of the count's CPU (a parallel COUNT(*) spreads the
same work over more processes). The estimate is read from pg_class on every call here (the
list remembers it for a minute per process). Last line: `k=v ...`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.dev")
    import django

    django.setup()
    from django.core.paginator import Paginator
    from django.db import connection

    from bench.cpu import backend_cpu_reader
    from busanhub import admin_big_lists
    from vouchers.models import Payment

    queryset = Payment.objects.select_related("merchant").order_by("-pk")
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    backend = backend_cpu_reader(connection)

    def old() -> int:
        return Paginator(queryset, 50).count

    def new() -> int:
        admin_big_lists._estimates.clear()
        return admin_big_lists.EstimatedCountPaginator(queryset, 50).count

    results: dict[str, list[float]] = {"old": [], "new": []}
    counts = {}
    for _round in range(args.rounds):
        for name, count in (("old", old), ("new", new)):
            web, db = time.process_time(), backend()
            for _ in range(args.repeat):
                counts[name] = count()
            total = (time.process_time() - web + backend() - db) * 1000 / args.repeat
            results[name].append(total)
            print(f"  {name}: {total:8.2f} ms CPU per count (web + db), count {counts[name]:,}")
    print(
        f"rows={counts['old']} estimate={counts['new']} "
        f"old_ms={min(results['old']):.2f} new_ms={min(results['new']):.2f}"
    )


if __name__ == "__main__":
    main()
