"""Education benchmark: issue one course run's batch of certificates (OpenBadgeCredential signed
with the university's did:web key, a status list entry each, every credential anchored plus the
batch), then seal, send and confirm the anchors on a fresh anvil.

    .venv/bin/python bench/education.py --quick          # 1,000 certificates, the app's suite
    .venv/bin/python bench/education.py                  # 1,000 with each cryptosuite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub_education \
        .venv/bin/python bench/education.py --quick

Runs against a throw-away database made by Django's test-database machinery (on whatever
DATABASE_URL names) and a fresh anvil; removes both at the end. Prints figures, asserts nothing
about timing; it checks that a sample of the certificates verifies and that every anchor is
confirmed. The last line printed is the headline (eddsa-rdfc-2022, what the app issues):

    certificates_per_s=N
"""

import argparse
import datetime
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from busanhub.accounts.models import User  # noqa: E402
from busanhub.chain import services as chain_services  # noqa: E402
from busanhub.chain.devnode import Anvil  # noqa: E402
from busanhub.chain.models import AnchorLeaf  # noqa: E402
from education import services  # noqa: E402
from education.models import Certificate, Course, Enrollment, University  # noqa: E402
from identity import selectors as identity_selectors  # noqa: E402


def out(line: str) -> None:
    print(line, flush=True)


def prepare(count: int, code: str) -> Course:
    """A course run with `count` completed enrollments waiting for their certificates."""
    university, _ = University.objects.get_or_create(
        slug="pknu", defaults={"name": "Pukyong National University"}
    )
    today = timezone.localdate()
    course = Course.objects.create(
        university=university,
        code=code,
        title=f"Blockchain foundations {code}",
        summary="Hashing, Merkle trees, anchoring.",
        level="beginner",
        language="en",
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today,
        is_published=True,
    )
    users = User.objects.bulk_create(
        [User(email=f"{code}-{i}@example.kr", password="!") for i in range(count)]
    )
    enrollments = Enrollment.objects.bulk_create(
        [
            Enrollment(course=course, student=user, status="completed", completed_at=timezone.now())
            for user in users
        ]
    )
    Certificate.objects.bulk_create([Certificate(enrollment=e) for e in enrollments])
    return course


def run(count: int, suite: str, code: str) -> float:
    course = prepare(count, code)
    started = time.perf_counter()
    issued = services.certificates_issue(course=course, cryptosuite=suite)
    issue_s = time.perf_counter() - started
    anchor_started = time.perf_counter()
    while chain_services.batches_seal_all():
        pass
    chain_services.batches_submit()
    chain_services.batches_confirm()
    anchor_s = time.perf_counter() - anchor_started
    total = time.perf_counter() - started
    if len(issued) != count:
        raise SystemExit(f"issued {len(issued)} of {count}")
    pending = AnchorLeaf.objects.filter(batch__isnull=True).count()
    unconfirmed = AnchorLeaf.objects.exclude(batch__status="confirmed").count()
    if pending or unconfirmed:
        raise SystemExit(f"{pending} leaves unsealed, {unconfirmed} not confirmed")
    for certificate in random.Random(1).sample(issued, 5):
        certificate.refresh_from_db()
        if not identity_selectors.credential_verification(certificate.credential.document)[
            "verified"
        ]:
            raise SystemExit("an issued certificate does not verify")
    out(
        f"{suite:16s} certificates={count} issue_s={issue_s:.2f} "
        f"({count / issue_s:.1f}/s) anchor_s={anchor_s:.2f} wall_s={total:.2f} "
        f"certificates_per_s={count / total:.1f}"
    )
    return count / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one cryptosuite, under two minutes")
    parser.add_argument("--count", type=int, default=1_000)
    args = parser.parse_args()
    suites = ["eddsa-rdfc-2022"] if args.quick else ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
    node = Anvil().start()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        settings.CHAIN_RPC_URL = node.url
        settings.CHAIN_CONFIRMATIONS = 1
        chain_services.deployment_create()
        out(f"# education benchmark ({'quick' if args.quick else 'full'})")
        out(
            f"date {timezone.now():%Y-%m-%d}; {platform.processor() or platform.machine()} "
            f"x{os.cpu_count()}; python {platform.python_version()}; django {django.__version__}; "
            f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}; "
            f"anvil {node.url}"
        )
        out(
            "issue = certificates_issue (wallet, OpenBadgeCredential, status entry, signature, "
            "credential + batch anchor leaves); anchor = seal + submit + confirm"
        )
        rates = [run(args.count, suite, f"run{i}") for i, suite in enumerate(suites)]
        out(f"certificates_per_s={rates[0]:.1f}")
    finally:
        teardown_databases(old_config, verbosity=0)
        node.stop()


if __name__ == "__main__":
    main()
