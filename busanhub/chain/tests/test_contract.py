"""BusanAnchor on a real anvil: its interface (docs/architecture.md), and a fresh compile."""

import subprocess
from pathlib import Path

import pytest
from eth_account import Account
from web3.exceptions import ContractCustomError

from busanhub.chain import merkle, node
from busanhub.chain.tests.test_merkle import digests

ROOT = Path(__file__).resolve().parents[3]
OTHER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil #1


def test_committed_artifact_matches_a_fresh_compile():
    completed = subprocess.run(
        ["node", "scripts/compile-contracts.mjs", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr


def test_interface_is_exactly_the_designed_one():
    functions = {
        (item["name"], tuple(i["type"] for i in item["inputs"]))
        for item in node.artifact()["abi"]
        if item["type"] == "function"
    }
    assert {
        ("anchor", ("bytes32", "uint256")),
        ("anchoredAt", ("bytes32",)),
        ("verify", ("bytes32[]", "bytes32", "bytes32")),
        ("grantAnchorer", ("address",)),
        ("revokeAnchorer", ("address",)),
    } <= functions
    event = next(i for i in node.artifact()["abi"] if i.get("name") == "Anchored")
    assert [(i["name"], i["type"], i["indexed"]) for i in event["inputs"]] == [
        ("root", "bytes32", True),
        ("leafCount", "uint256", False),
        ("anchorer", "address", True),
    ]


def _send(w3, account, call):
    tx = call.build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)


def test_anchor_once_verify_and_roles(chain):
    w3 = node.web3()
    owner = node.signer()
    other = Account.from_key(OTHER_KEY)
    contract = node.contract(w3, chain.deployment.address)
    values = [merkle.to_bytes32(v) for v in digests(7)]
    tree = merkle.MerkleTree.from_values(values)

    # A root not anchored is unknown, and verify says false even with a good proof.
    assert contract.functions.anchoredAt(tree.root).call() == 0
    assert contract.functions.verify(tree.proof(values[0]), tree.root, values[0]).call() is False

    receipt = _send(w3, owner, contract.functions.anchor(tree.root, 7))
    assert receipt["status"] == 1
    event = contract.events.Anchored().process_receipt(receipt)[0]["args"]
    assert (event["root"], event["leafCount"], event["anchorer"]) == (tree.root, 7, owner.address)
    stamp = w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert contract.functions.anchoredAt(tree.root).call() == stamp
    # Our proofs are accepted by OpenZeppelin's MerkleProof on chain, every one of them.
    for value in values:
        assert contract.functions.verify(tree.proof(value), tree.root, value).call() is True
    assert contract.functions.verify(tree.proof(values[0]), tree.root, values[1]).call() is False

    # A root anchors once.
    with pytest.raises(ContractCustomError):
        contract.functions.anchor(tree.root, 7).estimate_gas({"from": owner.address})
    # Only anchorers anchor; only the owner grants and revokes.
    other_root = merkle.MerkleTree.from_values(values[:3]).root
    with pytest.raises(ContractCustomError):
        contract.functions.anchor(other_root, 3).estimate_gas({"from": other.address})
    with pytest.raises(ContractCustomError):
        contract.functions.grantAnchorer(other.address).estimate_gas({"from": other.address})
    _send(w3, owner, contract.functions.grantAnchorer(other.address))
    assert _send(w3, other, contract.functions.anchor(other_root, 3))["status"] == 1
    _send(w3, owner, contract.functions.revokeAnchorer(other.address))
    with pytest.raises(ContractCustomError):
        contract.functions.anchor(b"\x01" * 32, 1).estimate_gas({"from": other.address})
