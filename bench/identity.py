"""B Pass benchmark: issue and verify throughput per cryptosuite, status checks against a
131,072-entry Bitstring Status List, verify latency through the HTTP VC-API.

    .venv/bin/python bench/identity.py --quick
    .venv/bin/python bench/identity.py --quick --workers 1    # single process only
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub_identity \
        .venv/bin/python bench/identity.py

Runs against a throw-away database made by Django's test-database machinery (on whatever
DATABASE_URL names); removes it at the end. Prints figures only, asserts nothing about timing.
"Issue" is the whole service (schema check, status index allocation, signature, storage and
anchor leaf); "verify" is every check (structure, JSON-LD, signature, issuer, validity,
status). Both are measured after a warm-up of five credentials per process (not timed; the
single-process figures in BENCHMARKS.md from before --workers include that cold start).
The single-process run also prints the CPU milliseconds per credential, of this process and
of its PostgreSQL backend (/proc, when the server runs on this machine), and the rate all
CPUs would give at that cost: unlike the rates, it hardly depends on the machine's load.

Each suite is measured twice: in this one process, one credential after the other (the cost
of one operation), and by --workers processes at once (default: the CPU count), each with its
own database connection, as a server with that many workers would run. The workers are
forked after the set-up, warm up (a few issues and verifications each, not timed), then issue
their share together, wait for each other, and verify what they issued together; a phase is
timed between the barriers the workers and this process wait at, and its rate is all the
workers' credentials over that time. PostgreSQL runs on the same CPUs.

The last line printed is the headline, eddsa-rdfc-2022's AGGREGATE issue and verify rates
(all workers; with --workers 1, the single-process rates) and the status check:

    issue_per_s=N verify_per_s=N status_check_ms=N
"""

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from busanhub.accounts.models import User  # noqa: E402
from identity import services, statuslist, verification  # noqa: E402
from identity.models import StatusList  # noqa: E402

SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
# Not timed, in each process: its connection's first statements and plans, the shape
# templates (PyLD, once per document shape) and, on the first issue, the issuer's status lists.
WARM_UP = 5


def out(line: str) -> None:
    print(line, flush=True)


def issue_many(holder, did: str, suite: str, count: int) -> list:
    city = services.city_issuer()
    return [
        services.credential_issue(
            issuer=city,
            subject_did=did,
            types=["BusanResidentCredential"],
            claims={"district": "Haeundae-gu", "residentSince": "2020-01-01"},
            holder=holder,
            cryptosuite=suite,
        )
        for _ in range(count)
    ]


def verify_all(credentials: list) -> None:
    for credential in credentials:
        if not verification.credential_verify(credential.document).verified:
            raise SystemExit("a freshly issued credential did not verify")


