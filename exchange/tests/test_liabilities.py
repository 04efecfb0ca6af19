import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from busanhub.chain import testing as chain_testing
from exchange import services, sumtree
from exchange.tests.factories import ETH


@given(st.lists(st.lists(st.integers(0, 10**12), min_size=2, max_size=2), max_size=40))
def test_sum_tree_root_sums_are_the_totals_and_every_proof_checks(balances):
    leaves = [sumtree.leaf(f"s{n}", f"a{n}", b) for n, b in enumerate(balances)]
    levels = sumtree.build(leaves, 2)
    root = levels[-1][0]
    assert list(root.sums) == [sum(b[0] for b in balances), sum(b[1] for b in balances)]
    for n, b in enumerate(balances):
        document = {
            "type": sumtree.PROOF_TYPE,
            "assets": ["A", "B"],
            "account": {"id": f"a{n}", "salt": f"s{n}", "balances": {"A": b[0], "B": b[1]}},
            "path": sumtree.proof(levels, n),
            "root": root.hash,
            "totals": {"A": root.sums[0], "B": root.sums[1]},
        }
        assert sumtree.verify(document) == []


def test_a_changed_balance_or_total_fails():
    leaves = [sumtree.leaf("s", "a", [5, 1]), sumtree.leaf("t", "b", [7, 0])]
    levels = sumtree.build(leaves, 2)
    document = {
        "type": sumtree.PROOF_TYPE,
        "assets": ["A", "B"],
        "account": {"id": "a", "salt": "s", "balances": {"A": "4", "B": "1"}},
        "path": sumtree.proof(levels, 0),
        "root": levels[-1][0].hash,
        "totals": {"A": "12", "B": "1"},
    }
    assert sumtree.verify(document) == [
        "the path does not lead to the published root",
        "the root's sums differ from the published totals",
    ]
    with pytest.raises(ValueError):
        sumtree.leaf("s", "a", [-1, 0])


def test_snapshot_proof_is_anchored_and_checks_with_the_command(
    chain, market, alice, bob, fund, tmp_path
):
    # Given two customers with balances
    fund(alice, market, krw=1_000_000, eth=ETH)
    fund(bob, market, krw=250_000)
    # When the exchange snapshots its liabilities and the root is anchored
    snapshot = services.liabilities_snapshot()
    assert snapshot.totals == {"ETH": str(ETH), "KRW": "1250000"}
    assert set(snapshot.reserves) == {"ETH"}
    chain_testing.anchor_pending()
    # Then Alice's proof shows her balances, leads to the root and carries the receipt
    proof = services.liability_proof(snapshot=snapshot, user=alice)
    assert proof["account"]["balances"] == {"ETH": str(ETH), "KRW": "1000000"}
    assert sumtree.verify(proof) == []
    assert proof["anchorReceipt"]["envelope"]["data"]["root"] == snapshot.root
    # And the stand-alone command checks it against the node
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    done = subprocess.run(
        [sys.executable, "-m", "exchange.sumtree", str(path), "--rpc", chain.url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"VALID: your balances are included in root {snapshot.root}")
    # And a tampered proof is refused
    proof["account"]["balances"]["KRW"] = "2000000"
    path.write_text(json.dumps(proof))
    done = subprocess.run(
        [sys.executable, "-m", "exchange.sumtree", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "INVALID: the path does not lead to the published root" in done.stdout
