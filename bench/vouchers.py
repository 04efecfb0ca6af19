"""Busan Digital Voucher benchmark: payments per second through the service layer.

    .venv/bin/python bench/vouchers.py --quick
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub_vouchers \\
        .venv/bin/python bench/vouchers.py

Runs against a throw-away database made by Django's test-database machinery (on the server
DATABASE_URL names; unset, the embedded cluster `make run` starts) and removes it at the end.
Prints figures only, asserts nothing about timing. The last line printed is the headline:

    payments_per_s=N hot_merchant_payments_per_s=N violations=N

- Each payment is `vouchers.services.payment_create` end to end (merchant and policy checks,
  wallet and account row locks in pk order, the grants/cashback/cash split, the resident
  credential check through identity.selectors, cashback within the monthly cap, one balanced
  journal transaction with its anchor leaf, the payment row), one database transaction each.
- single: first, --single payments one after the other in this process, with the queries
  (BEGIN and COMMIT included; counted on a pass of up to 100 payments of their own, since
  logging them costs Python) and the milliseconds each costs, and the CPU time of this
  process in them and in the connection's PostgreSQL backend (when the server runs on this
  machine: /proc); no lock waits: the cost of one payment; --profile prints a cProfile of
  them on stderr (BENCH_SORT=tottime to sort by own time).
- 8 worker processes (--workers), each with its own database connection; a run is timed from
  the first worker's first payment to the last worker's last one (not the forking and
  connecting).
  Each run also prints its CPU per payment: the workers' and their backends' (/proc), not the
  WAL writer's or the checkpointer's. --commit-delay N sets `commit_delay` (µs, group commit
  of concurrent commits) on the workers' sessions; the server's setting otherwise.
- Payments per worker: 2,500 (500 with --quick; --per-worker). Shorter runs mostly measure
  each worker's first payments (its connection's first statements and plans): at 75 per
  worker the rate read 20 % lower than at 500 on the same idle machine.
- spread: payers drawn at random from 1,000 topped-up wallets, paying 100 merchants (20 with
  --quick) at random.
- hot: the same payers all paying one merchant (its account is credited without a lock: a
  merchant's balance is the sum of its postings).
- A share of the payers (--residents, default 10 %) hold a BusanResidentCredential, so their
  payments earn cashback and lock one of the incentive pool's shards.
- violations, counted after each run: postings not summing to zero overall or per transaction,
  materialised balances differing from the sum of their postings, negative money-holding
  accounts, wallets whose spending differs from their payments, monthly cashback counters
  differing from the month's payments or above the cap, merchants' balances differing from
  their payments, the pool differing from its funding less the cashback, and payments
  counted by the workers but missing from the database (or the reverse).
"""

import argparse
import logging
import multiprocessing
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.test")

import django  # noqa: E402

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import F, Sum  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from bench.cpu import backend_cpu_reader  # noqa: E402
from busanhub.accounts.models import User  # noqa: E402
from vouchers import selectors, services  # noqa: E402
from vouchers.models import Account, Merchant, Payment, Wallet  # noqa: E402
from vouchers.services import periods  # noqa: E402

WALLETS = 1_000
MERCHANTS = 100
TOPUP = 500_000
POOL = 10**12


def out(line: str) -> None:
    print(line, flush=True)


def use_own_test_database() -> None:
    """Never the test suite's database name: a test run in parallel keeps its own."""
    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"bench_vouchers_{connection.settings_dict['NAME']}"


def setup(residents: float, wallets: int, merchants: int) -> tuple[list[int], list[str]]:
    from decimal import Decimal

    from identity import services as identity_services

    services.policy_publish(holding_cap=10_000_000, monthly_topup_cap=10_000_000)
    services.treasury_fund(
        to=services.system_account(Account.Kind.INCENTIVE), amount=POOL, memo="bench"
    )
    owner = User.objects.create_user(email="owner@bench.kr", password=None)
    codes = []
    for index in range(merchants):
        merchant = services.merchant_apply(
            owner=owner,
            name=f"Bench shop {index}",
            business_number=f"700-{index // 1000:02d}-{index:05d}",
            category="restaurant",
            address="Busan",
            latitude=Decimal("35.1"),
            longitude=Decimal("129.0"),
            tier="small",
            bank_account_ref=f"b-{index}",
        )
        codes.append(services.merchant_approve(merchant=merchant).code)
    issuer = identity_services.city_issuer()
    rng = random.Random(11)
    users = User.objects.bulk_create(
        [User(email=f"payer{index}@bench.kr", password="!") for index in range(wallets)]
    )
    cash_accounts = []
    for user in users:
        wallet = services.wallet_open(user=user)
        cash_accounts.append(wallet.accounts.get(kind=Account.Kind.CASH))
        if rng.random() < residents:
            identity_services.credential_issue(
                issuer=issuer,
                subject_did=identity_services.wallet_open(user=user).did,
                types=["BusanResidentCredential"],
                claims={"district": "Jung-gu", "residentSince": "2020-01-01"},
                holder=user,
            )
    # Not part of the figures: one balanced journal transaction tops every wallet up (the
    # bank gateway round trip of a real top-up is what tests/test_services.py exercises).
    services.journal_post(
        kind="topup",
        lines=[(services.system_account(Account.Kind.BANK), -TOPUP * wallets)]
        + [(account, TOPUP) for account in cash_accounts],
        memo="bench top-up",
    )
    user_pks = [user.pk for user in users]
    return user_pks, codes


