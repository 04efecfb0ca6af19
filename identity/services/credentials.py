import functools
import hashlib
import json
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import JSONField
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.chain import canonical
from busanhub.chain.services import ANCHOR_LEAF_TABLE, anchor_leaf_columns, anchor_records_new
from busanhub.db import PreparedStatement, insert_rows
from identity import credential_types, dataintegrity, dids, jsonld, keystore, vcmodel
from identity.models import Credential, IssuerKey, StatusList

VC_V2 = "https://www.w3.org/ns/credentials/v2"


def document_digest(document: dict) -> str:
    """0x-prefixed sha256 of the JCS (RFC 8785) form of a document."""
    return "0x" + hashlib.sha256(canonical.canonicalize(document)).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def schema_url(credential_type: str) -> str:
    return site_url_for("identity:schema", name=credential_type)


def site_url_for(viewname: str, **kwargs: str) -> str:
    """The absolute URL of one of B Pass's pages; every issue names a few (schema, status
    lists), so they are kept per process, keyed by everything `reverse` and `site_url` read."""
    return _site_url_for(
        viewname,
        tuple(sorted(kwargs.items())),
        settings.SITE_URL,
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
    )


@functools.lru_cache(maxsize=256)
def _site_url_for(viewname, kwargs, _site_url, _script_prefix, urlconf) -> str:
    return dids.site_url(reverse(viewname, urlconf=urlconf, kwargs=dict(kwargs)))


def _signed_credential(
    *,
    issuer: IssuerKey,
    document: dict,
    cryptosuite: str,
    public_id: uuid.UUID,
    holder,
    credential_type: str,
    claims: dict,
    status_entry: tuple[int, int] | None,
    created: str | None = None,
) -> Credential:
    """The signed credential, checked (full_clean) but not saved."""
    if cryptosuite not in dataintegrity.CRYPTOSUITES:
        raise ValidationError({"cryptosuite": _("Unsupported cryptosuite.")})
    errors = vcmodel.credential_errors(document)
    if errors:
        raise ValidationError({"credential": errors})
    try:
        signed = dataintegrity.proof_create(
            document,
            private_key=keystore.issuer_private_key(issuer.private_key_encrypted),
            verification_method=issuer.verification_method,
            cryptosuite=cryptosuite,
            created=created or _iso(timezone.now()),
        )
    except (dataintegrity.ProofError, jsonld.JsonLdProcessingError) as exc:
        raise ValidationError({"credential": [str(exc)]}) from exc
    subjects = document["credentialSubject"]
    first_subject = subjects[0] if isinstance(subjects, list) else subjects
    credential = Credential(
        public_id=public_id,
        issuer=issuer,
        holder=holder,
        subject_did=str(first_subject.get("id", ""))[:300],
        credential_type=credential_type[:100],
        claims=claims,
        document=signed,
        cryptosuite=cryptosuite,
        digest=document_digest(signed),
        status_list_number=status_entry[0] if status_entry else None,
        status_index=status_entry[1] if status_entry else None,
        valid_from=vcmodel.parse_datetime(document.get("validFrom")),
        valid_until=vcmodel.parse_datetime(document.get("validUntil")),
    )
    # The database settles the unique status index and digest (see _credential_insert);
    # issuer and holder are the rows the caller passed, not looked up again.
    credential.full_clean(
        exclude=["status_list_number", "status_index", "issuer", "holder"],
        validate_unique=False,
        validate_constraints=False,
    )
    return credential


_CREDENTIAL_TABLE = Credential._meta.db_table
_STATUS_LIST_TABLE = StatusList._meta.db_table
_TEXT_FIELDS = ("CharField", "SlugField", "TextField")


_LEAF_PARAMS = [
    ("kind", "text"),
    ("ref", "text"),
    ("version", "integer"),
    ("digest", "text"),
    ("envelope", "jsonb"),
    ("is_public", "boolean"),
    ("created_at", "timestamptz"),
]


