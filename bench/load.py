"""A city's load on the production topology: locust, headless, over bench/city.py's city.

    .venv/bin/python bench/load.py --quick       # its own small city; 50 and 200 users
    .venv/bin/python bench/load.py               # 50, 200 and 500 users, longer runs
    .venv/bin/python bench/load.py --url http://127.0.0.1:8100   # a topology already running

Without --url the script starts `scripts/prod_local.py` (gunicorn under busanhub.settings.prod,
a Celery worker per queue on the broker CELERY_BROKER_URL names, beat, the matcher process,
anvil) on a fresh database `<DATABASE_URL's name>_load` (dropped at the end, unless --keep),
on loopback ports WEB_PORT (8100) and CHAIN_PORT (8145), seeds a city into it through the
services, and stops everything at the end. With --url the target must share this process's
DATABASE_URL and DJANGO_SECRET_KEY (var/prod-local/env): the sign-ins below are written to
its session table; --url also skips the seeding unless --seed.

Users are signed in with server-side sessions made here (the `sessionid` cookie; staff also
with a TOTP authenticator and an MFA record in the session, as production's admin demands)
and API tokens: the login form is rate-limited per IP and all users come from 127.0.0.1.

Journeys (locust user classes in bench/city_locust.py, weights in brackets):
citizens [8] browse the home page, dashboard, voucher wallet and the safety map, pay a
merchant by QR (POST /api/v1/vouchers/payments/, Idempotency-Key), file a safety report with
a small JPEG (the report form), and check a receipt on /verify/<digest>; students [3] open a
course and a lesson, start a quiz attempt and submit it; partners [1] capture an EPCIS
document of 10 events; traders [2] read the book, place a limit order and cancel it; staff
[1] open the admin's safety queue, voucher payments, the anchoring dashboard and batches.

Printed per user level: each request name's count, errors, p50/p95/p99 (ms, locust's
histogram), requests/s; the failures by request and answer (locust's failures CSV); the CPU
per request of each kind of process (gunicorn, PostgreSQL backends of the load database,
Celery workers and beat, the matcher, anvil, locust itself: all on the same machine, read from
/proc; the whole machine's too, which includes whatever else runs); the anchoring backlog
(leaves not yet in a batch) at the level's start and end, and the load average. Last line:
`k=v ...` (pages/reads p95 at 200 users, errors, payments p95, backlog, the topology's and
locust's CPU ms per request).

Levels of 500 users and more run locust in several processes (`--locust-processes`, default
one per 250 users, at most the CPUs): one gevent loop saturates a CPU near 500 users' worth of
requests, and a saturated load generator reports its own queueing as the server's latency.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STATE = ROOT / "var" / "prod-local"
LOCUSTFILE = ROOT / "bench" / "city_locust.py"
# Request names that are pages or reads (the p95 < 100 ms target), by prefix.
WRITES = ("pay", "report", "order", "cancel", "epcis", "quiz start", "quiz submit")


def out(line: str = "") -> None:
    print(line, flush=True)


def database_with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def database_recreate(url: str, *, drop_only: bool = False) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


class Topology:
    """scripts/prod_local.py in its own session; stopped with SIGTERM (honcho stops the rest)."""

    def __init__(self, environment: dict[str, str]):
        self.environment = environment
        self.process: subprocess.Popen | None = None
        self.log = STATE / "load-topology.log"

    def start(self, url: str, timeout: float = 600) -> None:
        STATE.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603
            [str(ROOT / ".venv" / "bin" / "python"), "scripts/prod_local.py", "start"],
            cwd=ROOT,
            env=os.environ | self.environment,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not healthy(url):
            if self.process.poll() is not None:
                raise SystemExit(f"the topology stopped; see {self.log}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the topology did not answer /healthz; see {self.log}")
            time.sleep(2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def environment_for(args) -> dict[str, str]:
    """The prod-local variables for this run (scripts/prod_local.py's, on the load database)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("prod_local", ROOT / "scripts" / "prod_local.py")
    prod_local = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prod_local)
    os.environ.setdefault("WEB_PORT", "8100")
    os.environ.setdefault("CHAIN_PORT", "8145")
    if args.url is None:
        base = os.environ.get("DATABASE_URL")
        if not base:
            raise SystemExit("bench/load.py needs DATABASE_URL (a server where it may create a db)")
        name = urlsplit(base).path.lstrip("/") + "_load"
        os.environ["DATABASE_URL"] = database_with_name(base, name)
    return prod_local.environment()


