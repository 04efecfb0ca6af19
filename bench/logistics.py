"""B-Fresh benchmark: EPCIS capture throughput, query p95 over many events, a 5-level trace.

    .venv/bin/python bench/logistics.py --quick
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub_logistics \
        .venv/bin/python bench/logistics.py

Runs against a throw-away database made by Django's test-database machinery (on the server
DATABASE_URL names; unset, the embedded cluster `make run` starts) and removes it at the end.
Prints figures only, it asserts nothing about timing. The full run stores 1,000,000 events for
the query figure; `--quick` stores 100,000 (and says so). Capture also prints its CPU per event
(this process + its PostgreSQL backend, read from /proc when the server runs here), the figure
to compare on a loaded machine.

`--query-events N` sets the query figure's haystack instead (10,000,000 for issue #19's figure):
those events are a *query fixture*, written by the database server itself (`generate_series`,
one INSERT ... SELECT per million, shaped like captured ObjectEvents with their EPC, quantity and
party rows), not captured: capture's own figure is the rate above. It then times three queries
over them: by EPC (MATCH_epc + an eventTime day), by bizStep in an eventTime hour, and the
5-level trace. The last line printed is the headline:

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
from logistics.models import CaptureJob, Event  # noqa: E402

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
FIXTURE_CHUNK = 1_000_000
FIXTURE_STEPS = ("receiving", "shipping", "storing", "inspecting", "commissioning")
EVENT_SPACING_S = 7  # the haystack's events are this many seconds apart


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


# The query fixture, made by the server: a chunk of events numbered n (`%(first)s` to
# `%(last)s`), each with its EPC row (the SGTIN serial Hn), one quantity row in ten (an LGTIN
# class), and its party link, as a capture writes them (`logistics/services/store.py`); its
# `data` is the captured event as the bench's capture sends it, less the quantity list.
FIXTURE_SQL = """
WITH event AS (
    INSERT INTO logistics_event (event_id, event_hash, event_type, action, event_time,
        record_time, biz_step, disposition, read_point, biz_location, data, context, job_id,
        anchor_digest)
    SELECT 'urn:uuid:' || md5('bench' || n)::uuid,
        'ni:///sha-256;' || md5(n::text) || md5((-n)::text) || '?ver=CBV2.0',
        'ObjectEvent', 'OBSERVE', %(t0)s + n * %(spacing)s * interval '1 second',
        %(t0)s + n * %(spacing)s * interval '1 second' + interval '5 minutes',
        (%(steps)s::text[])[1 + n %% 5], '', %(sgln)s, %(sgln)s,
        jsonb_build_object(
            'type', 'ObjectEvent', 'eventID', 'urn:uuid:' || md5('bench' || n)::uuid,
            'eventTime', to_char((%(t0)s + n * %(spacing)s * interval '1 second')
                AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'eventTimeZoneOffset', '+09:00', 'action', 'OBSERVE',
            'epcList', jsonb_build_array(%(epc_prefix)s || n),
            'bizStep', (%(steps)s::text[])[1 + n %% 5],
            'readPoint', jsonb_build_object('id', %(sgln)s),
            'bizLocation', jsonb_build_object('id', %(sgln)s)),
        '[]'::jsonb, %(job)s, '0x' || md5('anchor' || n) || md5('leaf' || n)
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
    RETURNING id, (data -> 'epcList' ->> 0) AS epc, substr(event_hash, 15, 8) AS mark
), epc AS (
    INSERT INTO logistics_eventepc (event_id, role, identifier, quantity, uom)
    SELECT id, 'epc', epc, NULL, '' FROM event
    UNION ALL
    SELECT id, 'quantity', %(class_prefix)s || mark, 10, 'KGM' FROM event
    WHERE mark < '1a'
)
INSERT INTO logistics_event_parties (event_id, party_id) SELECT id, %(party)s FROM event
"""
FIXTURE_TABLES = ["logistics_event", "logistics_eventepc", "logistics_event_parties"]


def _secondary_indexes(cursor) -> tuple[list[str], list[str]]:
    """The statements that drop and those that re-create the fixture tables' indexes and
    unique constraints, primary keys and foreign keys aside."""
    cursor.execute(
        """
        SELECT format('ALTER TABLE %%I DROP CONSTRAINT %%I', conrelid::regclass, conname),
            format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', conrelid::regclass, conname,
                pg_get_constraintdef(oid))
        FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) AND contype = 'u'
        UNION ALL
        SELECT format('DROP INDEX %%I', indexname), indexdef FROM pg_indexes
        WHERE tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)
        """,
        [FIXTURE_TABLES, FIXTURE_TABLES],
    )
    rows = cursor.fetchall()
    return [drop for drop, _ in rows], [create for _, create in rows]


def query_fixture(total: int, job: CaptureJob, party, location, gtin: str) -> None:
    """Stores `total` events for the query figures, made by the server (`FIXTURE_SQL`), in
    chunks of a million. The secondary indexes and unique constraints are dropped first and
    built again at the end (sorting once is many times cheaper than inserting ten million
    random keys one by one); then VACUUM ANALYZE (statistics, and the visibility map that
    index-only scans need, as autovacuum would set them on a real table)."""
    sgln = identifiers.sgln_urn(gln=location.gln)
    with connection.cursor() as cursor:
        drops, creates = _secondary_indexes(cursor)
        for statement in drops:
            cursor.execute(statement)
    made = 0
    while made < total:
        size = min(FIXTURE_CHUNK, total - made)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(
                FIXTURE_SQL,
                {
                    "first": made,
                    "last": made + size - 1,
                    "t0": T0,
                    "spacing": EVENT_SPACING_S,
                    "steps": list(FIXTURE_STEPS),
                    "sgln": sgln,
                    "epc_prefix": f"https://id.gs1.org/01/{gtin}/21/H",
                    "class_prefix": f"https://id.gs1.org/01/{gtin}/10/Q",
                    "job": job.pk,
                    "party": party.pk,
                },
            )
        made += size
        if total > FIXTURE_CHUNK:
            out(f"  query fixture: {made:,} events ({time.perf_counter() - started:.0f} s)")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for statement in creates:
            cursor.execute(statement)
        cursor.execute("RESET maintenance_work_mem")
    if total > FIXTURE_CHUNK:
        out(f"  query fixture: indexes built ({time.perf_counter() - started:.0f} s)")
    connection.ensure_connection()
    autocommit = connection.connection.autocommit
    connection.connection.autocommit = True  # VACUUM runs outside a transaction
    try:
        with connection.cursor() as cursor:
            for table in FIXTURE_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
    finally:
        connection.connection.autocommit = autocommit


def _p95(timings: list[float]) -> tuple[float, float]:
    timings.sort()
    return timings[int(len(timings) * 0.95) - 1], statistics.median(timings)


def query_by_epc(total: int, gtin: str, runs: int = 200) -> tuple[float, float]:
    """MATCH_epc of one random event's EPC within a day of eventTime: (p95, median) ms."""
    rng = random.Random(7)
    timings = []
    for _ in range(runs):
        serial = rng.randrange(total)
        when = T0 + timedelta(seconds=serial * EVENT_SPACING_S)
        params = QueryDict(mutable=True)
        params["MATCH_epc"] = f"https://id.gs1.org/01/{gtin}/21/H{serial}"
        params["GE_eventTime"] = (when - timedelta(days=1)).isoformat()
        params["LT_eventTime"] = (when + timedelta(days=1)).isoformat()
        started = time.perf_counter()
        page, _token = selectors.events_query(params=params, base=Event.objects.all())
        selectors.query_document(page, creation=T0)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(page) == 1
    return _p95(timings)


