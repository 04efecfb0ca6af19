"""CPU per request of every request of the load test's mix (bench/city_locust.py), one by one.

    .venv/bin/python bench/request_cpu.py                 # 30 of each request, a small city
    .venv/bin/python bench/request_cpu.py --repeat 60 --only "page /me/"
    .venv/bin/python bench/request_cpu.py --profile "page /"   # cProfile of that request
    .venv/bin/python bench/request_cpu.py --sql "page /me/"    # the SQL of its queries

Wall-clock rates on a shared 2-CPU machine say little; the CPU a request costs does not depend
on what else runs. Each request of the mix is sent `--repeat` times (after two warm-ups)
through Django's WSGI handler in this process (the test client, CSRF checks enforced, the same
cookies and headers as the locust users), under `busanhub.settings.prod` with the
`scripts/prod_local.py` variables, each between the two `close_old_connections()` calls a WSGI
server's request signals make (the connection's health check included), every sign-in's
session warmed first by one unmeasured request, and measured as

- `web ms`: this process's CPU (user + system) per request: the portal's code, middleware,
  templates, and the test client's small share of building the request;
- `db ms`: the PostgreSQL backend's CPU per request (bench/cpu.py; NaN when the server runs
  on another machine);
- `queries`: the queries of one request (a separate, unmeasured pass).

Runs on a throw-away database `<DATABASE_URL's name>_reqcpu` (Django's test-database
machinery), seeded with a small city through bench/city.py, dropped at the end. Celery tasks
go to `memory://` (nothing runs them: the anchoring they cause is not part of a request).
Last line: `k=v ...` (the CPU of the cheapest page, the dearest request, the mix's mean).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The load test's mix: (request name, weight per simulated second of all users), from the
# task weights of bench/city_locust.py (citizens 8, students 3, traders 2, partner 1, staff 1).
MIX = {
    "page /": 8 * 4 / 12,
    "page /me/": 8 * 4 / 12,
    "page /vouchers/": 8 * 4 / 12,
    "page /safety/map/": 8 * 2 / 12,
    "read safety map api": 8 * 2 / 12,
    "pay (api)": 8 * 3 / 12,
    "read wallet api": 8 * 3 / 12,
    "report (form, photo)": 8 * 1 / 12,
    "page /verify/<digest>": 8 * 2 / 12,
    "page course": 3 * 3 / 4,
    "page lesson": 3 * 3 / 4,
    "quiz start": 3 * 1 / 4,
    "quiz submit": 3 * 1 / 4,
    "read book api": 2 * 2 / 4,
    "page trade": 2 * 2 / 4,
    "order place": 2 * 2 / 4,
    "order cancel": 2 * 2 / 4,
    "epcis capture": 1,
    "admin list": 1,
}


# The Staff journey's other change lists (bench/city_locust.py), by the role that opens each;
# "admin list" (the voucher payments) stands for them in the mix.
ADMIN_LISTS = [
    ("admin safety queue", "staff-safety", "/admin/safety/report/?status__exact=submitted"),
    ("admin exchange orders", "staff-exchange", "/admin/exchange/order/"),
    ("admin epcis events", "staff-logistics", "/admin/logistics/event/"),
    ("admin enrolments", "staff-education", "/admin/education/enrollment/"),
]


@dataclass
class Request:
    name: str
    send: Callable[[], object]  # returns the response
    ok: tuple[int, ...] = (200,)


def out(line: str = "") -> None:
    print(line, flush=True)


def environment_set() -> None:
    """prod-local's variables (scripts/prod_local.py), Celery on memory://."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("prod_local", ROOT / "scripts" / "prod_local.py")
    prod_local = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prod_local)
    database = os.environ.get("DATABASE_URL")
    if not database:
        raise SystemExit(
            "bench/request_cpu.py needs DATABASE_URL (a server where it may create a db)"
        )
    values = prod_local.environment()
    values["CELERY_BROKER_URL"] = "memory://"
    values["ALLOWED_HOSTS"] = "testserver"
    values["DJANGO_SETTINGS_MODULE"] = "busanhub.settings.prod"
    os.environ.update(values)
    if prod_local.static_changed():  # prod's pages name their static files by the manifest
        prod_local.manage(values, "collectstatic", "--noinput", "-v", "0")


