import functools
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from busanhub.chain import canonical, merkle
from busanhub.chain.models import AnchorBatch, AnchorLeaf, ChainDeployment
from busanhub.db import PreparedStatement, array_literal

KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def _envelope(*, kind: str, ref: str, version: int, data: Any) -> tuple[dict, str]:
    """The validated envelope and its digest, or a ValidationError naming the field."""
    if not isinstance(kind, str) or not KIND_RE.match(kind) or len(kind) > 64:
        raise ValidationError(
            {"kind": "kind is '<app>.<record>' in lower case, e.g. safety.report"}
        )
    if not isinstance(ref, str) or not ref or len(ref) > 128:
        raise ValidationError({"ref": "ref is a non-empty string of at most 128 characters"})
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationError({"version": "version is a positive integer"})
    envelope = canonical.make_envelope(kind=kind, ref=ref, version=version, data=data)
    try:
        return envelope, canonical.envelope_digest(envelope)
    except canonical.CanonicalizationError as exc:
        raise ValidationError({"data": f"data is not canonical JSON: {exc}"}) from exc


def _refuse_rewrite(leaf: AnchorLeaf, digest: str) -> None:
    if leaf.digest != digest:
        raise ValidationError(
            {
                "version": f"{leaf.kind} {leaf.ref} version {leaf.version} is already "
                "anchored with other data"
            }
        )


@transaction.atomic
def anchor_record(
    *, kind: str, ref: str, version: int, data: Any, public: bool = False
) -> AnchorLeaf:
    """Queues one version of a record for anchoring, in the caller's transaction (an outbox).

    The leaf commits or rolls back with the caller's record. Only the digest ever leaves the
    database. Idempotent: anchoring the same (kind, ref, version) with the same data returns the
    existing leaf; with other data it is refused, because nothing anchored is ever rewritten —
    anchor a new version instead. `public` says whether anyone may see `data` in a receipt.
    """
    envelope, digest = _envelope(kind=kind, ref=ref, version=version, data=data)
    existing = AnchorLeaf.objects.filter(kind=kind, ref=ref, version=version).first()
    if existing is None:
        try:
            with transaction.atomic():
                return AnchorLeaf.objects.create(
                    kind=kind,
                    ref=ref,
                    version=version,
                    digest=digest,
                    envelope=envelope,
                    is_public=public,
                )
        except IntegrityError:  # a concurrent writer anchored the same version first
            existing = AnchorLeaf.objects.get(kind=kind, ref=ref, version=version)
    _refuse_rewrite(existing, digest)
    return existing


def anchor_record_new(
    *, kind: str, ref: str, version: int, data: Any, public: bool = False
) -> AnchorLeaf:
    """`anchor_record` for a record the caller has just created under a new unique ref (a
    fresh UUID), for hot paths such as a voucher payment: one INSERT, no lookup first and no
    savepoint. Not idempotent: if that (kind, ref, version) exists already, the INSERT raises
    IntegrityError and the caller's transaction rolls back with it. Call it inside the
    caller's transaction, like `anchor_record`.
    """
    columns = anchor_leaf_columns(kind=kind, ref=ref, version=version, data=data, public=public)
    leaf = AnchorLeaf(**columns)
    leaf.save(force_insert=True)
    return leaf


def anchor_records_new(records: Iterable[dict]) -> list[AnchorLeaf]:
    """`anchor_record_new` for many records the caller has just created under fresh refs (a
    batch of credentials): one INSERT for all their leaves, no lookup first and no savepoint.
    Each record is a dict with the keyword arguments of `anchor_record_new`. A (kind, ref,
    version) that exists already raises IntegrityError; call it inside the caller's
    transaction, which then rolls back whole."""
    leaves = [
        AnchorLeaf(
            **anchor_leaf_columns(
                kind=record["kind"],
                ref=record["ref"],
                version=record["version"],
                data=record["data"],
                public=bool(record.get("public", False)),
            )
        )
        for record in records
    ]
    if leaves:
        _leaves_insert(leaves)
    return leaves


# The outbox table, for hot paths that insert a leaf inside a statement of their own.
ANCHOR_LEAF_TABLE = AnchorLeaf._meta.db_table


