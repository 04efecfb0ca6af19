"""Anchoring benchmark: seal throughput, receipts and verification, gas per anchored record.

    .venv/bin/python bench/anchoring.py --quick
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub .venv/bin/python bench/anchoring.py

Runs against a throw-away database made by Django's test-database machinery (on whatever
DATABASE_URL names) and a fresh anvil node; removes both at the end. Prints figures only, it
asserts nothing about timing. The last line printed is the headline:

    seal_leaves_per_s=N verify_offline_ms=N.NNNN gas_per_record_10k=N
"""

import argparse
import datetime as dt
import hashlib
import json
import logging
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

from bench.cpu import cpu_model  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from busanhub.chain import merkle, services, verify  # noqa: E402
from busanhub.chain.devnode import Anvil  # noqa: E402
from busanhub.chain.models import AnchorBatch, AnchorLeaf  # noqa: E402

FULL_SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [10_000, 100_000]
KIND = "bench.leaf"
INSERT_CHUNK = 10_000
RECEIPT_BATCH = 10_000
RECEIPT_SAMPLES = 200
LARGE_RECEIPT_SAMPLES = 20
OFFLINE_RUNS = 1_000
ON_CHAIN_RUNS = 50
GAS_SIZES = [1, 100, 10_000]


def out(line: str = "") -> None:
    print(line, flush=True)


# --- data -------------------------------------------------------------------------------------


def envelope_of(tag: str, i: int) -> tuple[dict, str]:
    """A small valid envelope and its digest, sha256(JCS(envelope)).

    For these flat ASCII/integer envelopes JCS is exactly json.dumps with sorted keys and no
    spaces, so the digest is computed with hashlib alone (the pure-Python JCS would dominate
    the set-up time of a million rows); `check_digests` confirms the equality once per run.
    """
    envelope = {"kind": KIND, "ref": f"{tag}{i}", "version": 1, "data": {"i": i}}
    text = json.dumps(envelope, sort_keys=True, separators=(",", ":"))
    return envelope, "0x" + hashlib.sha256(text.encode()).hexdigest()


def check_digests() -> None:
    from busanhub.chain import canonical

    for i in (0, 7, 123_456):
        envelope, digest = envelope_of("check", i)
        if canonical.envelope_digest(envelope) != digest:
            raise RuntimeError("benchmark envelopes are not hashed as JCS would hash them")


def insert_leaves(tag: str, count: int, *, public: bool = False) -> list[str]:
    """Bulk-inserts `count` pending leaves; returns their digests."""
    digests = []
    with transaction.atomic():
        for start in range(0, count, INSERT_CHUNK):
            rows = []
            for i in range(start, min(start + INSERT_CHUNK, count)):
                envelope, digest = envelope_of(tag, i)
                digests.append(digest)
                rows.append(
                    AnchorLeaf(
                        kind=KIND,
                        ref=envelope["ref"],
                        version=1,
                        digest=digest,
                        envelope=envelope,
                        is_public=public,
                    )
                )
            AnchorLeaf.objects.bulk_create(rows, batch_size=2_000)
    return digests


def delete_all() -> None:
    AnchorLeaf.objects.all().delete()
    AnchorBatch.objects.all().delete()


def anchor_pending(limit: int) -> AnchorBatch:
    """Seal one batch of everything pending, send it and confirm it (anvil mines at once)."""
    batch = services.batch_seal(limit=limit)
    services.batches_submit()
    for _ in range(100):
        services.batches_confirm()
        batch.refresh_from_db()
        if batch.status == AnchorBatch.Status.CONFIRMED:
            return batch
        time.sleep(0.05)
    raise RuntimeError(f"batch {batch.pk} was not confirmed")


# --- sections ---------------------------------------------------------------------------------