# --- sign-ins and the plan the locust users read ---------------------------------------------


def session_for(user, *, mfa: bool = False) -> str:
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    now = time.time()
    records = [{"method": "password", "at": now, "email": user.email}]
    if mfa:
        records.append({"method": "mfa", "at": now, "type": "totp"})
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.create()
    return session.session_key


def token_for(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


def plan_build(seeded, *, citizens: int, per_role: int) -> dict:
    """Sign-ins per role and the ids the journeys need, as JSON for bench/city_locust.py."""
    import secrets

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from bench import city
    from busanhub.accounts.models import User
    from busanhub.chain.models import AnchorLeaf
    from education.models import Enrollment, Lesson
    from exchange.models import Order
    from logistics import services as logistics_services
    from logistics.epcis import identifiers
    from logistics.models import Location, Party
    from safety import throttle

    def login(user, mfa=False) -> dict:
        return {
            "session": session_for(user, mfa=mfa),
            "csrf": secrets.token_hex(16),
            "token": token_for(user),
        }

    emails = [city.citizen_email(seeded.prefix, i) for i in range(min(per_role, citizens))]
    plan: dict = {"citizens": [login(u) for u in User.objects.filter(email__in=emails)]}
    plan["report_limit"] = throttle.limit_for("report_user")[0]
    traders = User.objects.filter(
        pk__in=Order.objects.values("owner_id").distinct()[: max(per_role // 4, 1)]
    )
    plan["traders"] = [login(u) for u in traders]
    enrolments = list(
        Enrollment.objects.select_related("student", "course")
        .filter(status="active")
        .order_by("pk")[: max(per_role // 2, 1)]
    )
    plan["students"] = []
    for enrolment in enrolments:
        lessons = list(Lesson.objects.filter(module__course=enrolment.course).order_by("pk"))
        quiz = next(lesson for lesson in lessons if lesson.kind == "quiz")
        reading = next(lesson for lesson in lessons if lesson.kind == "text")
        plan["students"].append(
            login(enrolment.student)
            | {
                "course": str(enrolment.course.public_id),
                "lesson": str(reading.public_id),
                "quiz": str(quiz.public_id),
            }
        )
    plan["staff"] = []
    for role in city.STAFF_ROLES:
        user = User.objects.get(email=city.staff_email(seeded.prefix, role))
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, generate_totp_secret())
        plan["staff"].append(login(user, mfa=True) | {"role": role})
    party = Party.objects.get(gln=city.gln("880777700001"))
    _key, raw = logistics_services.partner_key_create(party=party, name="load test")
    location = Location.objects.filter(party=party).first()
    plan["partner"] = {
        "key": raw,
        "sgln": identifiers.sgln_urn(gln=location.gln),
        "lgtins": [
            identifiers.lgtin_urn(gtin=seeded.gtin, lot=code) for code in seeded.lot_codes[:50]
        ],
    }
    plan["merchants"] = seeded.merchant_codes
    plan["digests"] = list(
        AnchorLeaf.objects.all().order_by("-pk").values_list("digest", flat=True)[:200]
    )
    plan["market"] = seeded.market
    return plan


def anchoring_backlog() -> int:
    from busanhub.chain.models import AnchorLeaf

    return AnchorLeaf.objects.filter(batch__isnull=True).count()


# --- CPU per request, per kind of process ----------------------------------------------------

KINDS = (
    ("gunicorn", "web"),
    ("exchange_matcher", "matcher"),
    ("celery", "celery"),
    ("devnode", "chain"),
    ("anvil", "chain"),
)


def topology_cpu(root: int | None) -> dict[str, float]:
    """CPU seconds so far of the topology's processes (descendants of `root`, the process of
    scripts/prod_local.py that became honcho), by kind, each with its ended children's (a
    gunicorn worker retired by --max-requests is counted by its master), and of PostgreSQL: the
    backends connected to this process's database plus those that ended (the postmaster's
    reaped children: every database's, so on a server shared with other work an overcount).
    Read from /proc: the server must run on this machine."""
    from django.db import connection

    from bench.cpu import proc_cpu_seconds, proc_parent

    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    totals: dict[str, float] = collections.defaultdict(float)
    for pid in parents:
        ancestor = pid
        while ancestor not in (root, 0, 1) and ancestor in parents:
            ancestor = parents[ancestor]
        if root is None or ancestor != root:
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        kind = next((name for needle, name in KINDS if needle in command), None)
        seconds = proc_cpu_seconds(pid, reaped=True)
        if kind and seconds is not None:
            totals[kind] += seconds
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    totals["postgres"] = sum(proc_cpu_seconds(pid) or 0.0 for pid in pids)
    postmaster = proc_parent(pids[0]) if pids else None
    if postmaster is not None:
        cpu = proc_cpu_seconds(postmaster, reaped=True)
        totals["postgres"] += (cpu or 0.0) - (proc_cpu_seconds(postmaster) or 0.0)
    return totals


def machine_cpu() -> float:
    """CPU seconds every CPU of the machine has been busy (/proc/stat: all but idle, iowait)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


def failures_print(prefix: Path) -> None:
    """The failures of the level, by request and answer (at most 10 lines)."""
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return
    with path.open() as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: -int(row["Occurrences"]))
    for row in rows[:10]:
        error = " ".join(row["Error"].split())[:110]
        out(f"  failed {row['Occurrences']:>4} x {row['Name']}: {error}")


# --- locust runs -----------------------------------------------------------------------------


def locust_run(
    *,
    url: str,
    users: int,
    seconds: int,
    plan_path: Path,
    prefix: Path,
    processes: int,
    offset: int = 0,
) -> list[dict]:
    command = [
        str(ROOT / ".venv" / "bin" / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--reset-stats",
        "-u",
        str(users),
        "-r",
        str(max(users // 5, 10)),
        "-t",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--loglevel",
        "WARNING",
    ]
    if processes > 1:
        command += ["--processes", str(processes)]
    log = prefix.with_suffix(".log")
    subprocess.run(  # noqa: S603
        command,
        env=os.environ | {"CITY_PLAN": str(plan_path), "CITY_SIGN_IN_OFFSET": str(offset)},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        check=False,
        timeout=seconds + 120,
    )
    with Path(f"{prefix}_stats.csv").open() as handle:
        return list(csv.DictReader(handle))


def report(rows: list[dict]) -> dict:
    """Prints the table; returns the level's summary figures."""
    out(f"  {'request':<28} {'count':>7} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'rps':>6}")
    summary = {"errors": 0, "reads_p95": 0.0, "pay_p95": 0.0, "rps": 0.0}
    for row in rows:
        name = row["Name"]
        count, errors = int(row["Request Count"]), int(row["Failure Count"])
        p50, p95, p99 = (float(row[k] if row[k] != "N/A" else 0) for k in ("50%", "95%", "99%"))
        rps = float(row["Requests/s"])
        if name == "Aggregated":
            summary["errors"], summary["rps"] = errors, rps
        elif not name.startswith(WRITES):
            summary["reads_p95"] = max(summary["reads_p95"], p95)
        if name == "pay (api)":
            summary["pay_p95"] = p95
        out(f"  {name:<28} {count:>7} {errors:>6} {p50:>6.0f} {p95:>6.0f} {p99:>6.0f} {rps:>6.1f}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small city, 50 and 200 users")
    parser.add_argument("--url", help="a running topology (default: start scripts/prod_local.py)")
    parser.add_argument("--seed", action="store_true", help="with --url: seed a city first")
    parser.add_argument("--users", help="comma-separated user levels")
    parser.add_argument("--seconds", type=int, help="seconds per level")
    parser.add_argument("--citizens", type=int, help="citizens of the seeded city")
    parser.add_argument("--keep", action="store_true", help="keep the load database")
    parser.add_argument(
        "--locust-processes",
        type=int,
        help="locust processes per level (default: one per 250 users, at most the CPUs)",
    )
    args = parser.parse_args()
    levels = [int(n) for n in (args.users or ("50,200" if args.quick else "50,200,500")).split(",")]
    seconds = args.seconds or (40 if args.quick else 180)
    citizens = args.citizens or (400 if args.quick else 20_000)

    environment = environment_for(args)
    url = args.url or f"http://127.0.0.1:{environment['WEB_PORT']}"
    os.environ.update(environment)
    os.environ["DJANGO_SETTINGS_MODULE"] = "busanhub.settings.prod"
    topology = None
    if args.url is None:
        database_recreate(environment["DATABASE_URL"])
        topology = Topology(environment)
    try:
        started = time.perf_counter()
        if topology is not None:
            topology.start(url)
            out(f"topology up in {time.perf_counter() - started:.0f} s: {url}")
        import django

        django.setup()
        from django.db import connection

        from bench import city

        prefix = f"load{datetime.datetime.now():%H%M%S}"
        counts = city.Counts(
            citizens=citizens,
            merchants=20,
            payments=citizens // 2,
            reports=citizens // 2,
            # One trader per simulated trader (2 in 15 users) of every level: a trader's
            # placements and cancels (~30 a minute on a fast server) stay under the "orders"
            # throttle's 120 a minute, and traders are also citizens who pay (the "money"
            # throttle, 30 a minute, counted apart). Each level takes the sign-ins after the
            # last's, so no two users share a sign-in's throttles.
            traders=max(40, sum(levels) // 4),
            orders=400,
            lots=50,
            events_per_lot=4,
            courses=6,
            enrolments=citizens // 2,
        )
        version = connection.pg_version
        cpu = platform.processor() or platform.machine()
        now = datetime.datetime.now(datetime.UTC)
        out(
            f"# city load ({'quick' if args.quick else 'full'}): {now:%Y-%m-%d %H:%M} UTC; "
            f"{cpu} x{os.cpu_count()}; PostgreSQL {version // 10000}; gunicorn "
            f"{environment.get('WEB_CONCURRENCY')} x {environment.get('WEB_THREADS')}; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        if args.url is None or args.seed:
            seeded = city.seed_city(counts=counts, prefix=prefix, workers=2, out=out)
        else:
            raise SystemExit("--url without --seed: not supported yet (seed the target first)")
        plan = plan_build(seeded, citizens=citizens, per_role=sum(levels))
        plan_path = STATE / "load-plan.json"
        plan_path.write_text(json.dumps(plan))
        summaries = {}
        root = topology.process.pid if topology and topology.process else None
        for users in levels:
            backlog_start, load_start = anchoring_backlog(), os.getloadavg()[0]
            processes = args.locust_processes or min(max(users // 250, 1), os.cpu_count() or 1)
            out(
                f"\n## {users} users, {seconds} s (backlog {backlog_start} leaves, "
                f"load {load_start:.1f}, locust processes {processes})"
            )
            cpu_start, machine_start = topology_cpu(root), machine_cpu()
            locust_start = resource.getrusage(resource.RUSAGE_CHILDREN)
            rows = locust_run(
                url=url,
                users=users,
                seconds=seconds,
                plan_path=plan_path,
                prefix=STATE / f"locust-{users}",
                processes=processes,
                offset=sum(levels[: levels.index(users)]),
            )
            locust_end = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_end, machine_end = topology_cpu(root), machine_cpu()
            summary = report(rows)
            failures_print(STATE / f"locust-{users}")
            count = sum(int(r["Request Count"]) for r in rows if r["Name"] != "Aggregated") or 1
            used = {kind: cpu_end[kind] - cpu_start.get(kind, 0.0) for kind in cpu_end}
            used["locust"] = (locust_end.ru_utime + locust_end.ru_stime) - (
                locust_start.ru_utime + locust_start.ru_stime
            )
            used["machine"] = machine_end - machine_start
            out(
                "  CPU ms per request: "
                + ", ".join(
                    f"{kind} {seconds_ * 1000 / count:.1f}" for kind, seconds_ in used.items()
                )
                + f" ({count} requests; machine: every process, other users' too)"
            )
            server = sum(v for k, v in used.items() if k not in ("locust", "machine"))
            summary["server_cpu_ms"] = server * 1000 / count
            summary["locust_cpu_ms"] = used["locust"] * 1000 / count
            summary["backlog_start"], summary["backlog_end"] = backlog_start, anchoring_backlog()
            out(
                f"  anchoring backlog: {backlog_start} -> {summary['backlog_end']} pending leaves;"
                f" load average {os.getloadavg()[0]:.1f}"
            )
            summaries[users] = summary
        key = 200 if 200 in summaries else max(summaries)
        main_level = summaries[key]
        out(
            f"users={key} reads_p95_ms={main_level['reads_p95']:.0f} "
            f"errors={sum(s['errors'] for s in summaries.values())} "
            f"pay_p95_ms={main_level['pay_p95']:.0f} rps={main_level['rps']:.0f} "
            f"backlog_end={main_level['backlog_end']} "
            f"server_cpu_ms={main_level['server_cpu_ms']:.1f} "
            f"locust_cpu_ms={main_level['locust_cpu_ms']:.1f} load={os.getloadavg()[0]:.1f}"
        )
    finally:
        if topology is not None:
            from django.db import connections

            connections.close_all()
            topology.stop()
            if not args.keep:
                database_recreate(environment["DATABASE_URL"], drop_only=True)


if __name__ == "__main__":
    main()