@functools.cache
def _credential_insert_statement() -> PreparedStatement:
    """One statement: the credential, if its status lists exist with its index below their
    capacity and no unique value of it is taken (else no row and no error: the caller finds
    out which), and its anchor leaf. Column
    names come from the models; every value is a parameter (`c<n>` for the n-th field)."""
    fields = [f for f in Credential._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # Typed, since INSERT ... SELECT does not type its values by the columns. Text for
    # character columns: an over-long value then fails the insert instead of being cut.
    types = [
        "text" if f.get_internal_type() in _TEXT_FIELDS else f.db_type(connection) for f in fields
    ]
    params = [(f"c{n}", kind) for n, kind in enumerate(types)]
    values = ", ".join(f"%({name})s::{kind}" for name, kind in params)
    leaf = ", ".join(f"%({name})s::{kind}" for name, kind in _LEAF_PARAMS)
    sql = (
        f"WITH credential AS (INSERT INTO {_CREDENTIAL_TABLE} ({columns}) "  # noqa: S608
        f"SELECT {values} WHERE ((SELECT count(*) FROM {_STATUS_LIST_TABLE} "
        "WHERE issuer_id = %(issuer)s::bigint AND slug = ANY(%(slugs)s::text[]) "
        "AND capacity > %(index)s::bigint) "
        "= %(slug_count)s::bigint) "
        "ON CONFLICT DO NOTHING RETURNING id), "
        f"leaf AS (INSERT INTO {ANCHOR_LEAF_TABLE} "
        f"(kind, ref, version, digest, envelope, is_public, created_at) SELECT {leaf} "
        "FROM credential) "
        "SELECT id FROM credential"
    )
    params += [
        ("issuer", "bigint"),
        ("slugs", "text[]"),
        ("index", "bigint"),
        ("slug_count", "bigint"),
    ]
    return PreparedStatement("bpass_credential_insert", sql, params=params + _LEAF_PARAMS)


def _credential_insert(credential: Credential, *, status_slugs: list[str]) -> bool:
    """Inserts the credential and its anchor leaf (version 1) in one statement, which is
    atomic by itself: no savepoint, no transaction of its own. False, with nothing written,
    when a status list is missing (or its capacity is below the index) or the status entry,
    digest or public id is taken."""
    fields = [f for f in Credential._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(credential, True), connection) for f in fields]
    leaf = anchor_leaf_columns(
        kind="identity.credential",
        ref=str(credential.public_id),
        version=1,
        data={
            "credentialDigest": credential.digest,
            "issuer": credential.issuer.did,
            "status": "active",
        },
        public=True,
    )
    with connection.cursor() as cursor:
        rows = _credential_insert_statement().execute(
            cursor,
            **{f"c{n}": value for n, value in enumerate(values)},
            issuer=credential.issuer_id,
            slugs=status_slugs,
            index=credential.status_index,
            slug_count=len(status_slugs),
            kind=leaf["kind"],
            ref=leaf["ref"],
            version=leaf["version"],
            digest=leaf["digest"],
            envelope=json.dumps(leaf["envelope"]),
            is_public=leaf["is_public"],
            created_at=timezone.now(),
        )
    row = rows[0] if rows else None
    if row is None:
        return False
    credential.pk = row[0]
    credential._state.adding = False
    credential._state.db = connection.alias
    return True


# Draws that found their entry taken before an issue gives up; each loser of a race draws
# again from what is free then (lists holding few entries in tests see many such races).
STATUS_INDEX_ATTEMPTS = 10


