"""Verification of credentials and presentations (reads only; the replay guard is a service).

Every check is named so that a verifier sees what passed and what failed:
malformed, proof, issuer, validity, status (credentials); presentation, challenge, domain,
holder (presentations).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from identity import dataintegrity, multikey, statuslist, vcmodel
from identity.models import IssuerKey, StatusList


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


def resolve_key(verification_method: str):
    """The public key of a did:key, or of an issuer whose did:web document this portal serves."""
    if verification_method.startswith("did:key:"):
        try:
            return multikey.did_key_public(verification_method)
        except multikey.KeyError_ as exc:
            raise dataintegrity.ProofError(str(exc), check="issuer") from exc
    did, _sep, fragment = verification_method.partition("#")
    issuer = IssuerKey.objects.filter(did=did).first()
    if issuer is None or fragment != "key-1":
        raise dataintegrity.ProofError(
            f"unknown verification method {verification_method!r}", check="issuer"
        )
    return multikey.decode_public_multikey(issuer.public_key_multibase)


def _issuer_id(document: dict) -> str | None:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _check_status(document: dict, result: VerificationResult) -> None:
    entries = [e for e in _as_list(document.get("credentialStatus", [])) if isinstance(e, dict)]
    result.checks.append("status")
    for entry in entries:
        if entry.get("type") != "BitstringStatusListEntry":
            result.warnings.append(
                {"check": "status", "message": f"status type {entry.get('type')!r} not checked"}
            )
            continue
        url = entry.get("statusListCredential", "")
        slug = str(url).rstrip("/").rsplit("/", 1)[-1]
        status_list = StatusList.objects.filter(slug=slug).select_related("issuer").first()
        if status_list is None or status_list.credential.get("id") != url:
            result.fail("status", _("The status list %(url)s is unknown.") % {"url": url})
            continue
        try:
            index = int(entry.get("statusListIndex"))
            is_set = statuslist.get_bit(bytes(status_list.bits), index)
        except (TypeError, ValueError, statuslist.StatusListError):
            result.fail("status", _("The status list index is not valid."))
            continue
        if is_set and status_list.purpose == StatusList.Purpose.REVOCATION:
            result.status = "revoked"
            result.fail("status", _("The credential has been revoked."))
        elif is_set:
            result.status = result.status or "suspended"
            result.fail("status", _("The credential is suspended."))


def credential_verify(
    document, *, now: datetime | None = None, checks: list[str] | None = None
) -> VerificationResult:
    """All checks of one credential. `checks` limits them (the W3C runner asks for ["proof"])."""
    now = now or timezone.now()
    wanted = set(checks or ["proof", "issuer", "validity", "status"])
    result = VerificationResult()
    result.checks.append("malformed")
    errors = vcmodel.credential_errors(document)
    if errors:
        for error in errors:
            result.fail("malformed", error)
        return result
    if "proof" in wanted or "issuer" in wanted:
        result.checks.append("proof")
        try:
            proof = dataintegrity.proof_verify(document, resolve_key=resolve_key)
        except dataintegrity.ProofError as exc:
            result.fail(exc.check if exc.check in ("issuer", "malformed") else "proof", str(exc))
            proof = None
        if "issuer" in wanted:
            result.checks.append("issuer")
            issuer_id = _issuer_id(document)
            if not IssuerKey.objects.filter(did=issuer_id).exists():
                if not any(e["check"] == "issuer" for e in result.errors):
                    result.fail("issuer", _("The issuer %(did)s is unknown.") % {"did": issuer_id})
            elif proof is not None and proof.controller != issuer_id:
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
        _check_status(document, result)
    return result


def presentation_verify(
    presentation,
    *,
    challenge: str | None,
    domain: str | None,
    now: datetime | None = None,
) -> VerificationResult:
    """All checks of a presentation and of every credential in it.

    The presentation's proof (purpose authentication) must carry the expected challenge and
    domain; its signer must be the holder and the subject of every credential.
    """
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
            resolve_key=resolve_key,
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
    credentials = _as_list(presentation.get("verifiableCredential", []))
    for position, credential in enumerate(credentials, start=1):
        inner = credential_verify(credential, now=now)
        for error in inner.errors:
            result.fail(
                error["check"],
                _("Credential %(n)s: %(message)s") % {"n": position, "message": error["message"]},
            )
        if inner.status and not result.status:
            result.status = inner.status
        for check in inner.checks:
            if check not in result.checks:
                result.checks.append(check)
        subjects = _as_list(credential.get("credentialSubject", []))
        subject_ids = {s.get("id") for s in subjects if isinstance(s, dict)}
        if signer and signer not in subject_ids:
            result.fail(
                "holder",
                _(
                    "Credential %(n)s: the presentation was signed by a key other than the "
                    "credential subject's."
                )
                % {"n": position},
            )
    return result