def anchor_leaf_columns(
    *, kind: str, ref: str, version: int, data: Any, public: bool = False
) -> dict[str, Any]:
    """The column values `anchor_record_new` inserts into ANCHOR_LEAF_TABLE (the envelope as a
    dict, to be written as JSON; `batch_id` NULL and `created_at` now are the caller's), with
    the same validation (ValidationError naming the field) and the same digest. For a hot path
    that writes the leaf in one statement with its record; the same rules as
    `anchor_record_new` apply (a fresh ref, in the caller's transaction)."""
    envelope, digest = _envelope(kind=kind, ref=ref, version=version, data=data)
    return {
        "kind": kind,
        "ref": ref,
        "version": version,
        "digest": digest,
        "envelope": envelope,
        "is_public": public,
    }


def _leaves_insert(leaves: list[AnchorLeaf], *, skip_existing: bool = False) -> None:
    """Inserts new leaves and sets their primary keys: one statement takes the rows as one
    array per column (`unnest`; compiling `bulk_create`'s statement value by value cost a bulk
    writer such as EPCIS capture about a tenth of its time), each array one text parameter
    (`array_literal`). With `skip_existing`, a leaf whose (kind, ref, version) or digest is
    stored already (or is being stored by a concurrent transaction that then commits) is not
    inserted and keeps no primary key."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AnchorLeaf._meta.db_table} "  # noqa: S608 (a model's own table name)
            "(kind, ref, version, digest, envelope, is_public, batch_id, created_at) "
            "SELECT *, NULL, %s FROM unnest(%s::varchar[], %s::varchar[], %s::integer[], "
            "%s::varchar[], %s::jsonb[], %s::boolean[]) "
            + ("ON CONFLICT DO NOTHING " if skip_existing else "")
            + "RETURNING id, kind, ref, version",
            [
                now,
                array_literal(leaf.kind for leaf in leaves),
                array_literal(leaf.ref for leaf in leaves),
                array_literal(leaf.version for leaf in leaves),
                array_literal(leaf.digest for leaf in leaves),
                array_literal(json.dumps(leaf.envelope) for leaf in leaves),
                array_literal(leaf.is_public for leaf in leaves),
            ],
        )
        by_key = {(leaf.kind, leaf.ref, leaf.version): leaf for leaf in leaves}
        for pk, *key in cursor.fetchall():
            leaf = by_key[tuple(key)]
            leaf.pk, leaf.created_at = pk, now
            leaf._state.adding = False


@transaction.atomic
def anchor_records(records: Iterable[dict]) -> list[AnchorLeaf]:
    """`anchor_record` for many records at once, with the same guarantees, in a few queries:
    for bulk writers such as EPCIS capture. Each record is a dict with the keyword arguments
    of `anchor_record` (`kind`, `ref`, `version`, `data`, optional `public`). Returns the
    leaves in the order given. All or nothing: one invalid record refuses the whole call.

    New records (the usual case) cost one INSERT that skips what is stored already; only
    then are the stored versions read and compared (the same data: returned; other data:
    refused). A concurrent writer's leaf is waited for by the INSERT and read once committed.
    """
    prepared = []
    for index, record in enumerate(records):
        try:
            envelope, digest = _envelope(
                kind=record["kind"],
                ref=record["ref"],
                version=record["version"],
                data=record["data"],
            )
        except ValidationError as exc:
            raise ValidationError({f"records[{index}]": exc.messages}) from exc
        prepared.append((envelope, digest, bool(record.get("public", False))))
    if not prepared:
        return []
    new: dict[tuple, AnchorLeaf] = {}
    for envelope, digest, public in prepared:
        key = (envelope["kind"], envelope["ref"], envelope["version"])
        if key in new:
            _refuse_rewrite(new[key], digest)
        else:
            new[key] = AnchorLeaf(
                kind=key[0],
                ref=key[1],
                version=key[2],
                digest=digest,
                envelope=envelope,
                is_public=public,
            )
    _leaves_insert(list(new.values()), skip_existing=True)
    by_key = dict(new)
    if skipped := [leaf for leaf in new.values() if leaf.pk is None]:
        stored = {
            (leaf.kind, leaf.ref, leaf.version): leaf
            for leaf in AnchorLeaf.objects.filter(
                kind__in={leaf.kind for leaf in skipped}, ref__in={leaf.ref for leaf in skipped}
            )
        }
        for leaf in skipped:
            key = (leaf.kind, leaf.ref, leaf.version)
            if key not in stored:  # its digest is another version's: never the same data
                raise IntegrityError(f"{leaf.kind} {leaf.ref} v{leaf.version}: digest taken")
            _refuse_rewrite(stored[key], leaf.digest)
            by_key[key] = stored[key]
    return [by_key[(e["kind"], e["ref"], e["version"])] for e, _, _ in prepared]


class ConfirmedLeaf(NamedTuple):
    kind: str
    ref: str
    version: int
    is_public: bool
    envelope: Any  # the column as the driver gives it
    batch_pk: int
    root: str
    tx_hash: str
    block_number: int
    block_hash: str
    block_timestamp: datetime | None
    chain_id: int
    address: str


@functools.lru_cache(maxsize=16)  # 16 trees of 640 KB at the default batch size of 10,000
def _tree_blob(batch_pk: int, root: str) -> bytes:
    """A sealed batch's tree never changes; `root` in the key guards against a reused pk."""
    return bytes(AnchorBatch.objects.values_list("tree", flat=True).get(pk=batch_pk))


