"""B Pass benchmark: issue and verify throughput per cryptosuite, status checks against a
131,072-entry Bitstring Status List, verify latency through the HTTP VC-API.

    .venv/bin/python bench/identity.py --quick
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub_identity \
        .venv/bin/python bench/identity.py

Runs against a throw-away database made by Django's test-database machinery (on whatever
DATABASE_URL names); removes it at the end. Prints figures only, asserts nothing about timing.
"Issue" is the whole service (schema check, status index allocation, signature, storage and
anchor leaf); "verify" is every check (structure, JSON-LD, signature, issuer, validity,
status). The last line printed is the headline:

    issue_per_s=N verify_per_s=N status_check_ms=N
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from busanhub.accounts.models import User  # noqa: E402
from identity import services, statuslist, verification  # noqa: E402
from identity.models import StatusList  # noqa: E402

SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]


def out(line: str) -> None:
    print(line, flush=True)


def issue_and_verify(holder, did: str, suite: str, count: int) -> tuple[float, float, list]:
    city = services.city_issuer()
    started = time.perf_counter()
    credentials = [
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
    issue_rate = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for credential in credentials:
        if not verification.credential_verify(credential.document).verified:
            raise SystemExit("a freshly issued credential did not verify")
    verify_rate = count / (time.perf_counter() - started)
    return issue_rate, verify_rate, credentials


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
    args = parser.parse_args()
    count = 100 if args.quick else 1_000
    runs = 200 if args.quick else 2_000
    # Never the test suite's database name: a test run in parallel keeps its own.
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(ROOT / "var" / "bench-identity-db.sqlite3")
    else:
        test["NAME"] = f"bench_identity_{connection.settings_dict['NAME']}"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        out(f"# B Pass benchmark ({'quick' if args.quick else 'full'})")
        version = connection.pg_version
        out(
            f"database: PostgreSQL {version // 10000}.{version % 10000}; "
            f"python {platform.python_version()}"
        )
        holder = User.objects.create_user(email="bench@example.kr", password="bench-password-1")
        did = services.wallet_open(user=holder).did
        rates = {}
        credentials = []
        for suite in SUITES:
            issue_rate, verify_rate, issued = issue_and_verify(holder, did, suite, count)
            rates[suite] = (issue_rate, verify_rate)
            credentials.extend(issued)
            out(
                f"{suite}: issue {issue_rate:,.1f} credentials/s, verify {verify_rate:,.1f}"
                f" credentials/s ({count} credentials)"
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
