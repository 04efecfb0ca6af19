"""The pure Merkle tree, against @openzeppelin/merkle-tree (npm) byte for byte."""

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from busanhub.chain import merkle

ROOT = Path(__file__).resolve().parents[3]
OZ_SCRIPT = """
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const values = JSON.parse(require("fs").readFileSync(0, "utf8"));
const tree = StandardMerkleTree.of(values.map((v) => [v]), ["bytes32"]);
const out = { root: tree.root, proofs: {} };
for (const [i, v] of tree.entries()) out.proofs[v[0]] = tree.getProof(i);
out.tree = tree.dump().tree;
process.stdout.write(JSON.stringify(out));
"""


def digests(n: int, seed: str = "busan") -> list[str]:
    return ["0x" + hashlib.sha256(f"{seed}-{i}".encode()).hexdigest() for i in range(n)]


def openzeppelin(values: list[str]) -> dict:
    completed = subprocess.run(
        ["node", "-e", OZ_SCRIPT],
        input=json.dumps(values),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    return json.loads(completed.stdout)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 1000])
def test_root_proofs_and_layout_equal_openzeppelin(count):
    # Given n digests, when both implementations build a tree
    values = digests(count)
    ours = merkle.MerkleTree.from_values([merkle.to_bytes32(v) for v in values])
    theirs = openzeppelin(values)
    # Then the root, every node of the layout and every proof are equal
    assert merkle.to_hex(ours.root) == theirs["root"]
    assert [merkle.to_hex(node) for node in ours.nodes] == theirs["tree"]
    blob = ours.to_blob()
    for value in values:
        leaf = merkle.leaf_hash(merkle.to_bytes32(value))
        proof = [merkle.to_hex(p) for p in merkle.proof_from_blob(blob, leaf)]
        assert proof == theirs["proofs"][value]
        assert merkle.verify(
            ours.root, merkle.to_bytes32(value), merkle.proof_from_blob(blob, leaf)
        )


def test_tampered_proof_or_value_does_not_verify():
    values = [merkle.to_bytes32(v) for v in digests(5)]
    tree = merkle.MerkleTree.from_values(values)
    proof = tree.proof(values[2])
    assert merkle.verify(tree.root, values[2], proof)
    assert not merkle.verify(tree.root, values[3], proof)
    assert not merkle.verify(tree.root, values[2], [proof[0][::-1], *proof[1:]])


def test_value_not_in_tree_has_no_proof():
    tree = merkle.MerkleTree.from_values([merkle.to_bytes32(v) for v in digests(4)])
    with pytest.raises(KeyError):
        tree.proof(merkle.to_bytes32(digests(1, seed="other")[0]))


def test_empty_tree_is_refused():
    with pytest.raises(ValueError):
        merkle.MerkleTree.from_values([])


def test_blob_round_trip():
    tree = merkle.MerkleTree.from_values([merkle.to_bytes32(v) for v in digests(9)])
    again = merkle.MerkleTree.from_blob(tree.to_blob())
    assert again.nodes == tree.nodes and again.leaf_count == 9