def bench_seal(sizes: list[int]) -> dict[int, dict]:
    out("== seal throughput (batch_seal(limit=N): one batch of N leaves) ==")
    out(
        f"{'leaves':>10} {'insert s':>9} {'seal s':>8} {'leaves/s':>10} "
        f"{'tree s':>8} {'tree %':>7} {'db+rest s':>10} {'tree MB':>8}"
    )
    figures = {}
    for n in sizes:
        delete_all()
        started = time.perf_counter()
        digests = insert_leaves(f"s{n}-", n)
        insert_s = time.perf_counter() - started

        started = time.perf_counter()
        batch = services.batch_seal(limit=n)
        seal_s = time.perf_counter() - started
        if batch is None or batch.leaf_count != n:
            raise RuntimeError(f"expected one batch of {n} leaves, got {batch}")

        values = [bytes.fromhex(d[2:]) for d in digests]
        started = time.perf_counter()
        tree = merkle.MerkleTree.from_values(values)
        tree_s = time.perf_counter() - started
        if merkle.to_hex(tree.root) != batch.root:
            raise RuntimeError("the benchmark's tree and the sealed tree differ")
        del values, tree

        figures[n] = {"seal_s": seal_s, "tree_s": tree_s, "per_s": n / seal_s}
        if n == max(sizes):  # how receipts scale with the size of the batch's stored tree
            services.batches_submit()
            services.batches_confirm()
            sample = digests[:: max(n // LARGE_RECEIPT_SAMPLES, 1)][:LARGE_RECEIPT_SAMPLES]
            figures[n]["receipt_ms"] = mean_ms(services.receipt_for, sample)
        out(
            f"{n:>10,} {insert_s:>9.2f} {seal_s:>8.2f} {n / seal_s:>10,.0f} "
            f"{tree_s:>8.2f} {100 * tree_s / seal_s:>6.0f}% {seal_s - tree_s:>10.2f} "
            f"{(2 * n - 1) * 32 / 1e6:>8.1f}"
        )
        del digests
    largest = max(sizes)
    out(
        f"receipt_for on the {largest:,}-leaf batch, mean of {LARGE_RECEIPT_SAMPLES}: "
        f"{figures[largest]['receipt_ms']:.3f} ms"
    )
    delete_all()
    out()
    return figures


def mean_ms(fn, items) -> float:
    """Mean wall time of fn(item) over items, in ms, after a few untimed warm-up calls."""
    for item in items[:3]:
        fn(item)
    times = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.fmean(times)


def bench_receipts(w3) -> dict:
    out(f"== receipts and verification (one confirmed batch of {RECEIPT_BATCH:,}) ==")
    delete_all()
    digests = insert_leaves("r-", RECEIPT_BATCH)
    batch = anchor_pending(RECEIPT_BATCH)
    step = max(len(digests) // RECEIPT_SAMPLES, 1)
    sample = digests[::step][:RECEIPT_SAMPLES]

    receipt_ms = mean_ms(services.receipt_for, sample)
    receipt_env_ms = mean_ms(lambda d: services.receipt_for(d, include_envelope=True), sample)

    receipt = services.receipt_for(sample[len(sample) // 2])
    with_envelope = services.receipt_for(sample[len(sample) // 2], include_envelope=True)
    for r in (receipt, with_envelope):
        if not verify.verify_offline(r).ok or not verify.verify_on_chain(r, w3).ok:
            raise RuntimeError(f"a benchmark receipt does not verify: {r}")

    offline_ms = mean_ms(verify.verify_offline, [receipt] * OFFLINE_RUNS)
    offline_env_ms = mean_ms(verify.verify_offline, [with_envelope] * OFFLINE_RUNS)
    on_chain_ms = mean_ms(lambda r: verify.verify_on_chain(r, w3), [receipt] * ON_CHAIN_RUNS)

    out(f"proof length                               {len(receipt['proof']):>10} nodes")
    out(f"receipt_for(digest), mean of {len(sample)}            {receipt_ms:>10.3f} ms")
    out(f"receipt_for(digest, include_envelope=True)  {receipt_env_ms:>10.3f} ms")
    out(f"verify_offline, digest only, mean of {OFFLINE_RUNS}  {offline_ms:>10.4f} ms")
    out(f"verify_offline, with envelope (JCS+sha256)  {offline_env_ms:>10.4f} ms")
    out(f"verify_on_chain, mean of {ON_CHAIN_RUNS}                {on_chain_ms:>10.3f} ms")
    out()
    return {
        "batch": batch,
        "receipt_ms": receipt_ms,
        "offline_ms": offline_ms,
        "offline_env_ms": offline_env_ms,
        "on_chain_ms": on_chain_ms,
    }


def bench_gas() -> dict[int, float]:
    out("== gas per anchored record (one anchor(root, leafCount) transaction per batch) ==")
    out(f"{'leaves':>10} {'gas used':>10} {'gas/record':>11}")
    figures = {}
    for n in GAS_SIZES:
        delete_all()
        insert_leaves(f"g{n}-", n)
        batch = anchor_pending(n)
        if batch.leaf_count != n:
            raise RuntimeError(f"expected a batch of {n} leaves, got {batch.leaf_count}")
        figures[n] = batch.gas_used / batch.leaf_count
        out(f"{n:>10,} {batch.gas_used:>10,} {figures[n]:>11.2f}")
    delete_all()
    out()
    return figures


# --- machine ----------------------------------------------------------------------------------


def database_description() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def print_machine(node_url: str) -> None:
    uname = platform.uname()
    try:
        import sha3  # noqa: F401

        keccak = "C (sha3 module)"
    except ImportError:
        keccak = "eth-hash fallback"
    out("== machine ==")
    out(f"date        {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC")
    out(f"cpu         {cpu_model()} ({os.cpu_count()} CPUs)")
    out(f"system      {uname.system} {uname.release} {uname.machine}")
    out(f"python      {platform.python_version()} ({platform.python_implementation()})")
    out(f"django      {django.get_version()}")
    out(f"database    {database_description()} ({connection.settings_dict['NAME']})")
    out(f"keccak      {keccak}")
    out(f"node        anvil at {node_url}")
    out()


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"seal sizes {QUICK_SIZES} instead of {FULL_SIZES}"
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(s.replace("_", "")) for s in text.split(",") if s],
        help="comma-separated seal sizes, e.g. 10000,50000 (overrides --quick)",
    )
    return parser.parse_args(argv)


def use_own_test_database() -> None:
    """Never the test suite's database name: a test run in parallel keeps its own."""
    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"bench_{connection.settings_dict['NAME']}"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    started = time.perf_counter()
    logging.getLogger("busanhub").setLevel(logging.WARNING)  # figures only on the output
    check_digests()
    use_own_test_database()
    # serialized_aliases=set(): no copy of the fresh database's content for TransactionTestCase.
    old_config = setup_databases(
        verbosity=0, interactive=False, keepdb=False, serialized_aliases=set()
    )
    node = Anvil().start()
    try:
        settings.CHAIN_RPC_URL = node.url
        settings.CHAIN_CONFIRMATIONS = 1
        print_machine(node.url)
        services.deployment_create()
        w3 = services.batches.node.web3()

        seal = bench_seal(sizes)
        receipts = bench_receipts(w3)
        gas = bench_gas()
    finally:
        node.stop()
        teardown_databases(old_config, verbosity=0)

    largest = max(seal)
    out("== summary ==")
    for n, figure in seal.items():
        out(f"seal {n:>10,} leaves   {figure['per_s']:>12,.0f} leaves/s (target >= 20,000)")
    out(f"verify_offline          {receipts['offline_env_ms']:>12.4f} ms (target < 1 ms)")
    out(f"gas per record at 10k   {gas[10_000]:>12.2f} (target < 10)")
    out(f"total run time          {time.perf_counter() - started:>12.1f} s")
    # The headline, last: seal rate at the largest size, verification with the envelope.
    out(
        f"seal_leaves_per_s={seal[largest]['per_s']:.0f} "
        f"verify_offline_ms={receipts['offline_env_ms']:.4f} "
        f"gas_per_record_10k={gas[10_000]:.0f}"
    )


if __name__ == "__main__":
    main()
