"""Verification of credentials and presentations (reads only; the replay guard is a service).

Every check is named so that a verifier sees what passed and what failed. Verification checks
answer the VC-API: malformed, proof, issuer (the proof is the issuer's), validity, status,
related-resource (credentials); presentation proof, challenge, domain, holder (the proof is
the holder's). Trust policy is a separate, named set that a caller asks for: issuer-trusted
(B Pass knows the issuer) and holder-is-subject (the presentation's signer is the subject of
every credential in it). The portal's own flows ask for both.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.db import PreparedStatement
from identity import (
    dataintegrity,
    jsonld,
    multikey,
    relatedresource,
    statuslist,
    vcmodel,
)
from identity.models import IssuerKey, StatusList

# What /vc-api/credentials/verify runs when `options.checks` is not given.
CREDENTIAL_CHECKS = ("proof", "issuer", "validity", "status", "related-resource")
# Trust policy: run only when asked for.
POLICY_CHECKS = ("issuer-trusted", "holder-is-subject")
# A presentation's own checks (proof, challenge, domain, holder) always run: a challenge is
# used up on nothing less.
CREDENTIAL_CHECK_NAMES = ("malformed", *CREDENTIAL_CHECKS, "issuer-trusted")
PRESENTATION_CHECK_NAMES = (
    "malformed",
    *CREDENTIAL_CHECKS,
    "challenge",
    "domain",
    "holder",
    *POLICY_CHECKS,
)
# What the portal's own pages and presentation requests ask for.
PORTAL_CREDENTIAL_CHECKS = (*CREDENTIAL_CHECKS, "issuer-trusted")
PORTAL_PRESENTATION_CHECKS = (*CREDENTIAL_CHECKS, *POLICY_CHECKS)


@dataclass
class VerificationResult:
    checks: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    status: str = ""

    @property
    def verified(self) -> bool:
        return not self.errors

    def fail(self, check: str, message: str) -> None:
        self.errors.append({"check": check, "message": str(message)})

    def passed(self, check: str) -> bool:
        return check in self.checks and not any(e["check"] == check for e in self.errors)

    def as_dict(self) -> dict:
        return {
            "verified": self.verified,
            "checks": list(self.checks),
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


class KeyResolver:
    """Resolves verification methods for one verification, reading each issuer row once: a
    did:key from itself, a did:web issuer from the keys this portal serves."""

    def __init__(self):
        self._issuers: dict[str, str | None] = {}

    def issuer_multikey(self, did: str) -> str | None:
        if did not in self._issuers:
            self._issuers[did] = (
                IssuerKey.objects.filter(did=did)
                .order_by()
                .values_list("public_key_multibase", flat=True)
                .first()
            )
        return self._issuers[did]

    def known_issuer(self, did: str, public_key_multibase: str) -> None:
        """An issuer row read along with something else (its status lists)."""
        self._issuers[did] = public_key_multibase

    def __call__(self, verification_method: str):
        if verification_method.startswith("did:key:"):
            try:
                return multikey.did_key_public(verification_method)
            except multikey.KeyError_ as exc:
                raise dataintegrity.ProofError(str(exc), check="issuer") from exc
        did, _sep, fragment = verification_method.partition("#")
        public = self.issuer_multikey(did) if fragment == "key-1" else None
        if public is None:
            raise dataintegrity.ProofError(
                f"unknown verification method {verification_method!r}", check="issuer"
            )
        return _public_key(public)


@lru_cache(maxsize=256)
def _public_key(public_key_multibase: str):
    """A pure function of the string (base58 decoding in Python costs more than the rest)."""
    return multikey.decode_public_multikey(public_key_multibase)


def resolve_key(verification_method: str):
    """The public key of a did:key, or of an issuer whose did:web document this portal serves."""
    return KeyResolver()(verification_method)


def _issuer_id(document: dict) -> str | None:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _status_slug(url) -> str:
    return str(url).rstrip("/").rsplit("/", 1)[-1]


def _status_entries(document: dict) -> list[dict]:
    return [e for e in _as_list(document.get("credentialStatus", [])) if isinstance(e, dict)]


# Verification's one read (its hot path): for each entry, its list, the one byte of the
# bitstring holding its bit (not the 16 KiB list) and the list's issuer key. The ORM's query
# building cost more than the query. Table names come from the models; values are parameters.
STATUS_BYTES = PreparedStatement(
    "bpass_status_bytes",
    "SELECT entry.slug, entry.position, list.purpose, list.credential ->> 'id', "  # noqa: S608
    "CASE WHEN entry.position / 8 < octet_length(list.bits) "
    "THEN get_byte(list.bits, (entry.position / 8)::int) END, "
    "issuer.did, issuer.public_key_multibase "
    "FROM unnest(%(slugs)s::text[], %(positions)s::bigint[]) AS entry(slug, position) "
    f"JOIN {StatusList._meta.db_table} AS list ON list.slug = entry.slug "
    f"JOIN {IssuerKey._meta.db_table} AS issuer ON issuer.id = list.issuer_id",
    params=[("slugs", "text[]"), ("positions", "bigint[]")],
)
STATUS_INDEX_LIMIT = 2**31  # no list is longer; larger indexes are not valid


def _entry_index(entry: dict) -> int | None:
    try:
        index = int(entry.get("statusListIndex"))
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < STATUS_INDEX_LIMIT else None


def _status_bits(document: dict, resolver: KeyResolver) -> dict[tuple[str, int], tuple]:
    """(slug, index) -> (purpose, list id, is the bit set) for the credential's
    BitstringStatusListEntry entries, in one read (a B Pass credential names two lists), with
    their issuer's key: the resolver then needs no read of its own for that issuer. Is-set is
    None for an index past the list's end; an unknown list is absent."""
    wanted = {
        (_status_slug(e.get("statusListCredential", "")), _entry_index(e) or 0)
        for e in _status_entries(document)
        if e.get("type") == "BitstringStatusListEntry"
    }
    if not wanted:
        return {}
    slugs, positions = zip(*sorted(wanted), strict=True)
    with connection.cursor() as cursor:
        rows = STATUS_BYTES.execute(cursor, slugs=list(slugs), positions=list(positions))
    found = {}
    for slug, position, purpose, list_id, byte, did, public in rows:
        # The byte as a one-byte list: the bit order stays statuslist's.
        is_set = None if byte is None else statuslist.get_bit(bytes([byte]), position % 8)
        found[(slug, position)] = (purpose, list_id, is_set)
        resolver.known_issuer(did, public)
    return found