def _store_with_status_index(
    *, issuer: IssuerKey, document: dict, with_status: bool, **store
) -> Credential:
    """Signs and stores, with a random status entry (list number, index) when `with_status`.

    The first index is a bare draw in the issuer's current list, almost always free; if the
    insert finds it taken (or two issues running at once drew the same one), the issue
    retries with an entry checked to be free, a few times, instead of failing. When the
    current list has no free index, the entry is on the next list, which the issue opens
    (status_list_open) if nobody has yet; the first issue of an issuer opens list 1.
    """
    from .status import (
        status_entries,
        status_entries_allocate,
        status_entry_draw,
        status_entry_forget,
        status_list_open,
        status_list_slug,
    )

    attempt = 0
    while attempt < STATUS_INDEX_ATTEMPTS:
        entry = None
        remembered = False
        slugs: list[str] = []
        if with_status:
            if attempt:
                entry = status_entries_allocate(issuer=issuer, count=1)[0]
            else:
                entry, remembered = status_entry_draw(issuer=issuer)
            number, index = entry
            slugs = [
                status_list_slug(issuer=issuer, purpose=p, number=number)
                for p in StatusList.Purpose.values
            ]
            document = {
                **document,
                "credentialStatus": status_entries(issuer=issuer, number=number, index=index),
            }
        credential = _signed_credential(
            issuer=issuer, document=document, status_entry=entry, **store
        )
        if _credential_insert(credential, status_slugs=slugs):
            return credential
        # Nothing was written: find out why.
        if entry is not None:
            status_entry_forget(issuer=issuer)
            attempt += 1
            if StatusList.objects.filter(issuer=issuer, slug__in=slugs).count() < len(slugs):
                if not remembered:  # a list this process only remembers is not reopened
                    status_list_open(issuer=issuer, number=number)
                    attempt -= 1  # opening the next list is no lost race
                continue
            if Credential.objects.filter(
                issuer=issuer, status_list_number=number, status_index=index
            ).exists():
                continue
            if not StatusList.objects.filter(
                issuer=issuer, slug__in=slugs, capacity__gt=index
            ).exists():
                continue  # a draw past the list's capacity (it was read as another list's)
        _raise_if_duplicate(document)
        raise IntegrityError("the credential's public id or digest is taken")
    raise ValidationError(
        {"credentialStatus": _("No free status list entry was found; try again.")}
    )


def _raise_if_duplicate(document: dict) -> None:
    """The same signed document twice: same credential id, content and second of signing."""
    if Credential.objects.filter(document__id=document.get("id")).exists():
        raise ValidationError(
            {
                "credential": [
                    _(
                        "This credential id was already issued with the same content in the "
                        "same second; leave id out to issue another credential."
                    )
                ]
            }
        )


# No transaction of its own: its one write is a single statement (see _credential_insert), and
# BEGIN and COMMIT would be two round trips more. Inside a caller's transaction, it joins it.
def credential_issue(
    *,
    issuer: IssuerKey,
    subject_did: str,
    types: list[str],
    claims: dict,
    holder=None,
    contexts: list | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    name: str | None = None,
    cryptosuite: str = "eddsa-rdfc-2022",
    with_status: bool = True,
) -> Credential:
    """Issues, signs and stores one credential for `subject_did`; anchors its digest (v1).

    Atomic: the credential, its status entries and its anchor leaf are one INSERT statement
    (the first issue of an issuer also makes and anchors its status lists, and an issue that
    finds the current list full opens the next: status_list_open). The B Pass
    types (identity.credential_types) have their claims validated against their JSON Schema and
    referenced in `credentialSchema`; other types (e.g. education's OpenBadgeCredential) bring
    their own `contexts`. Raises ValidationError naming the field on bad input.
    """
    document, store = _typed_document(
        issuer=issuer,
        subject_did=subject_did,
        types=types,
        claims=claims,
        holder=holder,
        contexts=contexts,
        valid_from=valid_from,
        valid_until=valid_until,
        name=name,
    )
    return _store_with_status_index(
        issuer=issuer, document=document, with_status=with_status, cryptosuite=cryptosuite, **store
    )


def _typed_document(
    *,
    issuer: IssuerKey,
    subject_did: str,
    types: list[str],
    claims: dict,
    holder=None,
    contexts: list | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    name: str | None = None,
) -> tuple[dict, dict]:
    """credential_issue's unsigned document and what is stored beside it, checked."""
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        raise ValidationError({"types": _("Give one or more credential types.")})
    if not isinstance(claims, dict):
        raise ValidationError({"claims": _("Claims are a JSON object.")})
    if not vcmodel.is_url(subject_did):
        raise ValidationError({"subject_did": _("The subject is a DID or URL.")})
    primary = types[-1]
    document_contexts = [VC_V2, *(contexts or [])]
    if primary in credential_types.TYPES:
        try:
            credential_types.validate_claims(primary, claims)
        except credential_types.ClaimsError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from exc
        if jsonld.BUSAN_CONTEXT_URL not in document_contexts:
            document_contexts.append(jsonld.BUSAN_CONTEXT_URL)
    public_id = uuid.uuid4()
    valid_from = valid_from or timezone.now()
    document: dict = {
        "@context": document_contexts,
        "id": f"urn:uuid:{public_id}",
        "type": ["VerifiableCredential", *[t for t in types if t != "VerifiableCredential"]],
        "issuer": {"id": issuer.did, "name": issuer.name},
    }
    if name:
        document["name"] = name
    document["validFrom"] = _iso(valid_from)
    if valid_until:
        document["validUntil"] = _iso(valid_until)
    document["credentialSubject"] = {"id": subject_did, **claims}
    if primary in credential_types.TYPES:
        document["credentialSchema"] = {"id": schema_url(primary), "type": "JsonSchema"}
    store = {"public_id": public_id, "holder": holder, "credential_type": primary, "claims": claims}
    return document, store


