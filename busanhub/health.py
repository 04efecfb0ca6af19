"""`/healthz`: is the database, the broker and the chain reachable? 200 when all are, else 503."""

import contextlib
import os
import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _check_broker() -> dict:
    from busanhub.celery import app, broker_folders_create

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        if conn.transport.driver_type == "filesystem":
            # kombu's filesystem transport "connects" without touching its folders: create
            # them as a publish would (busanhub.celery), then check they can be written.
            with contextlib.suppress(OSError):  # reported below, by the missing folder
                broker_folders_create()
            channel = conn.default_channel
            for folder in (channel.data_folder_in, channel.data_folder_out):
                if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
                    raise OSError(f"the broker folder {folder} is missing or not writable")
        return {"transport": conn.transport_cls if isinstance(conn.transport_cls, str) else ""}


def _check_chain() -> dict:
    from busanhub.chain import node

    w3 = node.web3(timeout=2)
    return {"chainId": w3.eth.chain_id, "block": w3.eth.block_number}


CHECKS = {"database": _check_database, "broker": _check_broker, "chain": _check_chain}


@never_cache
@require_GET
def healthz(request):
    report, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            detail = check()
            report[name] = {"ok": True, **detail}
        except Exception as exc:  # a health check reports every failure, whatever its kind
            healthy = False
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        report[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return JsonResponse({"ok": healthy, "checks": report}, status=200 if healthy else 503)