def _check_status(document: dict, result: VerificationResult, bits: dict) -> None:
    entries = _status_entries(document)
    result.checks.append("status")
    ours = [e for e in entries if e.get("type") == "BitstringStatusListEntry"]
    for entry in entries:
        if entry.get("type") != "BitstringStatusListEntry":
            result.warnings.append(
                {"check": "status", "message": f"status type {entry.get('type')!r} not checked"}
            )
    for entry in ours:
        url = entry.get("statusListCredential", "")
        index = _entry_index(entry)
        found = bits.get((_status_slug(url), index or 0))
        if found is None or found[1] != url:
            result.fail("status", _("The status list %(url)s is unknown.") % {"url": url})
            continue
        if index is None or found[2] is None:
            result.fail("status", _("The status list index is not valid."))
            continue
        purpose, _list_id, is_set = found
        if is_set and purpose == StatusList.Purpose.REVOCATION:
            result.status = "revoked"
            result.fail("status", _("The credential has been revoked."))
        elif is_set:
            result.status = result.status or "suspended"
            result.fail("status", _("The credential is suspended."))


def _check_related_resources(document: dict, result: VerificationResult) -> None:
    """Checks each digest against the resource where B Pass has it (its vendored JSON-LD
    contexts, offline); any other resource is reported unchecked, as a warning."""
    result.checks.append("related-resource")
    for position, entry in enumerate(_as_list(document["relatedResource"])):
        content = jsonld.context_bytes(entry["id"])
        if content is None:
            result.warnings.append(
                {
                    "check": "related-resource",
                    "message": _(
                        "relatedResource[%(n)s] %(id)s: not checked (not available offline)."
                    )
                    % {"n": position, "id": entry["id"]},
                }
            )
        elif not relatedresource.digests_match(entry, content):
            result.fail(
                "related-resource",
                _("relatedResource[%(n)s] %(id)s: the digest does not match the resource.")
                % {"n": position, "id": entry["id"]},
            )