def credential_issue_document(
    *,
    issuer: IssuerKey,
    credential: dict,
    cryptosuite: str = "eddsa-rdfc-2022",
    with_status: bool = False,
) -> Credential:
    """VC-API issuing: signs a caller-supplied credential as `issuer`; anchors its digest (v1).

    The credential must conform to the VC Data Model 2.0 and name this issuer (a missing
    issuer, or an issuer object without id, gets the issuer's DID). A credential without `id`
    gets `urn:uuid:<public id>`, so that two identical requests, even in the same second, are
    two credentials (two digests, two anchor leaves, two status entries). `with_status` adds
    BitstringStatusListEntry entries. Atomic as credential_issue (one INSERT statement).
    Raises ValidationError naming what is wrong.
    """
    document, store = _supplied_document(issuer=issuer, credential=credential)
    return _store_with_status_index(
        issuer=issuer, document=document, with_status=with_status, cryptosuite=cryptosuite, **store
    )


def _supplied_document(*, issuer: IssuerKey, credential: dict) -> tuple[dict, dict]:
    """credential_issue_document's unsigned document and what is stored beside it, checked."""
    if not isinstance(credential, dict):
        raise ValidationError({"credential": [_("The credential is a JSON object.")]})
    public_id = uuid.uuid4()
    document = dict(credential)
    if "id" not in document:
        document = {"@context": document.get("@context"), "id": f"urn:uuid:{public_id}"}
        document.update(credential)
        if document["@context"] is None:
            del document["@context"]
    issuer_value = document.get("issuer")
    if "issuer" not in document:
        document["issuer"] = issuer.did
    elif isinstance(issuer_value, dict) and "id" not in issuer_value:
        document["issuer"] = {"id": issuer.did, **issuer_value}
    errors = vcmodel.credential_errors(document)
    if errors:
        raise ValidationError({"credential": errors})
    issuer_id = (
        document["issuer"]["id"] if isinstance(document["issuer"], dict) else document["issuer"]
    )
    if issuer_id != issuer.did:
        raise ValidationError(
            {"credential": [_("issuer: this service issues only as %(did)s") % {"did": issuer.did}]}
        )
    types = document["type"] if isinstance(document["type"], list) else [document["type"]]
    subjects = document["credentialSubject"]
    claims = subjects if isinstance(subjects, dict) else {"subjects": subjects}
    store = {
        "public_id": public_id,
        "holder": None,
        "credential_type": types[-1],
        "claims": {k: v for k, v in claims.items() if k != "id"},
    }
    return document, store


# A batch is one transaction: its commit (the WAL flush) and its statements are shared by
# all its credentials. The cap keeps one request's transaction and response moderate.
BATCH_MAX = 1000


def _batch_errors(exc: ValidationError, position: int) -> ValidationError:
    """The item's errors, each field prefixed with the item's place in the batch."""
    if hasattr(exc, "error_dict"):
        return ValidationError(
            {f"credentials[{position}].{field}": m for field, m in exc.message_dict.items()}
        )
    return ValidationError({f"credentials[{position}]": exc.messages})


