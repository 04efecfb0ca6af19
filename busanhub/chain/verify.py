"""Verify a BusanAnchorReceipt without trusting the portal — and without Django.

    python -m busanhub.chain.verify receipt.json --rpc https://node.example

needs only web3 (and rfc8785, a small pure-Python package, to recompute the digest of an
envelope). It checks, step by step: the envelope's digest, the leaf, the Merkle proof, and
that the root is anchored by the contract in the stated block on the chain the RPC node serves.
Exit status 0 when every step holds, 1 when one fails (the failing step is named), 2 on usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from busanhub.chain import merkle

if TYPE_CHECKING:  # web3 is imported only by the on-chain steps
    from _typeshed import SupportsWrite
    from web3 import Web3

HEX32 = re.compile(r"^0x[0-9a-f]{64}$")
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")

# The part of BusanAnchor's ABI a verifier needs.
VERIFY_ABI = [
    {
        "type": "function",
        "name": "anchoredAt",
        "stateMutability": "view",
        "inputs": [{"name": "root", "type": "bytes32"}],
        "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function",
        "name": "verify",
        "stateMutability": "view",
        "inputs": [
            {"name": "proof", "type": "bytes32[]"},
            {"name": "root", "type": "bytes32"},
            {"name": "digest", "type": "bytes32"},
        ],
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "event",
        "name": "Anchored",
        "anonymous": False,
        "inputs": [
            {"name": "root", "type": "bytes32", "indexed": True},
            {"name": "leafCount", "type": "uint256", "indexed": False},
            {"name": "anchorer", "type": "address", "indexed": True},
        ],
    },
]


@dataclass
class Step:
    name: str
    ok: bool | None  # None: not checked (no data to check against)
    detail: str


@dataclass
class Result:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok is not False for step in self.steps)

    @property
    def failed_step(self) -> Step | None:
        return next((step for step in self.steps if step.ok is False), None)

    def add(self, name: str, ok: bool | None, detail: str) -> bool:
        self.steps.append(Step(name, ok, detail))
        return ok is not False

    def as_dict(self) -> dict:
        return {
            "valid": self.ok,
            "steps": [{"name": s.name, "ok": s.ok, "detail": s.detail} for s in self.steps],
        }


def _check_format(receipt: dict) -> str | None:
    if not isinstance(receipt, dict) or receipt.get("type") != "BusanAnchorReceipt":
        return "not a BusanAnchorReceipt (type)"
    if receipt.get("version") != 1:
        return "unsupported receipt version"
    for key in ("digest", "leaf", "root"):
        if not isinstance(receipt.get(key), str) or not HEX32.match(receipt[key]):
            return f"{key} is not 0x + 64 lower-case hex digits"
    proof = receipt.get("proof")
    if not isinstance(proof, list) or not all(isinstance(p, str) and HEX32.match(p) for p in proof):
        return "proof is not a list of 0x + 64 hex digits"
    anchor = receipt.get("anchor")
    if not isinstance(anchor, dict):
        return "anchor is missing"
    if not isinstance(anchor.get("contract"), str) or not ADDRESS.match(anchor["contract"]):
        return "anchor.contract is not an address"
    if not isinstance(anchor.get("txHash"), str) or not HEX32.match(anchor["txHash"].lower()):
        return "anchor.txHash is not a transaction hash"
    for key in ("chainId", "blockNumber"):
        if not isinstance(anchor.get(key), int) or isinstance(anchor.get(key), bool):
            return f"anchor.{key} is not an integer"
    record = receipt.get("record")
    if not isinstance(record, dict) or not {"kind", "ref", "version"} <= record.keys():
        return "record (kind, ref, version) is missing"
    return None


def verify_offline(receipt: dict) -> Result:
    """Steps that need no node: format, envelope digest, leaf, proof → root."""
    result = Result()
    problem = _check_format(receipt)
    if not result.add("format", problem is None, problem or "a BusanAnchorReceipt, version 1"):
        return result
    envelope = receipt.get("envelope")
    if envelope is None:
        result.add("envelope", None, "the record's data is not public; the digest stands alone")
    else:
        from busanhub.chain import canonical

        envelope_digest = "0x" + hashlib.sha256(canonical.canonicalize(envelope)).hexdigest()
        same_record = all(
            envelope.get(k) == receipt["record"][k] for k in ("kind", "ref", "version")
        )
        ok = envelope_digest == receipt["digest"] and same_record
        result.add(
            "envelope",
            ok,
            "sha256(JCS(envelope)) equals the digest"
            if ok
            else f"the envelope hashes to {envelope_digest}, not {receipt['digest']}"
            if envelope_digest != receipt["digest"]
            else "the envelope names another record than the receipt",
        )
    digest = merkle.to_bytes32(receipt["digest"])
    leaf = merkle.leaf_hash(digest)
    if not result.add(
        "leaf",
        merkle.to_hex(leaf) == receipt["leaf"],
        "keccak256(keccak256(digest)) equals the leaf"
        if merkle.to_hex(leaf) == receipt["leaf"]
        else f"keccak256(keccak256(digest)) is {merkle.to_hex(leaf)}, not the leaf",
    ):
        return result
    root = merkle.process_proof(leaf, [merkle.to_bytes32(p) for p in receipt["proof"]])
    result.add(
        "proof",
        merkle.to_hex(root) == receipt["root"],
        f"the {len(receipt['proof'])}-step proof leads from the leaf to the root"
        if merkle.to_hex(root) == receipt["root"]
        else f"the proof leads to {merkle.to_hex(root)}, not to the root",
    )
    return result


def verify_on_chain(receipt: dict, w3: Web3, result: Result | None = None) -> Result:
    """Offline steps, then: chain id, root anchored by the contract, the block and its event."""
    from web3 import Web3
    from web3.exceptions import BadFunctionCallOutput, TransactionNotFound

    result = result or verify_offline(receipt)
    if not result.ok:
        return result
    anchor = receipt["anchor"]
    chain_id = w3.eth.chain_id
    if not result.add("chain", chain_id == anchor["chainId"], f"the node serves chain {chain_id}"):
        return result
    address = Web3.to_checksum_address(anchor["contract"])
    contract = w3.eth.contract(address=address, abi=VERIFY_ABI)
    root = merkle.to_bytes32(receipt["root"])
    try:
        anchored_at = contract.functions.anchoredAt(root).call()
    except BadFunctionCallOutput:  # no contract (or not a BusanAnchor) at that address
        result.add("anchored", False, f"there is no BusanAnchor contract at {address}")
        return result
    if not result.add(
        "anchored",
        anchored_at > 0,
        f"contract {address} anchored the root at "
        f"{datetime.fromtimestamp(anchored_at, tz=UTC):%Y-%m-%d %H:%M:%S} UTC"
        if anchored_at
        else f"contract {address} has not anchored this root",
    ):
        return result
    proof = [merkle.to_bytes32(p) for p in receipt["proof"]]
    on_chain = contract.functions.verify(proof, root, merkle.to_bytes32(receipt["digest"])).call()
    if not result.add(
        "contract-verify", on_chain, "the contract's verify(proof, root, digest) returns true"
    ):
        return result
    try:
        tx_receipt = w3.eth.get_transaction_receipt(anchor["txHash"])
    except TransactionNotFound:
        tx_receipt = None
    block_hash = "0x" + bytes(tx_receipt["blockHash"]).hex() if tx_receipt else None
    events = contract.events.Anchored().process_receipt(tx_receipt) if tx_receipt else []
    ok = (
        tx_receipt is not None
        and tx_receipt["blockNumber"] == anchor["blockNumber"]
        and block_hash == str(anchor.get("blockHash", "")).lower()
        and any(bytes(e["args"]["root"]) == root for e in events)
    )
    result.add(
        "block",
        ok,
        f"transaction {anchor['txHash']} in block {anchor['blockNumber']} emitted Anchored(root)"
        if ok
        else "the transaction, its block or its Anchored event does not match the receipt",
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a BusanAnchorReceipt against a chain.")
    parser.add_argument("file", help="receipt JSON file ('-' for standard input)")
    parser.add_argument("--rpc", required=True, help="JSON-RPC URL of any node of the chain")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as handle:
                text = handle.read()
        receipt = json.loads(text)
    except (OSError, ValueError) as exc:
        print(f"cannot read the receipt: {exc}", file=sys.stderr)
        return 2
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(args.rpc, request_kwargs={"timeout": 10}))
    try:
        result = verify_on_chain(receipt, w3)
    except Exception as exc:  # the node is down or answered nonsense: say so, exit 1
        result = verify_offline(receipt)
        result.add("chain", False, f"the node could not be asked: {type(exc).__name__}: {exc}")
    print_result(result, as_json=args.json)
    return 0 if result.ok else 1


def print_result(
    result: Result, *, as_json: bool = False, out: SupportsWrite[str] | None = None
) -> None:
    out = out or sys.stdout
    if as_json:
        out.write(json.dumps(result.as_dict(), indent=2) + "\n")
        return
    for step in result.steps:
        mark = {True: "ok  ", False: "FAIL", None: "--  "}[step.ok]
        out.write(f"{mark} {step.name}: {step.detail}\n")
    failed = result.failed_step
    if result.ok:
        out.write("VALID\n")
    elif failed is None:  # no step ran at all
        out.write("INVALID: nothing was checked\n")
    else:
        out.write(f"INVALID at step '{failed.name}'\n")


if __name__ == "__main__":
    sys.exit(main())