def session_settings(commit_delay: int) -> None:
    """Group commit for this connection's commits (superuser only; 0: the server's setting)."""
    if commit_delay:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('commit_delay', %s, false)", [str(commit_delay)])


def worker(args) -> tuple[int, int, int, float, float, float, float]:
    seed, count, user_pks, codes, commit_delay = args
    connections.close_all()  # a fresh connection of our own in this process
    session_settings(commit_delay)
    users = {user.pk: user for user in User.objects.filter(pk__in=user_pks)}
    rng = random.Random(seed)
    done = refused = errors = 0
    backend_cpu = backend_cpu_reader(connection)
    backend_started, cpu_started = backend_cpu(), time.process_time()
    started = time.time()  # after connecting and loading the users: payments only
    for _ in range(count):
        payer = users[rng.choice(user_pks)]
        try:
            services.payment_create(
                payer=payer, merchant_code=rng.choice(codes), amount=rng.randint(100, 5_000)
            )
            done += 1
        except ValidationError:
            refused += 1
        except Exception:  # noqa: BLE001 (counted: a deadlock or a crash is a finding)
            errors += 1
    finished = time.time()
    cpu, backend = time.process_time() - cpu_started, backend_cpu() - backend_started
    connections.close_all()
    return done, refused, errors, started, finished, cpu, backend


def run(
    label: str, *, workers: int, per_worker: int, user_pks, codes, commit_delay: int = 0
) -> dict:
    before = Payment.objects.count()
    connections.close_all()  # never share the parent's connection with forked children
    context = multiprocessing.get_context("fork")
    jobs = [
        (1000 * i + len(label), per_worker, user_pks, codes, commit_delay) for i in range(workers)
    ]
    with context.Pool(workers) as pool:
        results = pool.map(worker, jobs)
    # From the first worker's first payment to the last worker's last one (forking the
    # workers, connecting and loading the payers are not payments).
    elapsed = max(r[4] for r in results) - min(r[3] for r in results)
    done = sum(r[0] for r in results)
    refused = sum(r[1] for r in results)
    errors = sum(r[2] for r in results)
    missing = abs(Payment.objects.count() - before - done)
    # CPU per payment of the whole run: the workers' and their backends' (not the WAL writer's
    # or the checkpointer's)
    cpu = sum(r[5] for r in results) / max(done, 1)
    backend = sum(r[6] for r in results) / max(done, 1)
    return {
        "cpu_ms": 1000 * cpu,
        "backend_ms": 1000 * backend,
        "label": label,
        "done": done,
        "refused": refused,
        "errors": errors,
        "elapsed": elapsed,
        "per_s": done / elapsed,
        "violations": violations() + missing + errors,
    }


def single(count: int, *, user_pks, codes, profile: bool) -> dict:
    """`count` payments in this one process, one after the other: queries and ms per payment
    (the cost of one payment without any waiting for locks), optionally under cProfile.

    The queries are counted on a pass of their own: logging them routes every statement
    through Django's cursor wrapper, which is not what a payment costs. The CPU of the timed
    pass is this process's and its PostgreSQL backend's."""
    from django.test.utils import CaptureQueriesContext

    users = {user.pk: user for user in User.objects.filter(pk__in=user_pks)}
    rng = random.Random(5)

    def pay(times: int, merchants) -> None:
        for _ in range(times):
            services.payment_create(
                payer=users[rng.choice(user_pks)],
                merchant_code=rng.choice(merchants),
                amount=rng.randint(100, 5_000),
            )

    pay(20, codes[:1])  # warm the per-process caches and the connection
    counted = min(count, 100)
    with CaptureQueriesContext(connection) as queries:
        pay(counted, codes)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    backend_cpu = backend_cpu_reader(connection)
    backend_started = backend_cpu()
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    pay(count, codes)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    backend = backend_cpu() - backend_started
    if profiler:
        import pstats

        pstats.Stats(profiler, stream=sys.stderr).sort_stats(
            os.environ.get("BENCH_SORT", "cumulative")
        ).print_stats(45)
    return {
        "queries": len(queries) / counted,
        "ms": 1000 * elapsed / count,
        "cpu_ms": 1000 * cpu / count,
        "backend_ms": 1000 * backend / count,
    }


