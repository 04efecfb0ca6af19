"""A scaled synthetic Busan, seeded through the services: citizens and everything they do.

    .venv/bin/python bench/city.py --quick            # 20,000 citizens, the rest scaled down
    .venv/bin/python bench/city.py                    # 1,000,000 citizens
    .venv/bin/python bench/city.py --citizens 5000 --workers 2

Runs against a throw-away database made by Django's test-database machinery (on whatever
DATABASE_URL names), removed at the end; `bench/load.py` calls `seed_city()` on the database
of its production-like topology instead. Prints the seeding speed per kind and, last, the
headline `k=v ...`. Asserts nothing about timing; checks that each kind was created.

What is created, and by which service (nothing is inserted behind a service's back, except
the users themselves: `User` rows in bulk with an unusable password and a verified
`EmailAddress`, as sign-up leaves them after confirmation; the load test signs them in with
server-side sessions, not passwords):

- citizens: the `citizen` role; a B Pass wallet (`identity.services.wallets_open`, did:keys)
  and a `BusanResidentCredential` naming one of Busan's 16 districts
  (`identity.services.credential_issue_many`, eddsa-jcs-2022, with status entries and anchor
  leaves); a voucher wallet (`vouchers.services.wallets_open`); every wallet is topped up by
  one balanced `vouchers.services.journal_post` per chunk (a real top-up is a bank round trip:
  tests/test_services.py covers it). A chunk of CHUNK citizens is one transaction (all or
  nothing) of about 35 round trips; the chunks are dealt to --workers processes. ANALYZE
  follows (the planner's statistics would still describe empty tables), as it follows the
  traders (their exchange accounts, before their orders are planned). Within every phase,
  one worker analyses the tables that grew 4-fold after each job (`analyze_grown`: after the
  first job, at 4x, 16x...), since autovacuum, which would, is off on CI's PostgreSQL.
- merchants: `merchant_apply` + `merchant_approve`; payments: `payment_create` by random
  citizens at random merchants (residents: cashback from the incentive pool), each its own
  transaction as a citizen's payment is, in jobs of JOB over the workers.
- safety reports: `safety.services.report_create` at random points around each district's
  centre (inside the city boundary: the service refuses points outside), over the workers.
- exchange: the ETH-KRW market (`exchange.demo.seed`'s catalogue), traders with an
  `ExchangeKycCredential` (bulk wallets and `credential_issue_many`) and balances
  (`exchange.services.deposit_credit`), a chunk per transaction over the workers, then
  resting limit orders on both sides of the book (`order_place`, never crossing) placed as
  EXCHANGE_MATCHING=process places them (production's setting), each job one chunk's traders
  in one transaction over the workers; then the market's matcher drains the log
  (`markets_match`, as `manage.py exchange_matcher`) and the orders rest on the book.
- logistics: a processor, its plant and a product (the master-data services), lots
  (`lot_create`) and EPCIS ObjectEvents per lot, LOTS_PER_JOB lots' events captured in one
  document (`epcis_document_capture`: validated, hashed, anchored) over the workers; the
  events are at most a minute apart and all in the past (capture refuses the future).
- education: courses with a reading and a three-question quiz (`course_create`,
  `module_create`, `lesson_create`, `question_create`, `course_publish`), and enrolments of
  random citizens (`enrollment_create`, over the workers, a course per job and transaction:
  the service locks the course's row).

Every seeding connection commits without waiting for the WAL flush (`synchronous_commit` off:
a seed a crash interrupts is seeded again); no rule, lock or constraint is skipped. Each kind
prints its rate and its CPU (this process, the workers and their PostgreSQL backends). The
city issuer's status lists hand out 131,072 entries each; a bigger city's credentials go on
to the next lists, which B Pass opens as each fills (identity.services.status_list_open).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import multiprocessing
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHUNK = 250
TOPUP = 200_000
POOL = 10**12
GWEI_PER_ETH = 10**9
DOMAIN = "city.bench"
EPCIS_CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
# Categories without required questions: a report is a location, a category and a text.
REPORT_CATEGORIES = ["POTHOLE", "SINKHOLE", "WALL", "DUMPING", "COAST"]
STAFF_ROLES = [
    "staff-safety",
    "staff-vouchers",
    "staff-exchange",
    "staff-logistics",
    "staff-education",
]


@dataclass
class Counts:
    citizens: int = 20
    merchants: int = 3
    payments: int = 20
    reports: int = 20
    traders: int = 4
    orders: int = 20
    lots: int = 2
    events_per_lot: int = 5
    courses: int = 2
    enrolments: int = 20


QUICK = Counts(
    citizens=20_000,
    merchants=20,
    payments=1_000,
    reports=1_000,
    traders=100,
    orders=1_000,
    lots=100,
    events_per_lot=5,
    courses=10,
    enrolments=1_000,
)
FULL = Counts(
    citizens=1_000_000,
    merchants=2_000,
    payments=200_000,
    reports=100_000,
    traders=10_000,
    orders=100_000,
    lots=10_000,
    events_per_lot=10,
    courses=200,
    enrolments=100_000,
)


@dataclass
class Seeded:
    """What seed_city made: per kind (count, seconds), and the names the load test needs."""

    timings: dict[str, tuple[int, float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per kind (_cpu_seconds)
    prefix: str = "city"
    market: str = "ETH-KRW"
    merchant_codes: list[str] = field(default_factory=list)
    gtin: str = ""
    lot_codes: list[str] = field(default_factory=list)


def citizen_email(prefix: str, index: int) -> str:
    return f"{prefix}-c{index}@{DOMAIN}"


def staff_email(prefix: str, role: str) -> str:
    return f"{prefix}-{role}@{DOMAIN}"


def merchant_email(prefix: str, index: int) -> str:
    return f"{prefix}-m{index}@{DOMAIN}"


def gln(body: str) -> str:
    from logistics.epcis import identifiers

    return body + identifiers.check_digit(body)


def _cpu_seconds() -> float:
    """CPU seconds of this process, its waited-for children (the seeding workers) and their
    PostgreSQL backends (this process's own backend: bench.cpu, when the server runs here)."""
    times = os.times()
    return (
        times.user
        + times.system
        + times.children_user
        + times.children_system
        + _ended_backend_cpu[0]
        + _backend_cpu()
    )


def _backend_cpu() -> float:
    """CPU seconds of this process's PostgreSQL backend so far; 0 where /proc cannot tell."""
    from django.db import connection

    from bench.cpu import backend_cpu_reader

    seconds = backend_cpu_reader(connection)()
    return seconds if seconds == seconds else 0.0  # NaN: the server is on another machine


def _timed(seeded: Seeded, kind: str, out: Callable[[str], None]):
    class Timer:
        def __enter__(self):
            self.started = time.perf_counter()
            self.cpu = _cpu_seconds()
            return self

        def __exit__(self, *exc):
            if exc[0] is None:
                seconds = time.perf_counter() - self.started
                cpu = _cpu_seconds() - self.cpu
                seeded.timings[kind] = (self.count, seconds)
                seeded.cpu[kind] = cpu
                rate = self.count / seconds if seconds else 0.0
                per = cpu / self.count * 1000 if self.count else 0.0
                out(
                    f"seeded {kind:<11} {self.count:>9,} in {seconds:7.1f} s  {rate:9,.0f}/s"
                    f"  CPU {cpu:7.1f} s = {per:7.2f} ms each"
                )

    timer = Timer()
    timer.count = 0
    return timer


# --- the catalogue: once per city ------------------------------------------------------------


def catalogue(prefix: str) -> dict:
    """Policy, pool, safety catalogue, the exchange's market, staff logins (idempotent)."""
    from busanhub.accounts.management.commands.seed_demo import demo_user_upsert
    from exchange import demo as exchange_demo
    from safety.seed import seed_catalogue
    from vouchers import services as voucher_services
    from vouchers.models import Account

    staff = {}
    for role in STAFF_ROLES:
        staff[role] = demo_user_upsert(
            email=staff_email(prefix, role),
            name=f"City {role}",
            password=f"{prefix}-{role}-local-only",
            roles=[role],
            is_staff=True,
        )
    if voucher_services.policy_current().version == 0:
        voucher_services.policy_publish(
            by=staff["staff-vouchers"], holding_cap=10_000_000, monthly_topup_cap=10_000_000
        )
    voucher_services.treasury_fund(
        to=voucher_services.system_account(Account.Kind.INCENTIVE), amount=POOL, memo="city"
    )
    seed_catalogue()

    class Quiet:
        def write(self, text: str) -> None:
            pass

    exchange_demo.seed(stdout=Quiet(), users={})
    return staff


# --- citizens: the bulk, in worker processes -------------------------------------------------


def resident_districts() -> list[str]:
    """The district names BusanResidentCredential's schema allows (Busan's 16)."""
    schema = ROOT / "identity" / "schemas" / "BusanResidentCredential.json"
    return json.loads(schema.read_text())["properties"]["district"]["enum"]


def citizens_chunk(prefix: str, start: int, stop: int, suite: str) -> int:
    """Citizens start..stop-1 in one transaction (all or nothing): users, roles, B Pass
    wallets (`identity.services.wallets_open`), resident credentials
    (`credential_issue_many`), voucher wallets (`vouchers.services.wallets_open`), one top-up
    journal transaction for the chunk. About 20 round trips for the chunk, not per citizen."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group
    from django.db import transaction

    from busanhub.accounts.models import User
    from identity import credential_types as ct
    from identity import services as identity_services
    from vouchers import services as voucher_services
    from vouchers.models import Account

    districts = resident_districts()
    issuer = identity_services.city_issuer()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(email=citizen_email(prefix, index), name=f"Citizen {index}", password="!")
                for index in range(start, stop)
            ]
        )
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user=user, email=user.email, verified=True, primary=True)
                for user in users
            ]
        )
        Group.objects.get(name="citizen").user_set.add(*users)
        wallets = identity_services.wallets_open(users=users)
        voucher_wallets = voucher_services.wallets_open(users=users)
        # Late: from here to the commit this chunk holds the city issuer's batch lock (the
        # credentials are signed before it is taken: identity.services.credentials._store_many).
        identity_services.credential_issue_many(
            issuer=issuer,
            requests=[
                {
                    "subject_did": wallet.did,
                    "types": [ct.RESIDENT],
                    "claims": {
                        "district": districts[(start + offset) % len(districts)],
                        "residentSince": "2020-01-01",
                    },
                    "holder": user,
                }
                for offset, (user, wallet) in enumerate(zip(users, wallets, strict=True))
            ],
            cryptosuite=suite,
        )
        cash = Account.objects.filter(wallet__in=voucher_wallets, kind=Account.Kind.CASH)
        # Last: the bank's account is one row every chunk locks, held only until the commit.
        voucher_services.journal_post(
            kind="topup",
            lines=[(voucher_services.system_account(Account.Kind.BANK), -TOPUP * len(users))]
            + [(account, TOPUP) for account in cash],
            memo="city top-up",
        )
    return len(users)


def seed_session() -> None:
    """This connection's commits need not wait for the WAL flush: a seed that a crash
    interrupts is seeded again. Nothing else changes (every rule, lock and constraint holds)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")


# CPU seconds of the PostgreSQL backends that ended (the workers', and this process's before
# fan_out closed its connection), added up by fan_out; the live one is read by _cpu_seconds.
_ended_backend_cpu = [0.0]


def _worker(function: Callable, jobs: list, queue, analyzes: bool) -> None:
    from django.db import connection, connections

    from bench.cpu import backend_cpu_reader

    try:
        seed_session()
        backend_cpu = backend_cpu_reader(connection)
        started = backend_cpu()
        made = sum(_job_then_analyze(function, job, analyzes) for job in jobs)
        queue.put(("ok", made, backend_cpu() - started))
    except BaseException as exc:  # reported to the parent, which stops
        queue.put(("error", repr(exc), 0.0))
        raise
    finally:
        connections.close_all()


def fan_out(function: Callable, jobs: list, workers: int) -> int:
    """sum(function(job) for job in jobs), the jobs dealt round-robin to `workers` forked
    processes, each with its own database connection; in this process for one worker."""
    from django.db import connections

    if workers <= 1 or len(jobs) < 2:
        made = sum(_job_then_analyze(function, job, True) for job in jobs)
        analyze_grown()
        return made
    _ended_backend_cpu[0] += _backend_cpu()
    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [
        # One worker analyses (two would only wait for each other's ANALYZE of a table).
        context.Process(target=_worker, args=(function, jobs[index::workers], queue, index == 0))
        for index in range(min(workers, len(jobs)))
    ]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    seed_session()  # a new connection for this process
    # NaN where /proc cannot tell (a database on another machine): not added.
    _ended_backend_cpu[0] += sum(cpu for _status, _made, cpu in results if cpu == cpu)
    errors = [detail for status, detail, _cpu in results if status == "error"]
    if errors:
        raise SystemExit(f"a seeding worker failed: {errors[0]}")
    analyze_grown()  # what the phase's last jobs added, for the phases that read it next
    return sum(made for _status, made, _cpu in results)


def _job_then_analyze(function: Callable, job, analyzes: bool) -> int:
    made = function(job)
    if analyzes:
        analyze_grown()
    return made


def citizens_seed(*, prefix: str, count: int, workers: int, suite: str) -> int:

    from identity import services as identity_services

    chunks = [(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]
    # The city issuer's keys and status lists exist before the workers race to make them.
    identity_services.status_lists_ensure(issuer=identity_services.city_issuer())
    made = fan_out(lambda chunk: citizens_chunk(prefix, *chunk, suite), chunks, workers)
    analyze()
    return made


def analyze() -> None:
    """ANALYZE after a bulk load, as PostgreSQL's docs advise. Otherwise the planner's
    statistics still describe the tables as the migrations left them (empty), and the next
    phases' prepared statements (planned once per connection, generic plans) scan what they
    should look up by index: orders placed after the traders' 20,000 exchange accounts went in
    ran at ~80/s, and at over 1,000/s once analysed (BENCHMARKS.md, 2026-12-05, second
    session)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# A table is analysed once this many rows changed since its last ANALYZE (autovacuum's
# analyze_threshold) and it holds ANALYZE_GROWTH times the rows that ANALYZE counted.
ANALYZE_MIN_CHANGES = 50
ANALYZE_GROWTH = 4

_GROWN_SQL = (
    "SELECT format('%%I.%%I', stat.schemaname, stat.relname) "
    "FROM pg_stat_user_tables AS stat JOIN pg_class ON pg_class.oid = stat.relid "
    "WHERE stat.n_mod_since_analyze >= %s "
    "AND stat.n_live_tup >= %s * GREATEST(pg_class.reltuples, 0) "
    "ORDER BY 1"
)


def analyze_grown() -> list[str]:
    """ANALYZE the tables that have grown ANALYZE_GROWTH-fold since their last ANALYZE (or were
    never analysed), and returns their names: after a phase's first job, then at 4, 16, 64...
    times the rows, so that each phase's prepared statements are planned, and replanned
    (ANALYZE invalidates the cached plans), on statistics near the tables' real size.

    What autovacuum does on its own; it is off on this PostgreSQL (CI's configuration), and
    the city of a million slowed phase by phase as its tables grew until ANALYZE was run by
    hand (BENCHMARKS.md, 2026-12-05, second session). Only grown tables: a table whose rows
    are only updated (balances) keeps its plans. The counts are the cumulative statistics',
    which a backend publishes about once a second; this backend's own are published first
    (pg_stat_force_next_flush, PostgreSQL 15). Called in one worker after each job
    (fan_out); its cost is one read of pg_stat_user_tables when nothing has grown."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(_GROWN_SQL, [ANALYZE_MIN_CHANGES, ANALYZE_GROWTH])
        tables = [row[0] for row in cursor.fetchall()]
        if tables:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    return tables


def district_centres() -> list[tuple[float, float]]:
    """(lat, long) of a point inside each of Busan's 16 districts (the base map's label points)."""
    from busanhub import basemap

    return [(district.label[1], district.label[0]) for district in basemap.districts()]


# --- the other kinds -------------------------------------------------------------------------


def merchants_seed(*, prefix: str, count: int, staff) -> list[str]:
    from busanhub.accounts.models import User
    from busanhub.accounts.roles import role_assign
    from vouchers import services as voucher_services

    codes = []
    centres = district_centres()
    categories = ["traditional_market", "restaurant", "grocery"]
    for index in range(count):
        owner = User.objects.create_user(
            email=merchant_email(prefix, index), password=None, name=f"Merchant {index}"
        )
        role_assign(user=owner, role="merchant")
        lat, long = centres[index % len(centres)]
        shop = voucher_services.merchant_apply(
            owner=owner,
            name=f"City shop {index}",
            business_number=f"{600 + index // 100_000:03d}-{index // 1000 % 100:02d}-"
            f"{index % 100_000:05d}",
            category=categories[index % len(categories)],
            address="Busan",
            latitude=Decimal(f"{lat:.6f}"),
            longitude=Decimal(f"{long:.6f}"),
            tier="small",
            bank_account_ref=f"city-{index}",
        )
        codes.append(voucher_services.merchant_approve(merchant=shop, by=staff).code)
    return codes


# Payments, reports and enrolments go to the workers in jobs of this many (each its own
# service call and transaction, as a citizen's request would be).
JOB = 100


def jobs_of(items: list) -> list[list]:
    return [items[start : start + JOB] for start in range(0, len(items), JOB)]


def payments_job(prefix: str, job: list[tuple[int, str, int]]) -> int:
    from busanhub.accounts.models import User
    from vouchers import services as voucher_services

    emails = [citizen_email(prefix, index) for index, _code, _amount in job]
    payers = User.objects.in_bulk(emails, field_name="email")
    for (_index, code, amount), email in zip(job, emails, strict=True):
        voucher_services.payment_create(payer=payers[email], merchant_code=code, amount=amount)
    return len(job)


def payments_seed(*, prefix, count, total, codes, rng, workers: int = 1) -> int:
    draws = [
        (rng.randrange(total), rng.choice(codes), rng.randrange(10, 300) * 100)
        for _ in range(count)
    ]
    return fan_out(functools.partial(payments_job, prefix), jobs_of(draws), workers)


def reports_job(prefix: str, job: list[tuple[int, int, str, float, float]]) -> int:
    from busanhub.accounts.models import User
    from safety import services as safety_services
    from safety.models import Category

    categories = Category.objects.in_bulk(REPORT_CATEGORIES, field_name="service_code")
    emails = [citizen_email(prefix, draw[0]) for draw in job]
    reporters = User.objects.in_bulk(emails, field_name="email")
    for (_index, number, code, lat, long), email in zip(job, emails, strict=True):
        safety_services.report_create(
            category=categories[code],
            lat=lat,
            long=long,
            description=f"City report {number}: needs a look.",
            answers={},
            reporter=reporters[email],
        )
    return len(job)


def reports_seed(*, prefix, count, total, rng, workers: int = 1) -> int:
    from safety import geo

    centres = district_centres()
    draws = []
    for number in range(count):
        lat, long = rng.choice(centres)
        for _attempt in range(10):  # a point off the coast is refused: draw again
            point = (lat + rng.uniform(-0.01, 0.01), long + rng.uniform(-0.01, 0.01))
            if geo.is_in_busan(lat=point[0], long=point[1]):
                lat, long = point
                break
        draws.append((rng.randrange(total), number, rng.choice(REPORT_CATEGORIES), lat, long))
    return fan_out(functools.partial(reports_job, prefix), jobs_of(draws), workers)


def traders_job(prefix: str, job: tuple[int, int]) -> int:
    """Traders start..stop-1 (citizens already) in one transaction: B Pass wallets, an
    `ExchangeKycCredential` each (`credential_issue_many`) and their KRW and ETH deposits
    (`deposit_credit`)."""
    from django.db import transaction

    from busanhub.accounts.models import User
    from exchange import services as exchange_services
    from exchange.models import Asset
    from identity import credential_types as ct
    from identity import services as identity_services

    krw, eth = Asset.objects.get(symbol="KRW"), Asset.objects.get(symbol="ETH")
    emails = [citizen_email(prefix, index) for index in range(*job)]
    people = list(User.objects.filter(email__in=emails).order_by("pk"))
    with transaction.atomic():
        identity_services.credential_issue_many(
            issuer=identity_services.city_issuer(),
            requests=[
                {
                    "subject_did": wallet.did,
                    "types": [ct.EXCHANGE_KYC],
                    "claims": {"kycLevel": 2},
                    "holder": user,
                }
                for user, wallet in zip(
                    people, identity_services.wallets_open(users=people), strict=True
                )
            ],
            cryptosuite="eddsa-jcs-2022",
        )
        for user in people:
            exchange_services.deposit_credit(
                owner_id=user.pk, asset=krw, amount=50_000_000, kind="city", reference="city"
            )
            exchange_services.deposit_credit(
                owner_id=user.pk, asset=eth, amount=10 * GWEI_PER_ETH, kind="city", reference="city"
            )
    return len(people)


def orders_job(prefix: str, job: list[tuple[int, str, int, int]]) -> int:
    """The job's orders (trader index, side, price, quantity) by `order_place`, in one
    transaction, as EXCHANGE_MATCHING=process places them (production's setting): each order
    holds its funds and joins the market's log; the matcher takes the log afterwards
    (orders_seed). A job's traders are no other job's: no two workers lock the same
    accounts."""
    from django.db import transaction
    from django.test import override_settings

    from busanhub.accounts.models import User
    from exchange import services as exchange_services
    from exchange.models import Market

    market = Market.objects.get(symbol="ETH-KRW")
    emails = [citizen_email(prefix, index) for index in sorted({draw[0] for draw in job})]
    traders = User.objects.in_bulk(emails, field_name="email")
    with override_settings(EXCHANGE_MATCHING="process"), transaction.atomic():
        for index, side, price, quantity in job:
            exchange_services.order_place(
                user=traders[citizen_email(prefix, index)],
                market=market,
                side=side,
                price=price,
                quantity=quantity,
            )
    return len(job)


def traders_seed(*, prefix, traders, total, workers: int = 1) -> int:
    """Traders (the first `traders` citizens) with KYC and deposits, a chunk per job."""
    people = min(traders, total)
    chunks = [(start, min(start + CHUNK, people)) for start in range(0, people, CHUNK)]
    made = fan_out(functools.partial(traders_job, prefix), chunks, workers)
    analyze()  # the traders' accounts, credentials and deposits: before orders are planned
    return made


def orders_seed(*, prefix, traders, orders, total, rng, workers: int = 1) -> int:
    """`orders` resting limit orders on both sides of ETH-KRW (never crossing) by the traders
    in turn, placed in the workers, each job the orders of one chunk of traders; then the
    market's matcher drains the log (`markets_match`, as `manage.py exchange_matcher` does),
    which rests them on the book."""
    from exchange import services as exchange_services
    from exchange.models import Market

    people = min(traders, total)
    mid = 4_500_000
    by_chunk: list[list[tuple[int, str, int, int]]] = [[] for _ in range(0, people, CHUNK)]
    for index in range(orders):
        side = "buy" if index % 2 else "sell"
        ticks = rng.randrange(1, 200)
        price = mid - ticks * 1_000 if side == "buy" else mid + ticks * 1_000
        trader = index % people
        by_chunk[trader // CHUNK].append((trader, side, price, rng.randrange(2, 20) * 10**6))
    placed = fan_out(functools.partial(orders_job, prefix), by_chunk, workers)
    exchange_services.markets_match(market_pk=Market.objects.get(symbol="ETH-KRW").pk)
    return placed


# Lots and their events go to the workers in jobs of this many lots: one document each.
LOTS_PER_JOB = 50


def epcis_job(job: tuple[int, int, list[str], list[dict]]) -> int:
    """Registers the job's lots (`lot_create`) and captures their events in one EPCIS
    document (`epcis_document_capture`: validated, hashed, anchored)."""
    from logistics import services as logistics_services
    from logistics.models import Party, Product

    party_pk, product_pk, codes, events = job
    party = Party.objects.get(pk=party_pk)
    product = Product.objects.get(pk=product_pk)
    for code in codes:
        logistics_services.lot_create(product=product, lot_code=code)
    if events:
        logistics_services.epcis_document_capture(
            document={
                "@context": EPCIS_CONTEXT,
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2026-11-01T00:00:00Z",
                "epcisBody": {"eventList": events},
            },
            party=party,
        )
    return len(events)


def logistics_seed(
    *, prefix, lots, events_per_lot, rng, workers: int = 1
) -> tuple[str, list[str], int]:
    from django.utils import timezone

    from logistics import services as logistics_services
    from logistics.epcis import identifiers

    party = logistics_services.party_create(
        gln=gln("880777700001"), name="City Seafood (시티수산)", kind="processor"
    )
    location = logistics_services.location_create(
        party=party, gln=gln("880777710001"), name="City plant", kind="plant"
    )
    product = logistics_services.product_create(
        gtin=gln("0880777720001"),
        name="City mackerel",
        product_form="whole",
        storage_class="chilled",
    )
    sgln = identifiers.sgln_urn(gln=location.gln)
    codes = []
    jobs = []
    # A minute at most between events, all of them in the past (capture refuses an event in
    # the future: a city of 100,000 events from a fixed 1 November ran past today).
    when = min(
        datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        timezone.now() - datetime.timedelta(minutes=lots * events_per_lot + 60),
    )
    for number in range(lots):
        if number % LOTS_PER_JOB == 0:
            jobs.append((party.pk, product.pk, [], []))
        code = f"{prefix[:8]}-{number}"
        codes.append(code)
        jobs[-1][2].append(code)
        lgtin = identifiers.lgtin_urn(gtin=product.gtin, lot=code)
        for step in range(events_per_lot):
            when += datetime.timedelta(seconds=rng.randrange(1, 60))
            jobs[-1][3].append(
                {
                    "type": "ObjectEvent",
                    "eventTime": when.isoformat(),
                    "eventTimeZoneOffset": "+09:00",
                    "action": "OBSERVE",
                    "quantityList": [{"epcClass": lgtin, "quantity": 10 + step, "uom": "KGM"}],
                    "bizStep": "receiving" if step == 0 else "storing",
                    "readPoint": {"id": sgln},
                    "bizLocation": {"id": sgln},
                }
            )
    captured = fan_out(epcis_job, jobs, workers)
    return product.gtin, codes, captured


def courses_seed(*, prefix, count, staff) -> list:
    from django.utils import timezone

    from education import services as education_services
    from education.models import University

    university, _ = University.objects.get_or_create(
        slug="pknu", defaults={"name": "Pukyong National University", "name_ko": "부경대학교"}
    )
    today = timezone.localdate()
    courses = []
    for index in range(count):
        course = education_services.course_create(
            by=staff,
            university=university,
            code=f"{prefix[:10]}-{index}",
            title=f"City course {index}: hashing and anchoring",
            summary="Hash functions, Merkle trees and receipts, for every citizen.",
            level="beginner",
            language="ko" if index % 2 else "en",
            starts_on=today - datetime.timedelta(days=7),
            ends_on=today + datetime.timedelta(days=120),
        )
        module = education_services.module_create(course=course, by=staff, title="Basics")
        education_services.lesson_create(
            module=module, by=staff, title="Hash functions", body="A hash is a fingerprint."
        )
        quiz = education_services.lesson_create(
            module=module, by=staff, title="Quiz", kind="quiz", body="", max_attempts=1000
        )
        education_services.question_create(
            lesson=quiz,
            by=staff,
            kind="single",
            prompt="How long is a SHA-256 digest?",
            choices=[("32 bytes", True), ("16 bytes", False)],
        )
        education_services.question_create(
            lesson=quiz,
            by=staff,
            kind="multiple",
            prompt="Which are properties of a hash function?",
            choices=[("Collision resistance", True), ("Decryptable", False), ("Fast", True)],
        )
        education_services.question_create(
            lesson=quiz,
            by=staff,
            kind="numeric",
            prompt="Proof length in a balanced tree of 1,024 leaves?",
            numeric_answer=Decimal(10),
        )
        courses.append(education_services.course_publish(course=course, by=staff))
    return courses


def enrolments_job(prefix: str, job: list[tuple[int, int]]) -> int:
    """The job's enrolments, one course's (`enrollments_create`: one transaction that locks
    the course's row, so no two workers wait on one course)."""
    from busanhub.accounts.models import User
    from education import services as education_services
    from education.models import Course

    courses = Course.objects.in_bulk({course for _index, course in job})
    emails = [citizen_email(prefix, index) for index, _course in job]
    students = User.objects.in_bulk(emails, field_name="email")
    (course,) = courses.values()
    education_services.enrollments_create(
        course=course, students=[students[email] for email in emails]
    )
    return len(job)


def enrolments_seed(*, prefix, count, total, courses, rng, workers: int = 1) -> int:
    # A student drawn twice for the same course enrols once (the service refuses the second).
    draws = list(
        dict.fromkeys((rng.randrange(total), rng.choice(courses).pk) for _ in range(count))
    )
    by_course: dict[int, list[tuple[int, int]]] = {}
    for index, course in draws:
        by_course.setdefault(course, []).append((index, course))
    return fan_out(functools.partial(enrolments_job, prefix), list(by_course.values()), workers)


def seed_city(
    *,
    counts: Counts,
    prefix: str = "city",
    workers: int = 1,
    suite: str = "eddsa-jcs-2022",
    seed: int = 7,
    out: Callable[[str], None] = lambda line: None,
) -> Seeded:
    """Seeds the city through the services (see the module docstring); returns what it made."""
    rng = random.Random(seed)
    seeded = Seeded(prefix=prefix)
    seed_session()
    with _timed(seeded, "catalogue", out) as timer:
        staff = catalogue(prefix)
        timer.count = 1
    with _timed(seeded, "citizens", out) as timer:
        timer.count = citizens_seed(
            prefix=prefix, count=counts.citizens, workers=workers, suite=suite
        )
    with _timed(seeded, "merchants", out) as timer:
        seeded.merchant_codes = merchants_seed(
            prefix=prefix, count=counts.merchants, staff=staff["staff-vouchers"]
        )
        timer.count = len(seeded.merchant_codes)
    with _timed(seeded, "payments", out) as timer:
        timer.count = payments_seed(
            prefix=prefix,
            count=counts.payments,
            total=counts.citizens,
            codes=seeded.merchant_codes,
            rng=rng,
            workers=workers,
        )
    with _timed(seeded, "reports", out) as timer:
        timer.count = reports_seed(
            prefix=prefix, count=counts.reports, total=counts.citizens, rng=rng, workers=workers
        )
    with _timed(seeded, "traders", out) as timer:
        timer.count = traders_seed(
            prefix=prefix, traders=counts.traders, total=counts.citizens, workers=workers
        )
    with _timed(seeded, "orders", out) as timer:
        timer.count = orders_seed(
            prefix=prefix,
            traders=counts.traders,
            orders=counts.orders,
            total=counts.citizens,
            rng=rng,
            workers=workers,
        )
    with _timed(seeded, "epcis", out) as timer:
        seeded.gtin, seeded.lot_codes, timer.count = logistics_seed(
            prefix=prefix,
            lots=counts.lots,
            events_per_lot=counts.events_per_lot,
            rng=rng,
            workers=workers,
        )
    with _timed(seeded, "courses", out) as timer:
        courses = courses_seed(prefix=prefix, count=counts.courses, staff=staff["staff-education"])
        timer.count = len(courses)
    with _timed(seeded, "enrolments", out) as timer:
        timer.count = enrolments_seed(
            prefix=prefix,
            count=counts.enrolments,
            total=counts.citizens,
            courses=courses,
            rng=rng,
            workers=workers,
        )
    return seeded


def headline(seeded: Seeded, wall_s: float) -> str:
    def rate(kind: str) -> str:
        count, seconds = seeded.timings.get(kind, (0, 0.0))
        return f"{count / seconds:.0f}" if seconds else "0"

    def cpu_ms(kind: str) -> float:
        count = seeded.timings.get(kind, (0, 0.0))[0]
        return seeded.cpu.get(kind, 0.0) / count * 1000 if count else 0.0

    return (
        f"citizens={seeded.timings['citizens'][0]} citizens_per_s={rate('citizens')} "
        f"payments_per_s={rate('payments')} reports_per_s={rate('reports')} "
        f"orders_per_s={rate('orders')} "
        f"epcis_events_per_s={rate('epcis')} enrolments_per_s={rate('enrolments')} "
        f"citizen_cpu_ms={cpu_ms('citizens'):.2f} seed_s={wall_s:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 citizens, < 5 minutes")
    parser.add_argument("--citizens", type=int, help="override the number of citizens")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    counts = QUICK if args.quick else FULL
    if args.citizens:  # the other kinds scale with the citizens, never below Counts()'s
        scale = args.citizens / counts.citizens
        counts = Counts(
            **{
                name: max(int(value * scale), getattr(Counts(), name))
                if name != "events_per_lot"
                else value
                for name, value in counts.__dict__.items()
            }
        )
    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"bench_city_{connection.settings_dict['NAME']}"
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        version = connection.pg_version
        print(
            f"# city seeding ({'quick' if args.quick else 'full'}): "
            f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; "
            f"{platform.machine()} x{os.cpu_count()}; "
            f"load {os.getloadavg()[0]:.1f}; PostgreSQL {version // 10000}; "
            f"workers {args.workers}; {counts}",
            flush=True,
        )
        started = time.perf_counter()
        seeded = seed_city(
            counts=counts, workers=args.workers, out=lambda line: print(line, flush=True)
        )
        wall = time.perf_counter() - started
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        print(headline(seeded, wall), flush=True)
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
