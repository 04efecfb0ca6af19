"""B Pass benchmark: issue and verify throughput per cryptosuite, status checks against a
131,072-entry Bitstring Status List, verify latency through the HTTP VC-API.

    .venv/bin/python bench/identity.py --quick
    .venv/bin/python bench/identity.py --quick --workers 1    # single process only
    .venv/bin/python bench/identity.py --quick --batch 200    # credentials per batch issue
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub_identity \
        .venv/bin/python bench/identity.py

Runs against a throw-away database made by Django's test-database machinery (on whatever
DATABASE_URL names); removes it at the end. Prints figures only, asserts nothing about timing.
"Issue" is the whole service (schema check, status index allocation, signature, storage and
anchor leaf), one credential per call and transaction (credential_issue); "batch issue" the
same for --batch credentials per call and transaction (credential_issue_many, what
POST /vc-api/credentials/issue-batch runs); "verify" is every check (structure, JSON-LD,
signature, issuer, validity, status). All are measured after a warm-up per process (five
credentials one by one and ten in a batch, not timed; the single-process figures in
BENCHMARKS.md from before --workers include that cold start).
Every run also prints the CPU milliseconds per credential, of the Python process(es) and of
their PostgreSQL backends (/proc, when the server runs on this machine), and the rate all
CPUs would give at that cost: unlike the rates, it hardly depends on the machine's load (the
figure to compare across minutes on a shared machine). The HTTP part measures the VC-API
doors in this process (Django's test client: DRF parsing, validation, rendering; no socket).

Each suite is measured twice: in this one process, one credential after the other (the cost
of one operation), and by --workers processes at once (default: the CPU count), each with its
own database connection, as a server with that many workers would run. The workers are
forked after the set-up, warm up (a few issues and verifications each, not timed), then issue
their share one by one together, wait for each other, issue as many in batches together,
wait, and verify all they issued together; each keeps its connection throughout. A phase is
timed between the barriers the workers and this process wait at, and its rate is all the
workers' credentials over that time. PostgreSQL runs on the same CPUs.

The last line printed is the headline, eddsa-rdfc-2022's AGGREGATE issue, batch issue and
verify rates (all workers; with --workers 1, the single-process rates), their CPU ms per
credential (Python + PostgreSQL backend, summed over the workers), and the status check:

    issue_per_s=N issue_batch_per_s=N verify_per_s=N issue_cpu_ms=N issue_batch_cpu_ms=N
    verify_cpu_ms=N status_check_ms=N
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

from bench.cpu import backend_cpu_reader  # noqa: E402
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


def issue_batches(holder, did: str, suite: str, count: int, batch: int) -> list:
    city = services.city_issuer()
    request = {
        "subject_did": did,
        "types": ["BusanResidentCredential"],
        "claims": {"district": "Haeundae-gu", "residentSince": "2020-01-01"},
        "holder": holder,
    }
    issued: list = []
    while len(issued) < count:
        size = min(batch, count - len(issued))
        issued += services.credential_issue_many(
            issuer=city, requests=[request] * size, cryptosuite=suite
        )
    return issued


def verify_all(credentials: list) -> None:
    for credential in credentials:
        if not verification.credential_verify(credential.document).verified:
            raise SystemExit("a freshly issued credential did not verify")


def timed(step) -> tuple[float, float, float]:
    """Wall seconds, this process's CPU seconds and its PostgreSQL backend's CPU seconds."""
    backend_cpu = backend_cpu_reader(connection)
    backend, cpu, wall = backend_cpu(), time.process_time(), time.perf_counter()
    step()
    return (
        time.perf_counter() - wall,
        time.process_time() - cpu,
        backend_cpu() - backend,
    )


PHASES = ("issue", "issue_batch", "verify")


def warm_up(holder, did: str, suite: str, batch: int) -> None:
    """Not timed: the connection's statements and plans, shape templates, the issuer's lists."""
    verify_all(issue_many(holder, did, suite, WARM_UP))
    verify_all(issue_batches(holder, did, suite, min(batch, 2 * WARM_UP), batch))


def issue_and_verify(holder, did: str, suite: str, count: int, batch: int):
    """In this one process, after a warm-up as in each worker: per phase (issue, batch issue,
    verify) the rate and the CPU seconds (Python, PostgreSQL backend) per credential."""
    warm_up(holder, did, suite, batch)
    single: list = []
    batched: list = []
    results = {
        "issue": timed(lambda: single.extend(issue_many(holder, did, suite, count))),
        "issue_batch": timed(
            lambda: batched.extend(issue_batches(holder, did, suite, count, batch))
        ),
        "verify": timed(lambda: verify_all(single + batched)),
    }
    counts = {"issue": count, "issue_batch": count, "verify": 2 * count}
    return {
        name: (counts[name] / wall, cpu / counts[name], backend / counts[name])
        for name, (wall, cpu, backend) in results.items()
    }, single + batched


def _worker(holder_pk: int, did: str, suite: str, count: int, batch: int, barrier, results) -> None:
    """One forked worker: warm up, then issue `count` one by one, `count` in batches, and
    verify them all, each phase started and ended together with the other workers (the
    barrier); reports its CPU seconds and its backend's per phase."""
    connections.close_all()  # never the parent's connection: a fresh one of our own
    try:
        holder = User.objects.get(pk=holder_pk)
        warm_up(holder, did, suite, batch)
        backend_cpu = backend_cpu_reader(connection)
        issued: list = []
        steps = {
            "issue": lambda: issued.extend(issue_many(holder, did, suite, count)),
            "issue_batch": lambda: issued.extend(issue_batches(holder, did, suite, count, batch)),
            "verify": lambda: verify_all(issued),
        }
        cpu = {}
        for name in PHASES:
            barrier.wait()
            backend, process = backend_cpu(), time.process_time()
            steps[name]()
            cpu[name] = (time.process_time() - process, backend_cpu() - backend)
        barrier.wait()
        results.put(cpu)
    except BaseException as exc:  # noqa: BLE001 (reported by the parent, which stops)
        barrier.abort()
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        connections.close_all()


