"""B-Fresh benchmark: EPCIS capture throughput, query p95 over many events, a 5-level trace.

    .venv/bin/python bench/logistics.py --quick
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub_logistics \
        .venv/bin/python bench/logistics.py

Runs against a throw-away database made by Django's test-database machinery (on the server
DATABASE_URL names; unset, the embedded cluster `make run` starts) and removes it at the end.
Prints figures only, it asserts nothing about timing. The full run stores 1,000,000 events for
the query figure; `--quick` stores 100,000 (and says so). Capture also prints its CPU per event
(this process + its PostgreSQL backend, read from /proc when the server runs here), the figure
to compare on a loaded machine. The last line printed is the headline:

    events_per_s=N query_p95_ms=N trace_ms=N
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from bench.cpu import backend_pid, proc_cpu_seconds  # noqa: E402
from logistics import selectors, services  # noqa: E402
from logistics.epcis import identifiers, schema  # noqa: E402
from logistics.models import CaptureJob, Event, EventEPC  # noqa: E402

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
INSERT_CHUNK = 20_000


def out(line: str = "") -> None:
    print(line, flush=True)


def gln(body: str) -> str:
    return body + identifiers.check_digit(body)


def master_data():
    party = services.party_create(gln=gln("880999900001"), name="Bench Seafood", kind="processor")
    location = services.location_create(
        party=party, gln=gln("880999910001"), name="Bench plant", kind="plant"
    )
    product = services.product_create(
        gtin=gln("0880999920001"),
        name="Bench mackerel",
        product_form="whole",
        storage_class="chilled",
    )
    return party, location, product


def backend_cpu_s() -> float | None:
    """CPU seconds this connection's PostgreSQL backend has used (None when the server is not a
    process of this machine, or its /proc entry cannot be read)."""
    return proc_cpu_seconds(backend_pid(connection))


def capture_documents(party, location, product, documents: int) -> float:
    sgln = identifiers.sgln_urn(gln=location.gln)
    company, item = "8809999", "0" + product.gtin[8:13]
    # CPU per event (this process + its database backend) beside the rate: on a shared,
    # loaded machine the wall-clock rate swings with the load, the CPU per event much less.
    client_started, backend_started = time.process_time(), backend_cpu_s()
    started = time.perf_counter()
    for number in range(documents):
        events = []
        for index in range(100):
            serial = number * 100 + index
            events.append(
                {
                    "type": "ObjectEvent",
                    "eventTime": (T0 + timedelta(seconds=serial)).isoformat(),
                    "eventTimeZoneOffset": "+09:00",
                    "action": "OBSERVE",
                    "epcList": [f"urn:epc:id:sgtin:{company}.{item}.{serial}"],
                    "quantityList": [
                        {
                            "epcClass": f"urn:epc:class:lgtin:{company}.{item}.B{serial // 50}",
                            "quantity": 10,
                            "uom": "KGM",
                        }
                    ],
                    "bizStep": "receiving",
                    "readPoint": {"id": sgln},
                    "bizLocation": {"id": sgln},
                }
            )
        services.epcis_document_capture(
            document={
                "@context": CONTEXT,
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2026-01-01T00:00:00Z",
                "epcisBody": {"eventList": events},
            },
            party=party,
        )
    rate = documents * 100 / (time.perf_counter() - started)
    client = (time.process_time() - client_started) * 1000 / (documents * 100)
    backend_ended = backend_cpu_s()
    backend = (
        (backend_ended - backend_started) * 1000 / (documents * 100)
        if backend_started is not None and backend_ended is not None
        else None
    )
    out(
        f"capture CPU per event: client {client:.3f} ms"
        + (
            f", database backend {backend:.3f} ms, total {client + backend:.3f} ms"
            if backend is not None
            else " (database backend not readable here)"
        )
    )
    return rate


def bulk_events(total: int, job: CaptureJob, gtin: str) -> None:
    """Stores `total` synthetic events straight into the tables (the query figure's haystack)."""
    made = 0
    while made < total:
        size = min(INSERT_CHUNK, total - made)
        rows = []
        for offset in range(size):
            serial = made + offset
            when = T0 + timedelta(seconds=serial * 7)
            rows.append(
                Event(
                    event_id=f"urn:uuid:bench-{serial}",
                    event_hash=f"ni:///sha-256;{serial:064x}?ver=CBV2.0",
                    event_type="ObjectEvent",
                    action="OBSERVE",
                    event_time=when,
                    biz_step="receiving",
                    data={"type": "ObjectEvent", "eventTime": when.isoformat(), "n": serial},
                    job=job,
                )
            )
        with transaction.atomic():
            created = Event.objects.bulk_create(rows, batch_size=5000)
            EventEPC.objects.bulk_create(
                [
                    EventEPC(
                        event_id=event.pk,
                        role="epc",
                        identifier=f"https://id.gs1.org/01/{gtin}/21/H{made + i}",
                    )
                    for i, event in enumerate(created)
                ],
                batch_size=5000,
            )
        made += size
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE logistics_event; ANALYZE logistics_eventepc;")


def query_p95(total: int, gtin: str, runs: int = 200) -> tuple[float, float]:
    rng = random.Random(7)
    timings = []
    for _ in range(runs):
        serial = rng.randrange(total)
        when = T0 + timedelta(seconds=serial * 7)
        params = QueryDict(mutable=True)
        params["MATCH_epc"] = f"https://id.gs1.org/01/{gtin}/21/H{serial}"
        params["GE_eventTime"] = (when - timedelta(days=1)).isoformat()
        params["LT_eventTime"] = (when + timedelta(days=1)).isoformat()
        started = time.perf_counter()
        page, _token = selectors.events_query(params=params, base=Event.objects.all())
        selectors.query_document(page, creation=T0)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(page) == 1
    timings.sort()
    return timings[int(len(timings) * 0.95) - 1], statistics.median(timings)


def five_level_trace(party, location, product) -> float:
    sgln = identifiers.sgln_urn(gln=location.gln)
    lots = [identifiers.lgtin_urn(gtin=product.gtin, lot=f"T{level}") for level in range(6)]
    events = [
        {
            "type": "TransformationEvent",
            "eventTime": (T0 + timedelta(hours=level)).isoformat(),
            "eventTimeZoneOffset": "+09:00",
            "inputQuantityList": [{"epcClass": lots[level], "quantity": 1, "uom": "KGM"}],
            "outputQuantityList": [{"epcClass": lots[level + 1], "quantity": 1, "uom": "KGM"}],
            "bizStep": "transforming",
            "readPoint": {"id": sgln},
        }
        for level in range(5)
    ]
    services.epcis_document_capture(
        document={
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-01-01T00:00:00Z",
            "epcisBody": {"eventList": events},
        },
        party=party,
    )
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        found = selectors.trace(lots[0], forward=True)
        timings.append((time.perf_counter() - started) * 1000)
    assert [depth for _, depth in found] == [1, 2, 3, 4, 5]
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="under two minutes, 100k events")
    args = parser.parse_args()
    documents = 10 if args.quick else 50
    haystack = 100_000 if args.quick else 1_000_000

    # No serialised copy of the test database: nothing here rolls back to it.
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        out(f"# B-Fresh benchmark ({'quick' if args.quick else 'full'})")
        version = connection.pg_version
        out(
            f"database: PostgreSQL {version // 10000}.{version % 10000}; "
            f"python {platform.python_version()}"
        )
        party, location, product = master_data()
        # Once per process (a server does it on its first capture): not part of the rate.
        started = time.perf_counter()
        compiled = schema.fast_validator() is not None
        out(
            f"schema: compiled with fastjsonschema in {time.perf_counter() - started:.2f} s"
            if compiled
            else "schema: fastjsonschema unavailable, jsonschema only"
        )
        rate = capture_documents(party, location, product, documents)
        out(
            f"capture: {documents} documents x 100 events, validated, hashed, anchored: "
            f"{rate:,.0f} events/s"
        )
        trace_ms = five_level_trace(party, location, product)
        out(f"trace: 5-level forward trace median {trace_ms:.1f} ms")
        job = CaptureJob.objects.create(status=CaptureJob.Status.SUCCESS)
        started = time.perf_counter()
        bulk_events(haystack, job, product.gtin)
        stored = Event.objects.count()
        out(
            f"stored {stored:,} events for the query test in {time.perf_counter() - started:.0f} s"
            + (" (quick mode: 100,000, not 1,000,000)" if args.quick else "")
        )
        p95, median = query_p95(haystack, product.gtin)
        out(
            f"query: MATCH_epc + eventTime range over {stored:,} events: "
            f"p95 {p95:.1f} ms, median {median:.1f} ms"
        )
        out(f"events_per_s={rate:.0f} query_p95_ms={p95:.1f} trace_ms={trace_ms:.1f}")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
