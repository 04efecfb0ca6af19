"""Merkle sum tree for proof of liabilities (pure: no Django).

A leaf commits to a salted account id and the account's balance of every asset:
    leaf = sha256("BusanPoL/leaf" | sha256(salt | account_id) | balances)
A node commits to both children and the sums of their balances:
    node = sha256("BusanPoL/node" | left.hash | right.hash | sums)
so the root commits to the total per asset. Balances are non-negative integers; a verifier
also checks that every sum on the path is at least the leaf's and never negative, which is
what stops an operator from hiding liabilities behind negative leaves. An odd level is padded
with a zero leaf (never a duplicate, which would double the sums).
"""

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

PROOF_TYPE = "BusanLiabilityProof"


@dataclass(frozen=True)
class Node:
    hash: str
    sums: tuple[int, ...]


def _h(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _sums_text(sums: Iterable[int]) -> str:
    return ",".join(str(int(s)) for s in sums)


def account_commitment(salt: str, account_id: str) -> str:
    return _h(salt, account_id)


def leaf(salt: str, account_id: str, balances: Iterable[int]) -> Node:
    if any(int(b) < 0 for b in balances):
        raise ValueError("balances are never negative")
    sums = tuple(int(b) for b in balances)
    return Node(_h("BusanPoL/leaf", account_commitment(salt, account_id), _sums_text(sums)), sums)


def pad(width: int) -> Node:
    return Node(_h("BusanPoL/pad"), (0,) * width)


def parent(left: Node, right: Node) -> Node:
    sums = tuple(a + b for a, b in zip(left.sums, right.sums, strict=True))
    return Node(_h("BusanPoL/node", left.hash, right.hash, _sums_text(sums)), sums)


def new_salt() -> str:
    return secrets.token_hex(16)


def build(leaves: list[Node], width: int) -> list[list[Node]]:
    """All levels, leaves first, root last (a single node; an empty tree is one pad)."""
    level = list(leaves) or [pad(width)]
    levels = [level]
    while len(level) > 1:
        if len(level) % 2:
            level = [*level, pad(width)]
            levels[-1] = level
        level = [parent(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


def proof(levels: list[list[Node]], position: int) -> list[dict]:
    """Siblings from the leaf up: {"side": "left"|"right", "hash": ..., "sums": [...]}."""
    path = []
    for level in levels[:-1]:
        sibling = position ^ 1
        node = level[sibling]
        path.append(
            {
                "side": "left" if sibling < position else "right",
                "hash": node.hash,
                "sums": [str(s) for s in node.sums],
            }
        )
        position //= 2
    return path


def verify(document: dict) -> list[str]:
    """Checks a BusanLiabilityProof; returns the problems (empty when valid)."""
    problems = []
    try:
        if document.get("type") != PROOF_TYPE:
            return ["not a BusanLiabilityProof"]
        assets = document["assets"]
        account = document["account"]
        balances = [int(account["balances"][symbol]) for symbol in assets]
        node = leaf(account["salt"], account["id"], balances)
        for step in document["path"]:
            sibling = Node(step["hash"], tuple(int(s) for s in step["sums"]))
            if any(s < 0 for s in sibling.sums):
                problems.append("a sibling has a negative sum")
            node = parent(sibling, node) if step["side"] == "left" else parent(node, sibling)
        if node.hash != document["root"]:
            problems.append("the path does not lead to the published root")
        totals = [int(document["totals"][symbol]) for symbol in assets]
        if list(node.sums) != totals:
            problems.append("the root's sums differ from the published totals")
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"malformed proof: {exc}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """`python -m exchange.sumtree PROOF.json [--rpc URL]`: checks the inclusion proof and, with
    a node, the anchor receipt of the root (needs only the file and a node of the chain)."""
    import argparse

    parser = argparse.ArgumentParser(description="Verify a BusanLiabilityProof.")
    parser.add_argument("file")
    parser.add_argument("--rpc", help="JSON-RPC URL of a node, to check the anchored root")
    args = parser.parse_args(argv)
    with open(args.file, encoding="utf-8") as handle:
        document = json.load(handle)
    problems = verify(document)
    receipt = document.get("anchorReceipt")
    if not problems and receipt:
        data = (receipt.get("envelope") or {}).get("data") or {}
        if data.get("root") != document["root"] or data.get("totals") != document["totals"]:
            problems.append("the anchor receipt is for another root")
        elif args.rpc:
            from web3 import Web3

            from busanhub.chain.verify import verify_on_chain

            result = verify_on_chain(receipt, Web3(Web3.HTTPProvider(args.rpc)))
            if not result.ok:
                failed = result.failed_step
                problems.append(
                    f"anchor: {failed.name}: {failed.detail}" if failed else "anchor: not checked"
                )
    for problem in problems:
        print(f"INVALID: {problem}")
    if not problems:
        anchored = "anchored on chain" if receipt and args.rpc else "not checked on chain"
        print(f"VALID: your balances are included in root {document['root']} ({anchored})")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