def violations() -> int:
    totals = selectors.ledger_totals()
    count = (totals["sum"] != 0) + len(totals["mismatched"]) + totals["negative"]
    count += totals["unbalanced_transactions"]
    spent = dict(Payment.objects.values_list("wallet").annotate(total=Sum("amount")))
    cashback = dict(Payment.objects.values_list("wallet").annotate(total=Sum("cashback")))
    for wallet_pk, holdings in (
        Wallet.objects.values_list("pk").annotate(total=Sum("accounts__balance")).iterator()
    ):
        if holdings != TOPUP - spent.get(wallet_pk, 0) + cashback.get(wallet_pk, 0):
            count += 1
    # The monthly cap is enforced from a counter on each cashback account: it must equal what
    # the month's payments kept, and stay within the cap.
    month = periods.month_start()
    kept = dict(
        Payment.objects.filter(created_at__gte=month)
        .values_list("wallet")
        .annotate(total=Sum(F("cashback") - F("cashback_reversed")))
    )
    cap = services.policy_current().monthly_cashback_cap
    for wallet_pk, counter_month, earned in Account.objects.filter(kind="cashback").values_list(
        "wallet", "cashback_month", "cashback_month_earned"
    ):
        earned = earned if counter_month == month.date() else 0
        count += earned != kept.get(wallet_pk, 0) or earned > cap
    received = dict(Payment.objects.values_list("merchant").annotate(total=Sum("amount")))
    for merchant in Merchant.objects.filter(status="approved"):
        count += selectors.merchant_balance(merchant=merchant) != received.get(merchant.pk, 0)
    given = Payment.objects.aggregate(total=Sum("cashback"))["total"] or 0
    count += selectors.pool_balance() != POOL - given
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer payments (< 2 minutes)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--residents", type=float, default=0.10)
    parser.add_argument("--wallets", type=int, default=WALLETS)
    parser.add_argument("--per-worker", type=int, default=0)
    parser.add_argument(
        "--single", type=int, default=300, help="payments timed in one process first (0: none)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the single run (stderr)")
    parser.add_argument(
        "--commit-delay",
        type=int,
        default=0,
        help="the workers' sessions' commit_delay in µs (group commit; 0: the server's)",
    )
    args = parser.parse_args(argv)
    per_worker = args.per_worker or (500 if args.quick else 2_500)
    logging.getLogger("busanhub").setLevel(logging.WARNING)
    use_own_test_database()
    started = time.perf_counter()
    old_config = setup_databases(
        verbosity=0, interactive=False, keepdb=False, serialized_aliases=set()
    )
    try:
        out(
            f"# {platform.python_implementation()} {platform.python_version()}, "
            f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}, "
            f"{os.cpu_count()} CPUs, {args.workers} worker processes"
        )
        setup_started = time.perf_counter()
        merchants = 20 if args.quick else MERCHANTS
        user_pks, codes = setup(args.residents, args.wallets, merchants)
        out(
            f"setup: {args.wallets:,} wallets topped up, {merchants} merchants, "
            f"{args.residents:.0%} residents, in {time.perf_counter() - setup_started:.1f} s"
        )
        if args.single:
            one = single(args.single, user_pks=user_pks, codes=codes, profile=args.profile)
            out(
                f"single  {args.single:>7,} payments in one process: {one['queries']:.1f} "
                f"queries and {one['ms']:.2f} ms per payment; CPU per payment: "
                f"{one['cpu_ms']:.2f} ms here, {one['backend_ms']:.2f} ms in PostgreSQL's backend"
            )
        spread = run(
            "spread",
            workers=args.workers,
            per_worker=per_worker,
            user_pks=user_pks,
            codes=codes,
            commit_delay=args.commit_delay,
        )
        hot = run(
            "hot",
            workers=args.workers,
            per_worker=per_worker,
            user_pks=user_pks,
            codes=codes[:1],
            commit_delay=args.commit_delay,
        )
        for figures in (spread, hot):
            out(
                f"{figures['label']:<7} {figures['done']:>7,} payments in "
                f"{figures['elapsed']:.1f} s = {figures['per_s']:>7.1f}/s  "
                f"(refused {figures['refused']}, errors {figures['errors']}, "
                f"violations {figures['violations']}); CPU per payment "
                f"{figures['cpu_ms']:.2f} ms in the workers + {figures['backend_ms']:.2f} ms "
                f"in their backends, load {os.getloadavg()[0]:.1f}"
            )
    finally:
        connections.close_all()
        teardown_databases(old_config, verbosity=0)
    out(f"elapsed {time.perf_counter() - started:.1f} s")
    out(
        f"payments_per_s={spread['per_s']:.0f} hot_merchant_payments_per_s={hot['per_s']:.0f} "
        f"violations={spread['violations'] + hot['violations']}"
    )


if __name__ == "__main__":
    main()
