"""Helpers for tests that need real concurrency (real threads, each its own connection)."""

import threading
from collections.abc import Callable

from django.db import connections


def run_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Runs `work(index)` in `count` threads released together by a barrier; returns what each
    returned or raised, in index order. Each thread closes its own database connections."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def runner(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 (the caller inspects what each thread got)
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def lock_waits_watch(started: threading.Event, release: threading.Event, waits: list) -> None:
    """Once `started` is set, polls pg_stat_activity (up to 10 s) until a session of this
    database waits on a lock, appends what each such session waits on, as
    (wait_event_type, wait_event), to `waits`, then sets `release`: for a test asking whether
    a second writer waits on an advisory lock or on a row or transaction."""
    import time

    from django.db import connection

    started.wait(30)
    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT wait_event_type, wait_event FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waits.extend(cursor.fetchall())
            if waits:
                break
            time.sleep(0.05)
    release.set()