def backend_cpu_reader():
    """A function giving the CPU seconds this connection's PostgreSQL backend used so far, when
    the server runs on this machine (/proc); else one giving NaN."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        path = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def read() -> float:
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    return read


def timed(step) -> tuple[float, float, float]:
    """Wall seconds, this process's CPU seconds and its PostgreSQL backend's CPU seconds."""
    backend_cpu = backend_cpu_reader()
    backend, cpu, wall = backend_cpu(), time.process_time(), time.perf_counter()
    step()
    return (
        time.perf_counter() - wall,
        time.process_time() - cpu,
        backend_cpu() - backend,
    )


def issue_and_verify(holder, did: str, suite: str, count: int):
    """Rates in this one process, and CPU milliseconds per credential (Python, PostgreSQL
    backend) for issue and verify; after a warm-up, as in each worker."""
    verify_all(issue_many(holder, did, suite, WARM_UP))
    credentials: list = []
    issue = timed(lambda: credentials.extend(issue_many(holder, did, suite, count)))
    verify = timed(lambda: verify_all(credentials))
    cpu_ms = {
        name: (1000 * cpu / count, 1000 * backend / count)
        for name, (_wall, cpu, backend) in (("issue", issue), ("verify", verify))
    }
    return count / issue[0], count / verify[0], credentials, cpu_ms


def _worker(holder_pk: int, did: str, suite: str, count: int, barrier, results) -> None:
    """One forked worker: warm up, then issue `count` and verify them, each phase started
    and ended together with the other workers (the barrier)."""
    connections.close_all()  # never the parent's connection: a fresh one of our own
    try:
        holder = User.objects.get(pk=holder_pk)
        verify_all(issue_many(holder, did, suite, WARM_UP))
        barrier.wait()
        issued = issue_many(holder, did, suite, count)
        barrier.wait()
        verify_all(issued)
        barrier.wait()
        results.put(None)
    except BaseException as exc:  # noqa: BLE001 (reported by the parent, which stops)
        barrier.abort()
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        connections.close_all()


def issue_and_verify_workers(holder, did: str, suite: str, count: int, workers: int):
    """Aggregate issue and verify rates of `workers` processes, `count` credentials each."""
    connections.close_all()  # never share the parent's connection with forked children
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(holder.pk, did, suite, count, barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    started = issued = verified = 0.0
    try:
        barrier.wait()  # all warmed up
        started = time.perf_counter()
        barrier.wait()  # all issued
        issued = time.perf_counter()
        barrier.wait()  # all verified
        verified = time.perf_counter()
    except threading.BrokenBarrierError:
        pass  # a worker failed: it says why below
    errors = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    failed = [error for error in errors if error]
    if failed:
        raise SystemExit(f"a worker failed: {failed[0]}")
    total = count * workers
    return total / (issued - started), total / (verified - issued)


def status_check_ms(runs: int) -> tuple[float, float]:
    """Decoding the published list (GZIP + base64url) and reading one bit; and the full status
    check of a credential (DB read of the list + bit)."""
    status_list = StatusList.objects.get(purpose="revocation")
    encoded = status_list.credential["credentialSubject"]["encodedList"]
    timings = []
    for index in range(runs):
        started = time.perf_counter()
        bits = statuslist.decode(encoded)
        statuslist.get_bit(bits, (index * 7919) % statuslist.MIN_LENGTH)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), len(bits) * 8


def http_verify_ms(credentials: list, runs: int) -> tuple[float, float]:
    client = Client()
    timings = []
    for position in range(runs):
        document = credentials[position % len(credentials)].document
        started = time.perf_counter()
        response = client.post(
            "/vc-api/credentials/verify",
            {"verifiableCredential": document},
            content_type="application/json",
        )
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"HTTP verify answered {response.status_code}")
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under two minutes")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes issuing and verifying at once (default: the CPU count)",
    )
    args = parser.parse_args()
    workers = max(1, args.workers)
    count = 100 if args.quick else 1_000
    runs = 200 if args.quick else 2_000
    # Never the test suite's database name: a test run in parallel keeps its own.
    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"bench_identity_{connection.settings_dict['NAME']}"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        out(f"# B Pass benchmark ({'quick' if args.quick else 'full'})")
        version = connection.pg_version
        out(
            f"database: PostgreSQL {version // 10000}.{version % 10000}; "
            f"python {platform.python_version()}; {os.cpu_count()} CPUs; "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {workers} workers"
        )
        holder = User.objects.create_user(email="bench@example.kr", password="bench-password-1")
        did = services.wallet_open(user=holder).did
        rates = {}
        credentials = []
        for suite in SUITES:
            issue_rate, verify_rate, issued, cpu_ms = issue_and_verify(holder, did, suite, count)
            rates[suite] = (issue_rate, verify_rate)
            credentials.extend(issued)
            out(
                f"{suite}, 1 process: issue {issue_rate:,.1f} credentials/s, verify"
                f" {verify_rate:,.1f} credentials/s ({count} credentials)"
            )
            # CPU per credential does not depend on the other work on the machine as the
            # rates do; all CPUs at that cost would give the ceiling (no waits counted).
            # /proc counts the backend's CPU in clock ticks: that is its resolution.
            tick_ms = 1000 / os.sysconf("SC_CLK_TCK") / count
            out(
                f"{suite}, CPU ms per credential (Python + PostgreSQL backend, the latter"
                f" ±{tick_ms:.2f}): "
                + ", ".join(
                    f"{name} {python:.2f} + {backend:.2f}"
                    f" (ceiling on {os.cpu_count()} CPUs"
                    f" {(os.cpu_count() or 1) * 1000 / (python + backend):,.0f}/s)"
                    for name, (python, backend) in cpu_ms.items()
                )
            )
            if workers > 1:
                issue_rate, verify_rate = issue_and_verify_workers(
                    holder, did, suite, count, workers
                )
                rates[suite] = (issue_rate, verify_rate)
                out(
                    f"{suite}, {workers} processes: issue {issue_rate:,.1f} credentials/s, verify"
                    f" {verify_rate:,.1f} credentials/s ({count} credentials each, aggregate)"
                )
        median_ms, entries = status_check_ms(runs)
        out(
            f"status check: decode {entries:,}-entry list + read one bit, median {median_ms:.3f} ms"
        )
        http_median, http_p95 = http_verify_ms(credentials, max(50, runs // 4))
        out(
            f"HTTP POST /vc-api/credentials/verify: median {http_median:.1f} ms,"
            f" p95 {http_p95:.1f} ms"
        )
        issue_headline, verify_headline = rates["eddsa-rdfc-2022"]
        out(
            f"issue_per_s={issue_headline:.0f} verify_per_s={verify_headline:.0f} "
            f"status_check_ms={median_ms:.3f}"
        )
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
