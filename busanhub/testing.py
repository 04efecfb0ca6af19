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
