"""Proof of liabilities: snapshots of every customer balance as a Merkle sum tree."""

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from busanhub.chain.services import anchor_record, receipt_for
from exchange import sumtree
from exchange.models import Account, Asset, LiabilityLeaf, LiabilitySnapshot

logger = logging.getLogger(__name__)


@transaction.atomic
def liabilities_snapshot(*, with_reserves: bool = True) -> LiabilitySnapshot:
    """Snapshots every customer's available + held balance per asset into a Merkle sum tree,
    stores it with a fresh salt per customer, and anchors the root and totals (public).

    Atomic and consistent: balances are read in one repeatable statement inside the
    transaction. Reserves are the on-chain holdings of the exchange's addresses when the node
    answers (else left empty: the page says so)."""
    assets = list(Asset.objects.order_by("symbol").values_list("pk", "symbol"))
    symbols = [symbol for _, symbol in assets]
    index = {pk: n for n, (pk, _) in enumerate(assets)}
    per_owner: dict = defaultdict(lambda: [0] * len(assets))
    owners = {}
    rows = Account.objects.filter(kind=Account.Kind.CUSTOMER).values_list(
        "owner_id", "owner__public_id", "asset_id", "available", "held"
    )
    for owner_id, public_id, asset_id, available, held in rows:
        per_owner[owner_id][index[asset_id]] += available + held
        owners[owner_id] = str(public_id)
    ordered = sorted(per_owner)
    salts = {owner_id: sumtree.new_salt() for owner_id in ordered}
    leaves = [sumtree.leaf(salts[o], owners[o], per_owner[o]) for o in ordered]
    levels = sumtree.build(leaves, len(assets))
    root = levels[-1][0]
    totals = {symbol: str(total) for symbol, total in zip(symbols, root.sums, strict=True)}
    reserves = {}
    if with_reserves:
        from .reserves import reserves_on_chain

        try:
            reserves = {k: str(v) for k, v in reserves_on_chain().items()}
        except Exception as exc:  # noqa: BLE001 - node down: publish without reserves
            logger.warning("reserves unavailable: %s", exc)
    snapshot = LiabilitySnapshot(
        root=root.hash,
        totals=totals,
        reserves=reserves,
        tree=[[[n.hash, [str(s) for s in n.sums]] for n in level] for level in levels],
    )
    snapshot.full_clean()
    snapshot.save()
    LiabilityLeaf.objects.bulk_create(
        LiabilityLeaf(snapshot=snapshot, owner_id=o, position=n, salt=salts[o])
        for n, o in enumerate(ordered)
    )
    leaf = anchor_record(
        kind="exchange.liabilities",
        ref=str(snapshot.public_id),
        version=1,
        data={
            "root": root.hash,
            "totals": totals,
            "assets": symbols,
            "reserves": reserves,
            "leafCount": len(ordered),
            "takenAt": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        public=True,
    )
    snapshot.anchor_digest = leaf.digest
    snapshot.save(update_fields=["anchor_digest"])
    return snapshot


def liability_proof(*, snapshot: LiabilitySnapshot, user) -> dict | None:
    """The user's BusanLiabilityProof for a snapshot (None if they had no account then).
    Includes the anchor receipt of the root once it is confirmed on chain."""
    entry = LiabilityLeaf.objects.filter(snapshot=snapshot, owner=user).first()
    if entry is None:
        return None
    symbols = list(snapshot.totals)
    levels = [
        [sumtree.Node(h, tuple(int(s) for s in sums)) for h, sums in level]
        for level in snapshot.tree
    ]
    node = levels[0][entry.position]
    document = {
        "type": sumtree.PROOF_TYPE,
        "version": 1,
        "snapshot": str(snapshot.public_id),
        "takenAt": snapshot.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "assets": symbols,
        "account": {
            "id": str(user.public_id),
            "salt": entry.salt,
            "balances": {symbol: str(s) for symbol, s in zip(symbols, node.sums, strict=True)},
        },
        "path": sumtree.proof(levels, entry.position),
        "root": snapshot.root,
        "totals": snapshot.totals,
        "anchorDigest": snapshot.anchor_digest,
    }
    receipt = receipt_for(snapshot.anchor_digest) if snapshot.anchor_digest else None
    if receipt:
        document["anchorReceipt"] = receipt
    return document