def query_by_step(total: int, runs: int = 200) -> tuple[float, float]:
    """EQ_bizStep in a random hour of eventTime, a page of 30 and the next page through its
    nextPageToken (two queries timed each): (p95, median) ms."""
    rng = random.Random(11)
    timings = []
    for _ in range(runs):
        when = T0 + timedelta(seconds=rng.randrange(total) * EVENT_SPACING_S)
        params = QueryDict(mutable=True)
        params["EQ_bizStep"] = rng.choice(FIXTURE_STEPS)
        params["GE_eventTime"] = when.isoformat()
        params["LT_eventTime"] = (when + timedelta(hours=1)).isoformat()
        for _page in range(2):
            started = time.perf_counter()
            page, token = selectors.events_query(params=params, base=Event.objects.all())
            selectors.query_document(page, creation=T0)
            timings.append((time.perf_counter() - started) * 1000)
            if token is None:
                break
            params["nextPageToken"] = token
    return _p95(timings)


def five_level_trace(party, location, product) -> str:
    """Captures a chain of five transformations; returns its first lot."""
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
    return lots[0]


def trace_ms(lot: str, runs: int = 20) -> tuple[float, float]:
    """The 5-level forward trace of `lot`: (p95, median) ms."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        found = selectors.trace(lot, forward=True)
        timings.append((time.perf_counter() - started) * 1000)
    assert [depth for _, depth in found] == [1, 2, 3, 4, 5]
    return _p95(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="under two minutes, 100k events")
    parser.add_argument(
        "--query-events",
        type=int,
        help="events in the query fixture (default 1,000,000; 100,000 with --quick)",
    )
    args = parser.parse_args()
    documents = 10 if args.quick else 50
    haystack = args.query_events or (100_000 if args.quick else 1_000_000)

    # No serialised copy of the test database: nothing here rolls back to it.
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        out(f"# B-Fresh benchmark ({'quick' if args.quick else 'full'})")
        version = connection.pg_version
        out(
            f"database: PostgreSQL {version // 10000}.{version % 10000}; "
            f"python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
        )
        party, location, product = master_data()
        # Once per process (a server does it on its first capture): not part of the rate.
        started = time.perf_counter()
        compiled = schema.fast_validator() is not None
        out(
            f"schema: compiled with jsonschema_rs in {time.perf_counter() - started:.2f} s"
            if compiled
            else "schema: jsonschema_rs unavailable, jsonschema only"
        )
        rate = capture_documents(party, location, product, documents)
        out(
            f"capture: {documents} documents x 100 events, validated, hashed, anchored: "
            f"{rate:,.0f} events/s"
        )
        lot = five_level_trace(party, location, product)
        job = CaptureJob.objects.create(status=CaptureJob.Status.SUCCESS)
        started = time.perf_counter()
        query_fixture(haystack, job, party, location, product.gtin)
        stored = Event.objects.count()
        out(
            f"query fixture: {stored:,} events (made by the server, not captured) in "
            f"{time.perf_counter() - started:.0f} s"
        )
        p95, median = query_by_epc(haystack, product.gtin)
        out(
            f"query: MATCH_epc + eventTime day over {stored:,} events: "
            f"p95 {p95:.1f} ms, median {median:.1f} ms"
        )
        step_p95, step_median = query_by_step(haystack)
        out(
            f"query: EQ_bizStep + eventTime hour, two pages of 30: "
            f"p95 {step_p95:.1f} ms, median {step_median:.1f} ms"
        )
        trace_p95, trace_median = trace_ms(lot)
        out(f"trace: 5-level forward trace p95 {trace_p95:.1f} ms, median {trace_median:.1f} ms")
        out(
            f"events_per_s={rate:.0f} query_p95_ms={max(p95, step_p95):.1f} "
            f"trace_ms={trace_median:.1f} query_events={stored}"
        )
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