_CONFIRMED_LEAF = PreparedStatement(
    "chain_confirmed_leaf",
    "SELECT leaf.kind, leaf.ref, leaf.version, leaf.is_public, leaf.envelope, "  # noqa: S608
    "batch.id, batch.root, batch.tx_hash, batch.block_number, batch.block_hash, "
    "batch.block_timestamp, deployment.chain_id, deployment.address "
    f"FROM {AnchorLeaf._meta.db_table} AS leaf "
    f"JOIN {AnchorBatch._meta.db_table} AS batch ON batch.id = leaf.batch_id "
    f"JOIN {ChainDeployment._meta.db_table} AS deployment ON deployment.id = batch.deployment_id "
    "WHERE leaf.digest = %(digest)s AND batch.status = %(confirmed)s",
    params=[("digest", "text"), ("confirmed", "text")],
    row=ConfirmedLeaf,
)


def receipt_for(digest: str, *, include_envelope: bool | None = None) -> dict | None:
    """The BusanAnchorReceipt of a confirmed leaf, or None while it is not anchored.

    `include_envelope`: True/False to force, None to follow the leaf's `is_public`.
    Never returns a receipt for a leaf whose batch is not confirmed on chain. The leaf, its
    batch and deployment come from one prepared statement (every /verify/<digest> page asks).
    """
    try:
        digest = canonical.normalize_digest(digest)
    except ValueError:
        return None
    with connection.cursor() as cursor:
        rows = _CONFIRMED_LEAF.execute(
            cursor, digest=digest, confirmed=AnchorBatch.Status.CONFIRMED.value
        )
    if not rows:
        return None
    leaf = rows[0]
    # A confirmed batch has its deployment and block (a constraint).
    assert leaf.block_timestamp is not None
    leaf_hash = merkle.leaf_hash(merkle.to_bytes32(digest))
    blob = _tree_blob(leaf.batch_pk, leaf.root)
    proof = merkle.proof_from_blob(memoryview(blob), leaf_hash)
    receipt = {
        "type": "BusanAnchorReceipt",
        "version": 1,
        "record": {"kind": leaf.kind, "ref": leaf.ref, "version": leaf.version},
        "digest": digest,
        "leaf": merkle.to_hex(leaf_hash),
        "proof": [merkle.to_hex(node) for node in proof],
        "root": leaf.root,
        "anchor": {
            "chainId": leaf.chain_id,
            "contract": leaf.address,
            "txHash": leaf.tx_hash,
            "blockNumber": leaf.block_number,
            "blockHash": leaf.block_hash,
            "timestamp": leaf.block_timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
    if include_envelope if include_envelope is not None else leaf.is_public:
        # Django's psycopg2 connections hand jsonb over as text (the JSONField decodes it).
        envelope = leaf.envelope
        receipt = {
            **receipt,
            "envelope": json.loads(envelope) if isinstance(envelope, str) else envelope,
        }
        # Keep the documented field order: envelope right after record.
        receipt = {key: receipt[key] for key in _RECEIPT_ORDER if key in receipt}
    return receipt


_RECEIPT_ORDER = [
    "type",
    "version",
    "record",
    "envelope",
    "digest",
    "leaf",
    "proof",
    "root",
    "anchor",
]