def issue_and_verify_workers(holder, did: str, suite: str, count: int, batch: int, workers: int):
    """Per phase, the aggregate rate of `workers` processes (`count` credentials each to issue
    one by one, `count` in batches, then all of them to verify) and the CPU seconds per
    credential summed over the workers (Python, backends)."""
    connections.close_all()  # never share the parent's connection with forked children
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(holder.pk, did, suite, count, batch, barrier, results)
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    moments = []
    try:
        for _phase in range(len(PHASES) + 1):  # warmed up, then the end of each phase
            barrier.wait()
            moments.append(time.perf_counter())
    except threading.BrokenBarrierError:
        pass  # a worker failed: it says why below
    reports = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    failed = [report for report in reports if isinstance(report, str)]
    if failed:
        raise SystemExit(f"a worker failed: {failed[0]}")
    counts = {"issue": count, "issue_batch": count, "verify": 2 * count}
    return {
        name: (
            workers * counts[name] / (moments[n + 1] - moments[n]),
            sum(report[name][0] for report in reports) / (workers * counts[name]),
            sum(report[name][1] for report in reports) / (workers * counts[name]),
        )
        for n, name in enumerate(PHASES)
    }


def cpu_line(label: str, phases: dict) -> str:
    """CPU ms per credential per phase, and the rate all CPUs would give at that cost."""
    cpus = os.cpu_count() or 1
    return f"{label}, CPU ms per credential (Python + PostgreSQL backend): " + ", ".join(
        f"{name} {1000 * python:.2f} + {1000 * backend:.2f}"
        f" (ceiling on {cpus} CPUs {cpus / (python + backend):,.0f}/s)"
        for name, (_rate, python, backend) in phases.items()
    )


def rate_line(label: str, phases: dict) -> str:
    return f"{label}: " + ", ".join(
        f"{name} {rate:,.1f} credentials/s" for name, (rate, _python, _backend) in phases.items()
    )


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


def http_issue_cpu_ms(count: int, batch: int) -> dict:
    """CPU ms per credential (Python + backend) and wall ms per request of the VC-API issue
    doors, in this process: `count` credentials one per request, then in requests of `batch`."""
    issuer = User.objects.create_superuser(email="bench-issuer@example.kr", password="x-bench-1")
    client = Client()
    client.force_login(issuer)
    body = {
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:bench", "name": "Kim"},
        },
        "options": {"credentialStatus": {"type": "BitstringStatusListEntry"}},
    }

    def post(path: str, data: dict) -> None:
        response = client.post(path, data, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"HTTP {path} answered {response.status_code}")

    def singles(n: int) -> None:
        for _ in range(n):
            post("/vc-api/credentials/issue", body)

    def batches(n: int) -> None:
        for _ in range(n // batch):
            post("/vc-api/credentials/issue-batch", {"credentials": [body] * batch})

    singles(WARM_UP)
    batches(batch)
    figures = {}
    for name, step, requests in (
        ("issue", lambda: singles(count), count),
        ("issue-batch", lambda: batches(count), count // batch),
    ):
        wall, cpu, backend = timed(step)
        done = requests if name == "issue" else requests * batch
        figures[name] = (1000 * cpu / done, 1000 * backend / done, 1000 * wall / requests)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under two minutes")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes issuing and verifying at once (default: the CPU count)",
    )
    parser.add_argument(
        "--batch", type=int, default=100, help="credentials per batch issue (default 100)"
    )
    args = parser.parse_args()
    workers = max(1, args.workers)
    batch = max(1, args.batch)
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
        headline = {}
        credentials = []
        for suite in SUITES:
            phases, issued = issue_and_verify(holder, did, suite, count, batch)
            headline[suite] = phases
            credentials.extend(issued)
            out(rate_line(f"{suite}, 1 process ({count} credentials, batches of {batch})", phases))
            out(cpu_line(f"{suite}, 1 process", phases))
            if workers > 1:
                phases = issue_and_verify_workers(holder, did, suite, count, batch, workers)
                headline[suite] = phases
                out(rate_line(f"{suite}, {workers} processes (aggregate)", phases))
                out(cpu_line(f"{suite}, {workers} processes", phases))
        median_ms, entries = status_check_ms(runs)
        out(
            f"status check: decode {entries:,}-entry list + read one bit, median {median_ms:.3f} ms"
        )
        http_median, http_p95 = http_verify_ms(credentials, max(50, runs // 4))
        out(
            f"HTTP POST /vc-api/credentials/verify: median {http_median:.1f} ms,"
            f" p95 {http_p95:.1f} ms"
        )
        for name, (python, backend, wall) in http_issue_cpu_ms(count, batch).items():
            out(
                f"HTTP POST /vc-api/credentials/{name}: CPU ms per credential {python:.2f} +"
                f" {backend:.2f}, wall {wall:.1f} ms per request"
            )
        phases = headline["eddsa-rdfc-2022"]
        out(
            " ".join(f"{name}_per_s={phases[name][0]:.0f}" for name in PHASES)
            + " "
            + " ".join(
                f"{name}_cpu_ms={1000 * (phases[name][1] + phases[name][2]):.2f}" for name in PHASES
            )
            + f" status_check_ms={median_ms:.3f}"
        )
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