def credential_issue_many(
    *,
    issuer: IssuerKey,
    requests: list[dict],
    cryptosuite: str = "eddsa-rdfc-2022",
    with_status: bool = True,
) -> list[Credential]:
    """`credential_issue` for many credentials at once; each request is a dict of its keyword
    arguments (`subject_did`, `types`, `claims`, optional `holder`, `contexts`, `valid_from`,
    `valid_until`, `name`). All or nothing, in one transaction (see _store_many): one invalid
    request refuses the batch, with a ValidationError naming `credentials[<n>].<field>`.
    Returns the credentials in the order of the requests."""
    items = []
    for position, request in enumerate(requests):
        try:
            document, store = _typed_document(issuer=issuer, **request)
        except ValidationError as exc:
            raise _batch_errors(exc, position) from exc
        items.append((document, {**store, "cryptosuite": cryptosuite}, with_status))
    return _store_many(issuer=issuer, items=items)


def credential_issue_documents(*, issuer: IssuerKey, requests: list[dict]) -> list[Credential]:
    """`credential_issue_document` for many credentials at once (the B Pass batch extension of
    the VC-API); each request is a dict of its keyword arguments (`credential`, optional
    `cryptosuite`, `with_status`). All or nothing, in one transaction, as
    `credential_issue_many`."""
    items = []
    for position, request in enumerate(requests):
        try:
            document, store = _supplied_document(issuer=issuer, credential=request["credential"])
        except ValidationError as exc:
            raise _batch_errors(exc, position) from exc
        store["cryptosuite"] = request.get("cryptosuite", "eddsa-rdfc-2022")
        items.append((document, store, bool(request.get("with_status", False))))
    return _store_many(issuer=issuer, items=items)


@transaction.atomic
def _store_many(*, issuer: IssuerKey, items: list[tuple[dict, dict, bool]]) -> list[Credential]:
    """Signs and stores a batch of (document, what is stored beside it, with status) in one
    transaction, signing outside the issuer's batch lock.

    1. Unlocked: choose a status entry per credential among those that look free (a read or
       two: status_entries_allocate) and sign every credential with its entry (Ed25519 and
       the canonical form: almost all of a batch's cost).
    2. Locked (_batch_entries_lock, until the transaction ends): read which of the chosen
       entries were taken meanwhile (another batch committed, or a single issue); only those
       credentials get fresh entries and are signed again (none, mostly: two batches of 250
       among 60,000 free entries share ~1). Then one INSERT of the credentials per status
       list (the next list opened just before its own) and one of their anchor leaves.

    Nothing is written before every credential is signed: a refused item or a failed
    signature leaves no row, no status list, no gap among the entries (they were only read).
    The lock still covers choosing the final entries through the commit, so batches never
    draw the same entry and lists fill densely, as when the whole batch was signed under it;
    a single issue racing a batch fails the INSERT, which rolls back to its savepoint, and
    the batch takes fresh entries for what it lost (a few times at most)."""
    from .status import status_entries_allocate, status_entries_for

    if not items:
        return []
    if len(items) > BATCH_MAX:
        raise ValidationError(
            {"credentials": _("At most %(count)d credentials at once.") % {"count": BATCH_MAX}}
        )
    with_status = [position for position, item in enumerate(items) if item[2]]
    status_entries = status_entries_for(issuer=issuer)
    created = _iso(timezone.now())

    def signed(position: int, entry: tuple[int, int] | None) -> Credential:
        document, store, _status = items[position]
        if entry is not None:
            document = {**document, "credentialStatus": status_entries(*entry)}
        try:
            return _signed_credential(
                issuer=issuer, document=document, status_entry=entry, created=created, **store
            )
        except ValidationError as exc:
            raise _batch_errors(exc, position) from exc

    entries: list[tuple[int, int] | None] = [None] * len(items)
    if with_status:
        allocated = status_entries_allocate(issuer=issuer, count=len(with_status))
        for position, entry in zip(with_status, allocated, strict=True):
            entries[position] = entry
    credentials = [signed(position, entry) for position, entry in enumerate(entries)]
    if with_status:
        _batch_entries_lock(issuer)
    for _attempt in range(STATUS_INDEX_ATTEMPTS):
        if with_status:
            taken = _entries_taken(issuer, [e for e in entries if e is not None])
            lost = [position for position in with_status if entries[position] in taken]
            if lost:
                kept = frozenset(
                    e for position in with_status if (e := entries[position]) not in taken
                )
                fresh = status_entries_allocate(issuer=issuer, count=len(lost), excluding=kept)
                for position, entry in zip(lost, fresh, strict=True):
                    entries[position] = entry
                    credentials[position] = signed(position, entry)
        try:
            with transaction.atomic():
                _credentials_insert_many(issuer, credentials)
        except IntegrityError:
            if with_status and _entries_taken(issuer, [e for e in entries if e is not None]):
                continue
            raise ValidationError(
                {
                    "credentials": [
                        _(
                            "A credential id was given twice, or was already issued, with the "
                            "same content in the same second; leave id out to issue another "
                            "credential."
                        )
                    ]
                }
            ) from None
        return credentials
    raise ValidationError(
        {"credentialStatus": _("No free status list entry was found; try again.")}
    )


