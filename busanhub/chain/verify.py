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


# What each step found, in English (the CLI, the JSON answer); `code` and `params` let the
# portal's /verify/ page say it in the reader's language (busanhub.chain.views.STEP_DETAILS
# holds the same texts as translatable strings; a test keeps the two in step).
DETAILS = {
    "format-ok": "a BusanAnchorReceipt, version 1",
    "format-type": "not a BusanAnchorReceipt (type)",
    "format-version": "unsupported receipt version",
    "format-hex": "%(key)s is not 0x + 64 lower-case hex digits",
    "format-proof": "proof is not a list of 0x + 64 hex digits",
    "format-anchor": "anchor is missing",
    "format-contract": "anchor.contract is not an address",
    "format-tx": "anchor.txHash is not a transaction hash",
    "format-integer": "anchor.%(key)s is not an integer",
    "format-record": "record (kind, ref, version) is missing",
    "envelope-private": "the record's data is not public; the digest stands alone",
    "envelope-ok": "sha256(JCS(envelope)) equals the digest",
    "envelope-digest": "the envelope hashes to %(computed)s, not %(digest)s",
    "envelope-record": "the envelope names another record than the receipt",
    "leaf-ok": "keccak256(keccak256(digest)) equals the leaf",
    "leaf-mismatch": "keccak256(keccak256(digest)) is %(computed)s, not the leaf",
    "proof-ok": "the %(steps)s-step proof leads from the leaf to the root",
    "proof-mismatch": "the proof leads to %(computed)s, not to the root",
    "chain-id": "the node serves chain %(chain_id)s",
    "chain-unreachable": "the chain node could not be reached (%(error)s)",
    "chain-error": "the node could not be asked: %(error)s",
    "anchored-no-contract": "there is no BusanAnchor contract at %(address)s",
    "anchored-ok": "contract %(address)s anchored the root at %(time)s UTC",
    "anchored-missing": "contract %(address)s has not anchored this root",
    "contract-verify-ok": "the contract's verify(proof, root, digest) returns true",
    "contract-verify-false": "the contract's verify(proof, root, digest) returns false",
    "contract-verify-remembered": (
        "the contract's verify accepted a proof to this root when the chain was checked, "
        "and this proof leads to the same root"
    ),
    "block-ok": "transaction %(tx)s in block %(block)s emitted Anchored(root)",
    "block-mismatch": "the transaction, its block or its Anchored event does not match the receipt",
}


@dataclass
class Step:
    name: str
    ok: bool | None  # None: not checked (no data to check against)
    detail: str
    code: str = ""
    params: dict = field(default_factory=dict)


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

    def explain(self, name: str, ok: bool | None, code: str, **params: object) -> bool:
        """`add` with the detail named by its DETAILS code."""
        self.steps.append(Step(name, ok, DETAILS[code] % params, code, params))
        return ok is not False

    def as_dict(self) -> dict:
        return {
            "valid": self.ok,
            "steps": [{"name": s.name, "ok": s.ok, "detail": s.detail} for s in self.steps],
        }


def _check_format(receipt: dict) -> tuple[str, dict] | None:
    if not isinstance(receipt, dict) or receipt.get("type") != "BusanAnchorReceipt":
        return "format-type", {}
    if receipt.get("version") != 1:
        return "format-version", {}
    for key in ("digest", "leaf", "root"):
        if not isinstance(receipt.get(key), str) or not HEX32.match(receipt[key]):
            return "format-hex", {"key": key}
    proof = receipt.get("proof")
    if not isinstance(proof, list) or not all(isinstance(p, str) and HEX32.match(p) for p in proof):
        return "format-proof", {}
    anchor = receipt.get("anchor")
    if not isinstance(anchor, dict):
        return "format-anchor", {}
    if not isinstance(anchor.get("contract"), str) or not ADDRESS.match(anchor["contract"]):
        return "format-contract", {}
    if not isinstance(anchor.get("txHash"), str) or not HEX32.match(anchor["txHash"].lower()):
        return "format-tx", {}
    for key in ("chainId", "blockNumber"):
        if not isinstance(anchor.get(key), int) or isinstance(anchor.get(key), bool):
            return "format-integer", {"key": key}
    record = receipt.get("record")
    if not isinstance(record, dict) or not {"kind", "ref", "version"} <= record.keys():
        return "format-record", {}
    return None


def verify_offline(receipt: dict) -> Result:
    """Steps that need no node: format, envelope digest, leaf, proof → root."""
    result = Result()
    problem = _check_format(receipt)
    code, params = problem or ("format-ok", {})
    if not result.explain("format", problem is None, code, **params):
        return result
    envelope = receipt.get("envelope")
    if envelope is None:
        result.explain("envelope", None, "envelope-private")
    else:
        from busanhub.chain import canonical

        envelope_digest = "0x" + hashlib.sha256(canonical.canonicalize(envelope)).hexdigest()
        same_record = all(
            envelope.get(k) == receipt["record"][k] for k in ("kind", "ref", "version")
        )
        ok = envelope_digest == receipt["digest"] and same_record
        if ok:
            result.explain("envelope", True, "envelope-ok")
        elif envelope_digest != receipt["digest"]:
            result.explain(
                "envelope",
                False,
                "envelope-digest",
                computed=envelope_digest,
                digest=receipt["digest"],
            )
        else:
            result.explain("envelope", False, "envelope-record")
    digest = merkle.to_bytes32(receipt["digest"])
    leaf = merkle.leaf_hash(digest)
    leaf_ok = merkle.to_hex(leaf) == receipt["leaf"]
    if not (
        result.explain("leaf", True, "leaf-ok")
        if leaf_ok
        else result.explain("leaf", False, "leaf-mismatch", computed=merkle.to_hex(leaf))
    ):
        return result
    root = merkle.process_proof(leaf, [merkle.to_bytes32(p) for p in receipt["proof"]])
    if merkle.to_hex(root) == receipt["root"]:
        result.explain("proof", True, "proof-ok", steps=len(receipt["proof"]))
    else:
        result.explain("proof", False, "proof-mismatch", computed=merkle.to_hex(root))
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
    if not result.explain("chain", chain_id == anchor["chainId"], "chain-id", chain_id=chain_id):
        return result
    address = Web3.to_checksum_address(anchor["contract"])
    contract = w3.eth.contract(address=address, abi=VERIFY_ABI)
    root = merkle.to_bytes32(receipt["root"])
    try:
        anchored_at = contract.functions.anchoredAt(root).call()
    except BadFunctionCallOutput:  # no contract (or not a BusanAnchor) at that address
        result.explain("anchored", False, "anchored-no-contract", address=address)
        return result
    if not (
        result.explain(
            "anchored",
            True,
            "anchored-ok",
            address=address,
            time=f"{datetime.fromtimestamp(anchored_at, tz=UTC):%Y-%m-%d %H:%M:%S}",
        )
        if anchored_at > 0
        else result.explain("anchored", False, "anchored-missing", address=address)
    ):
        return result
    proof = [merkle.to_bytes32(p) for p in receipt["proof"]]
    on_chain = contract.functions.verify(proof, root, merkle.to_bytes32(receipt["digest"])).call()
    if not result.explain(
        "contract-verify",
        on_chain,
        "contract-verify-ok" if on_chain else "contract-verify-false",
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
    if ok:
        result.explain("block", True, "block-ok", tx=anchor["txHash"], block=anchor["blockNumber"])
    else:
        result.explain("block", False, "block-mismatch")
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
        result.explain("chain", False, "chain-error", error=f"{type(exc).__name__}: {exc}")
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
