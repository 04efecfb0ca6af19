"""gunicorn's configuration for the portal (`gunicorn -c python:busanhub.gunicorn_conf`; the
Procfile's `web` process; docs/operations.md, "Tuning a web node").

The command line still names the bind address, workers, threads and timeouts; this module adds
what a command line cannot say: the application is imported once, in the master, before the
workers fork (`preload_app`), and Python's cyclic garbage collector stops walking those
objects in every worker (`gc.freeze()`) and runs less often (`GUNICORN_GC_THRESHOLD`).

Why: a worker's heap is mostly the imported application (Django, DRF, web3, every app's
modules, URL patterns, translation catalogues), which lives as long as the process and never
forms garbage. The collector's older generations still walked all of it again and again, and
each walk wrote reference counts into pages the fork had shared, copying them into every
worker. Frozen before the fork, they are shared for the workers' lives and never walked.
"""

from __future__ import annotations

import gc
import os
from typing import Any

wsgi_app = "busanhub.wsgi:application"
preload_app = True


def gc_threshold() -> tuple[int, ...]:
    """The collector's thresholds in a worker, from `GUNICORN_GC_THRESHOLD` ("50000,20,100";
    "" keeps Python's own, 700,10,10). A generation-0 pass walks every container object
    allocated since the last one; a request of the portal allocates tens of thousands of them
    and frees nearly all by reference counting, so passes every 700 allocations mostly find
    nothing to collect."""
    value = os.environ.get("GUNICORN_GC_THRESHOLD", "50000,20,100")
    if not value.strip():
        return gc.get_threshold()
    return tuple(int(part) for part in value.split(","))


def _application_warm() -> None:
    """What every worker would otherwise build on its first requests, built once in the master
    and shared: the URL resolvers and the translation catalogues."""
    from django.conf import settings
    from django.db import connections
    from django.urls import get_resolver
    from django.utils.translation import trans_real

    get_resolver()._populate()
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)
    # No worker may inherit the master's database connection (two processes on one socket).
    connections.close_all()


def when_ready(server: Any) -> None:
    """In the master, after `preload_app` imported the application and before any fork. No
    `gc.collect()` first: the holes it would leave in shared pages are what the workers'
    allocations would fill, copying those pages (Python's advice for `gc.freeze()`)."""
    _application_warm()
    gc.freeze()


def pre_fork(server: Any, worker: Any) -> None:
    # A worker started later (`--max-requests`) forks from the master again: what the master
    # allocated since is frozen as well.
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    gc.set_threshold(*gc_threshold())