def photo_jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 140, 160)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def requests_for(plan: dict) -> list[Request]:
    """The mix's requests, as the locust users send them (bench/city_locust.py). Each request
    takes the next sign-in of its role, as many users would: the "money" throttle (30 a
    minute per user) then never answers 429 here."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    clients: dict[str, Client] = {}
    # One handler, as a gunicorn worker has: each new Client would load the middleware again
    # (WhiteNoise indexes every static file when it starts).
    handler = Client(enforce_csrf_checks=True).handler

    def browser(entry: dict) -> Client:
        if entry["session"] not in clients:
            made = Client(enforce_csrf_checks=True, HTTP_REFERER="http://testserver/")
            made.handler = handler
            made.cookies["sessionid"] = entry["session"]
            made.cookies["csrftoken"] = entry["csrf"]
            clients[entry["session"]] = made
        return clients[entry["session"]]

    rotations = {role: itertools.cycle(plan[role]) for role in ("citizens", "students", "traders")}
    staff = {entry["role"]: entry for entry in plan["staff"]}

    def page(role: str, path: Callable[[dict], str]) -> Callable[[], object]:
        def send():
            entry = staff[role] if role in staff else next(rotations[role])
            return browser(entry).get(path(entry), HTTP_X_CSRFTOKEN=entry["csrf"])

        return send

    # A visitor who is not signed in: no session, the CSRF cookie of an earlier page.
    visitor = Client(enforce_csrf_checks=True, HTTP_REFERER="http://testserver/")
    visitor.handler = handler

    def anonymous_page(path: str) -> Callable[[], object]:
        return lambda: visitor.get(path)

    def api(entry: dict, method: str, path: str, body=None):
        headers = {"HTTP_AUTHORIZATION": f"Token {entry['token']}"}
        if method == "POST":
            headers["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4())
        return browser(entry).generic(
            method,
            path,
            data=b"" if body is None else json.dumps(body),
            content_type="application/json",
            **headers,
        )

    def read(role: str, path: str) -> Callable[[], object]:
        return lambda: api(next(rotations[role]), "GET", path)

    def pay():
        body = {
            "merchant": random.choice(plan["merchants"]),
            "amount": random.randrange(10, 100) * 10,
        }
        return api(next(rotations["citizens"]), "POST", "/api/v1/vouchers/payments/", body)

    photo = photo_jpeg()

    def report():
        entry = next(rotations["citizens"])
        return browser(entry).post(
            "/safety/report/",
            data={
                "service_code": "POTHOLE",
                "lat": f"{35.1580 + random.uniform(-0.003, 0.003):.6f}",
                "long": f"{129.0600 + random.uniform(-0.003, 0.003):.6f}",
                "description": "A pothole near the crossing (load test).",
                "csrfmiddlewaretoken": entry["csrf"],
                "photos": SimpleUploadedFile("pothole.jpg", photo, content_type="image/jpeg"),
            },
            HTTP_X_CSRFTOKEN=entry["csrf"],
        )

    placed: list[tuple[dict, str]] = []

    def place():
        entry = next(rotations["traders"])
        body = {
            "market": plan["market"],
            "side": "buy",
            "type": "limit",
            "price": str(4_000_000 - random.randrange(1, 100) * 1_000),
            "quantity": str(random.randrange(2, 6) * 10**6),
        }
        response = api(entry, "POST", "/api/v1/exchange/orders/", body)
        if response.status_code == 201:
            placed.append((entry, response.json()["id"]))
        return response

    def cancel():
        if not placed:
            place()
        entry, order_id = placed.pop(0)
        return api(entry, "DELETE", f"/api/v1/exchange/orders/{order_id}/")

    attempts: list[tuple[dict, dict]] = []

    def quiz_start():
        entry = next(rotations["students"])
        response = api(entry, "POST", f"/api/v1/education/lessons/{entry['quiz']}/attempts/")
        if response.status_code == 201:
            attempts.append((entry, response.json()))
        return response

    def quiz_submit():
        if not attempts:
            quiz_start()
        entry, attempt = attempts.pop(0)
        answers = {
            str(q["id"]): 10 if q["kind"] == "numeric" else [q["choices"][0]["id"]]
            for q in attempt["questions"]
        }
        path = f"/api/v1/education/attempts/{attempt['id']}/submit/"
        return api(entry, "POST", path, {"answers": answers})

    partner = plan["partner"]
    lgtins = partner["lgtins"]
    document = json.dumps(
        {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-11-20T00:00:00Z",
            "epcisBody": {
                "eventList": [
                    {
                        "type": "ObjectEvent",
                        "eventTime": "2026-11-20T09:00:00+09:00",
                        "eventTimeZoneOffset": "+09:00",
                        "action": "OBSERVE",
                        "quantityList": [
                            {"epcClass": lgtins[i % len(lgtins)], "quantity": 5, "uom": "KGM"}
                        ],
                        "bizStep": "storing",
                        "readPoint": {"id": partner["sgln"]},
                        "bizLocation": {"id": partner["sgln"]},
                    }
                    for i in range(10)
                ]
            },
        }
    )
    anonymous = Client()
    anonymous.handler = handler

    def capture():
        return anonymous.post(
            "/epcis/capture",
            data=document,
            content_type="application/ld+json",
            HTTP_X_API_KEY=partner["key"],
        )

    market = plan["market"]
    digests = plan["digests"]
    return [
        Request("page /", page("citizens", lambda e: "/")),
        Request("page /me/", page("citizens", lambda e: "/me/")),
        Request("page /vouchers/", page("citizens", lambda e: "/vouchers/")),
        Request("page /safety/map/", page("citizens", lambda e: "/safety/map/")),
        Request("read safety map api", read("citizens", "/api/v1/safety/map")),
        Request("pay (api)", pay, (201,)),
        Request("read wallet api", read("citizens", "/api/v1/vouchers/wallet/")),
        Request("report (form, photo)", report, (302,)),
        Request(
            "page /verify/<digest>", page("citizens", lambda e: f"/verify/{random.choice(digests)}")
        ),
        Request("page course", page("students", lambda e: f"/education/courses/{e['course']}/")),
        Request("page lesson", page("students", lambda e: f"/education/lessons/{e['lesson']}/")),
        Request("quiz start", quiz_start, (201,)),
        Request("quiz submit", quiz_submit, (200, 201)),
        Request("read book api", read("traders", f"/api/v1/exchange/markets/{market}/book/")),
        Request("page trade", page("traders", lambda e: f"/exchange/markets/{market}/")),
        Request("order place", place, (201,)),
        Request("order cancel", cancel, (200, 202)),
        Request("epcis capture", capture, (201, 202)),
        Request("admin list", page("staff-vouchers", lambda e: "/admin/vouchers/payment/")),
        # Not in the mix: a record's page seen before (the QR code is drawn once per record;
        # the mix's own line draws one of 200 records at random, mostly for the first time),
        Request("page /verify/ seen before", page("citizens", lambda e: f"/verify/{digests[0]}")),
        # and a page of text only, the fixed cost every page pays.
        Request("page /privacy/", page("citizens", lambda e: "/privacy/")),
        # The same two floors for a visitor who is not signed in (no session, no user).
        Request("page / anonymous", anonymous_page("/")),
        Request("page /privacy/ anonymous", anonymous_page("/privacy/")),
        # Not in the mix either: the Staff journey's other admin lists, each by its role.
        *(Request(name, page(role, lambda e, path=path: path)) for name, role, path in ADMIN_LISTS),
    ]


def sessions_warm(plan: dict) -> None:
    """Every sign-in's first request, unmeasured: a signed-in user's first page after signing
    in reads the session from the database and records that the preferred language was
    applied (one write); the load test's users then send many requests on a warm session, so
    the measured requests should too, whichever of them `--only` keeps."""
    from django.test import Client

    client = Client()
    entries = [
        entry for role in ("citizens", "students", "traders", "staff") for entry in plan[role]
    ]
    for entry in entries:
        client.cookies["sessionid"] = entry["session"]
        client.get("/privacy/")


def measure(
    requests: list[Request], *, repeat: int, profile: str | None, sql: str | None = None
) -> list[dict]:
    """Per request: CPU ms of this process and of the PostgreSQL backend, and queries."""
    from django.db import close_old_connections, connection

    from bench.cpu import backend_cpu_reader

    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    rows = []
    for request in requests:
        for _ in range(2):  # warm-ups: connections, prepared statements, template caches
            response = request.send()
        if response.status_code not in request.ok:
            raise SystemExit(f"{request.name}: {response.status_code} {response.content[:300]!r}")
        # Counted by an execute wrapper: the test client's request_started resets
        # connection.queries, which CaptureQueriesContext reads.
        executed.clear()
        with connection.execute_wrapper(count):
            request.send()
        queries = len(executed)
        if request.name in (sql or "").split(","):
            out("\n".join(f"  {i + 1:>2}. {text}" for i, text in enumerate(executed)))
        backend = backend_cpu_reader(connection)
        profiled = request.name in (profile or "").split(",")
        profiler = cProfile.Profile(time.process_time) if profiled else None
        if profiler:
            profiler.enable()
        web_start, db_start = time.process_time(), backend()
        failures = 0
        for _ in range(repeat):
            # What a WSGI server's request_started and request_finished do, which the test
            # client leaves out: the connection's health check (CONN_HEALTH_CHECKS, a
            # `SELECT 1` before the request's first query) is part of every request's cost.
            close_old_connections()
            failures += request.send().status_code not in request.ok
            close_old_connections()
        web, db = time.process_time() - web_start, backend() - db_start
        if profiler:
            profiler.disable()
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text)
            stats.sort_stats("cumulative").print_stats(70)
            stats.sort_stats("tottime").print_stats(30)
            out(f"# {request.name}\n{text.getvalue()}")
        rows.append(
            {
                "name": request.name,
                "web_ms": web * 1000 / repeat,
                "db_ms": db * 1000 / repeat,
                "queries": queries,
                "failures": failures,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests measured per name")
    parser.add_argument("--only", help="comma-separated request names")
    parser.add_argument("--profile", help="request names (commas): print their cProfiles")
    parser.add_argument("--sql", help="request names (commas): print the SQL of their queries")
    parser.add_argument("--citizens", type=int, default=200)
    args = parser.parse_args()
    environment_set()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from bench import city
    from bench.cpu import cpu_model
    from bench.load import plan_build

    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"{connection.settings_dict['NAME']}_reqcpu"
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        counts = city.Counts(
            citizens=args.citizens,
            merchants=5,
            payments=args.citizens // 2,
            reports=args.citizens // 2,
            traders=20,
            orders=100,
            lots=10,
            events_per_lot=4,
            courses=3,
            enrolments=args.citizens // 2,
        )
        seeded = city.seed_city(counts=counts, prefix="reqcpu")
        plan = plan_build(seeded, citizens=args.citizens, per_role=args.citizens)
        requests = requests_for(plan)
        sessions_warm(plan)
        if args.only:
            # A name may hold a comma ("report (form, photo)"): a whole name first.
            known = {request.name for request in requests}
            names = {args.only} if args.only in known else set(args.only.split(","))
            requests = [r for r in requests if r.name in names]
        out(
            f"# CPU per request: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; "
            f"{cpu_model()} x{os.cpu_count()}; load {os.getloadavg()[0]:.1f}; "
            f"{args.repeat} of each; busanhub.settings.prod in-process (Django test client)"
        )
        rows = measure(requests, repeat=args.repeat, profile=args.profile, sql=args.sql)
        out(f"  {'request':<24} {'web ms':>7} {'db ms':>6} {'total':>6} {'queries':>7} {'fail':>4}")
        for row in rows:
            out(
                f"  {row['name']:<24} {row['web_ms']:>7.1f} {row['db_ms']:>6.1f} "
                f"{row['web_ms'] + row['db_ms']:>6.1f} {row['queries']:>7} {row['failures']:>4}"
            )
        weights = {row["name"]: MIX.get(row["name"], 0) for row in rows}
        total_weight = sum(weights.values()) or 1
        mean = sum((r["web_ms"] + r["db_ms"]) * weights[r["name"]] for r in rows) / total_weight
        dearest = max(rows, key=lambda r: r["web_ms"] + r["db_ms"])
        dearest_ms = dearest["web_ms"] + dearest["db_ms"]
        pages = [r for r in rows if r["name"].startswith("page")] or rows
        cheapest = min(pages, key=lambda r: r["web_ms"] + r["db_ms"])
        out(
            f"mix_cpu_ms={mean:.1f} cheapest_page_ms={cheapest['web_ms'] + cheapest['db_ms']:.1f} "
            f"dearest={dearest['name'].replace(' ', '_')}:{dearest_ms:.0f}"
            f" failures={sum(r['failures'] for r in rows)} load={os.getloadavg()[0]:.1f}"
        )
    finally:
        from django.db import connections

        connections.close_all()
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