# The advisory lock namespace of an issuer's batch allocations ("BPST"), beside the issuer's pk.
BATCH_LOCK_CLASS = 0x42505354


def _batch_entries_lock(issuer: IssuerKey) -> None:
    """Makes this transaction the issuer's only batch settling its status entries until it
    ends.

    A batch chooses from the entries it can see free, and another batch's uncommitted entries
    are invisible: two batches in flight drew overlapping entries (two batches of 250 among
    60,000 free entries overlap with odds of 2 in 3; among 8,000 almost surely), the later one
    waited for the other's commit, signed again and drew again, while the first caller's next
    batch was already in flight. Seeding a million citizens with two workers ran out of
    attempts that way near the end of a list. Held until the transaction ends (the entries are
    visible from then), so batches of one issuer take turns from checking their entries to
    commit; the signing comes before it (_store_many), so a caller should issue its batch
    late in its transaction: whatever follows runs under the lock too. Single issues do not
    take it (one entry, drawn at random, rarely meets a batch's)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BATCH_LOCK_CLASS, issuer.pk])


def _entries_taken(issuer: IssuerKey, entries: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of `entries` a committed credential of the issuer holds (one read per list)."""
    by_number: dict[int, list[int]] = {}
    for number, index in entries:
        by_number.setdefault(number, []).append(index)
    return {
        (number, index)
        for number, indexes in by_number.items()
        for index in Credential.objects.filter(
            issuer=issuer, status_list_number=number, status_index__in=indexes
        ).values_list("status_index", flat=True)
    }


def _credentials_insert_many(issuer: IssuerKey, credentials: list[Credential]) -> None:
    """One INSERT of the credentials per status list and one of their anchor leaves (v1).

    Lock order, so that two batches at once never wait for each other both ways (a deadlock,
    seen with two seeding processes): the credentials without status first, then list by
    list in number order, each list opened (status_list_open) just before its credentials go
    in, and within a list in index order. One batch may then wait for another (and retry,
    _store_many), never both for each other."""
    from .status import status_list_open

    credentials = sorted(
        credentials,
        key=lambda c: (
            (-1, -1) if c.status_index is None else (c.status_list_number, c.status_index)
        ),
    )
    fields = [f for f in Credential._meta.concrete_fields if not f.primary_key]
    groups: dict[int | None, list[Credential]] = {}
    for credential in credentials:
        groups.setdefault(credential.status_list_number, []).append(credential)
    for number, group in groups.items():
        if number is not None:
            status_list_open(issuer=issuer, number=number)
        rows = [
            tuple(
                value if isinstance(field, JSONField) else field.get_db_prep_save(value, connection)
                for field in fields
                for value in (field.pre_save(credential, True),)
            )
            for credential in group
        ]
        pks = insert_rows(Credential, [f.attname for f in fields], rows, returning=True)
        for credential, pk in zip(group, pks, strict=True):
            credential.pk = pk
            credential._state.adding = False
            credential._state.db = connection.alias
    anchor_records_new(
        {
            "kind": "identity.credential",
            "ref": str(credential.public_id),
            "version": 1,
            "data": {
                "credentialDigest": credential.digest,
                "issuer": credential.issuer.did,
                "status": "active",
            },
            "public": True,
        }
        for credential in credentials
    )