def credential_verify(
    document,
    *,
    now: datetime | None = None,
    checks: list[str] | tuple[str, ...] | None = None,
    resolver: KeyResolver | None = None,
) -> VerificationResult:
    """The checks of one credential: `checks` names them (the W3C runner asks for ["proof"]);
    by default the verification checks (CREDENTIAL_CHECKS), no trust policy. "malformed"
    always runs."""
    now = now or timezone.now()
    wanted = set(CREDENTIAL_CHECKS if checks is None else checks)
    resolver = resolver or KeyResolver()
    result = VerificationResult()
    result.checks.append("malformed")
    errors = vcmodel.credential_errors(document)
    if errors:
        for error in errors:
            result.fail("malformed", error)
        return result
    issuer_id = _issuer_id(document)
    bits = _status_bits(document, resolver) if "status" in wanted else {}
    if "proof" in wanted or "issuer" in wanted:
        result.checks.append("proof")
        try:
            proof = dataintegrity.proof_verify(document, resolve_key=resolver)
        except dataintegrity.ProofError as exc:
            result.fail(exc.check if exc.check in ("issuer", "malformed") else "proof", str(exc))
            proof = None
        if "issuer" in wanted:
            result.checks.append("issuer")
            if proof is not None and proof.controller != issuer_id:
                result.fail("issuer", _("The proof was not made with the issuer's key."))
    if "validity" in wanted:
        result.checks.append("validity")
        valid_from = vcmodel.parse_datetime(document.get("validFrom"))
        valid_until = vcmodel.parse_datetime(document.get("validUntil"))
        if valid_from and now < valid_from:
            result.fail("validity", _("The credential is not valid yet (validFrom)."))
            result.status = "not-yet-valid"
        if valid_until and now > valid_until:
            result.fail("validity", _("The credential has expired (validUntil)."))
            result.status = "expired"
    if "status" in wanted:
        _check_status(document, result, bits)
    if "related-resource" in wanted and "relatedResource" in document:
        _check_related_resources(document, result)
    if "issuer-trusted" in wanted:
        result.checks.append("issuer-trusted")
        if not isinstance(issuer_id, str) or resolver.issuer_multikey(issuer_id) is None:
            result.fail("issuer-trusted", _("The issuer %(did)s is unknown.") % {"did": issuer_id})
    return result


def presentation_verify(
    presentation,
    *,
    challenge: str | None,
    domain: str | None,
    now: datetime | None = None,
    checks: list[str] | tuple[str, ...] | None = None,
) -> VerificationResult:
    """A presentation's own checks (malformed, proof with purpose authentication, the expected
    challenge and domain, the signer is the holder) and, for every credential in it, the
    credential checks `checks` names (by default CREDENTIAL_CHECKS). Trust policy only when
    named: issuer-trusted (per credential) and holder-is-subject (the presentation's signer is
    the subject of every credential)."""
    wanted = set(CREDENTIAL_CHECKS if checks is None else checks)
    resolver = KeyResolver()
    result = VerificationResult()
    result.checks.append("malformed")
    for error in vcmodel.presentation_errors(presentation):
        result.fail("malformed", error)
    if result.errors:
        return result
    result.checks.extend(["proof", "challenge", "domain"])
    signer = None
    if challenge is None:
        result.fail("challenge", _("A challenge is required."))
    try:
        proof = dataintegrity.proof_verify(
            presentation,
            resolve_key=resolver,
            expected_purpose="authentication",
            expected_challenge=challenge,
            expected_domain=domain,
        )
        signer = proof.controller
    except dataintegrity.ProofError as exc:
        check = exc.check if exc.check in ("challenge", "domain", "malformed") else "proof"
        result.fail(check, str(exc))
    result.checks.append("holder")
    holder = presentation.get("holder")
    holder_id = holder.get("id") if isinstance(holder, dict) else holder
    if signer and holder_id and holder_id != signer:
        result.fail("holder", _("The presentation was signed by a key other than the holder's."))
    credential_checks = [c for c in CREDENTIAL_CHECK_NAMES if c in wanted]
    credentials = _as_list(presentation.get("verifiableCredential", []))
    for position, credential in enumerate(credentials, start=1):
        inner = credential_verify(credential, now=now, checks=credential_checks, resolver=resolver)
        for error in inner.errors:
            result.fail(
                error["check"],
                _("Credential %(n)s: %(message)s") % {"n": position, "message": error["message"]},
            )
        for warning in inner.warnings:
            result.warnings.append(
                {
                    "check": warning["check"],
                    "message": _("Credential %(n)s: %(message)s")
                    % {"n": position, "message": warning["message"]},
                }
            )
        if inner.status and not result.status:
            result.status = inner.status
        for check in inner.checks:
            if check not in result.checks:
                result.checks.append(check)
    if "holder-is-subject" in wanted:
        result.checks.append("holder-is-subject")
        for position, credential in enumerate(credentials, start=1):
            subjects = _as_list(credential.get("credentialSubject", []))
            subject_ids = {s.get("id") for s in subjects if isinstance(s, dict)}
            if signer and signer not in subject_ids:
                result.fail(
                    "holder-is-subject",
                    _(
                        "Credential %(n)s: the presentation was signed by a key other than the "
                        "credential subject's."
                    )
                    % {"n": position},
                )
    return result
