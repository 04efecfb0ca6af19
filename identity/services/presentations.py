import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.chain.services import anchor_record
from identity import dataintegrity, verification
from identity.models import (
    CHALLENGE_LIFETIME,
    REQUEST_LIFETIME,
    Challenge,
    ConsentReceipt,
    Credential,
    PresentationRequest,
)

from .credentials import _iso, document_digest
from .keys import wallet_key, wallet_open

VC_V2 = "https://www.w3.org/ns/credentials/v2"


@transaction.atomic
def presentation_request_create(
    *,
    verifier,
    purpose: str,
    credential_types: list[str],
    claims: list[str],
    domain: str,
    lifetime: timedelta = REQUEST_LIFETIME,
) -> PresentationRequest:
    """A verifier's request for credentials, with a fresh single-use challenge, answerable
    for `lifetime` (10 minutes unless told)."""
    from identity.credential_types import TYPES

    if not credential_types or not all(t in TYPES for t in credential_types):
        raise ValidationError({"credential_types": _("Choose one or more credential types.")})
    if lifetime <= timedelta(0):
        raise ValidationError({"lifetime": _("A request must stay open for some time.")})
    challenge = challenge_issue(lifetime=lifetime)
    request = PresentationRequest(
        verifier=verifier,
        purpose=purpose,
        credential_types=list(dict.fromkeys(credential_types)),
        claims=list(dict.fromkeys(claims)),
        challenge=challenge.challenge,
        domain=domain,
        expires_at=challenge.expires_at,
    )
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def challenge_issue(*, lifetime: timedelta = CHALLENGE_LIFETIME) -> Challenge:
    """A fresh random challenge B Pass will accept once, within `lifetime` (10 minutes)."""
    if lifetime <= timedelta(0):
        raise ValidationError({"lifetime": _("A challenge must stay valid for some time.")})
    challenge = Challenge(challenge=secrets.token_urlsafe(24), expires_at=timezone.now() + lifetime)
    challenge.full_clean(validate_unique=False)  # 192 random bits; the constraint backs it
    challenge.save()
    return challenge


def matching_credentials(*, holder, request: PresentationRequest) -> list[Credential]:
    """The holder's credential of each requested type: the newest valid one, else the newest
    one held (a revoked or suspended copy is still presented, and the verifier sees why it
    fails)."""
    from identity.selectors import credentials_valid_for

    found = []
    for credential_type in request.credential_types:
        candidates = credentials_valid_for(user=holder, credential_type=credential_type) or list(
            Credential.objects.filter(holder=holder, credential_type=credential_type)
            .select_related("issuer")
            .order_by("-issued_at", "-pk")[:1]
        )
        if candidates:
            found.append(candidates[0])
    return found


def _issued_challenge_locked(challenge: str | None) -> Challenge | None:
    """The B Pass-issued challenge row, locked so that two presentations cannot both use it;
    None for a challenge B Pass never issued. Refuses a used or expired one."""
    if not challenge:
        return None
    issued = Challenge.objects.select_for_update().filter(challenge=challenge).first()
    if issued is None:
        return None
    if issued.used_at is not None:
        message = _("This challenge has already been used (a replayed presentation).")
        raise ValidationError({"challenge": ValidationError(message, code="challenge_used")})
    if issued.is_expired:
        message = _("This challenge expired; ask the verifier for a new one.")
        raise ValidationError({"challenge": ValidationError(message, code="challenge_expired")})
    return issued


def _use_challenge(issued: Challenge | None) -> None:
    if issued is not None:
        issued.used_at = timezone.now()
        issued.save(update_fields=["used_at"])


@transaction.atomic
def presentation_verify_once(
    *, presentation, challenge: str | None, domain: str | None, checks=None
):
    """Verifies a presentation. A challenge B Pass issued is used up by a verified
    presentation (it locks the challenge row, so two at once cannot both pass) and refused
    once used or expired (ValidationError, nothing changed); a challenge B Pass never issued
    is only matched against the proof, and nothing is stored.

    `checks` as verification.presentation_verify. Returns the VerificationResult.
    """
    issued = _issued_challenge_locked(challenge)
    result = verification.presentation_verify(
        presentation, challenge=challenge, domain=domain, checks=checks
    )
    if result.verified:
        _use_challenge(issued)
    return result


@transaction.atomic
def presentation_respond(*, request: PresentationRequest, holder, consent: bool):
    """The holder's answer to a presentation request.

    On consent: a Verifiable Presentation of the matching credentials is signed with the
    holder's did:key (challenge + domain of the request), verified at once, and the request
    gets the result. Either way a consent receipt is kept and its digest anchored.
    Refused, storing nothing, when the request is already answered or has expired.
    """
    request = PresentationRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != PresentationRequest.Status.PENDING:
        raise ValidationError({"request": _("This request has already been answered.")})
    if request.is_expired:
        raise ValidationError(
            {
                "request": _("This request expired at %(time)s. Ask the verifier for a new one.")
                % {"time": timezone.localtime(request.expires_at).strftime("%H:%M")}
            }
        )
    wallet = wallet_open(user=holder)
    credentials = matching_credentials(holder=holder, request=request) if consent else []
    if consent and len(credentials) != len(request.credential_types):
        raise ValidationError({"request": _("You do not hold every credential requested.")})
    result: dict = {}
    if consent:
        pair = wallet_key(wallet)
        presentation = {
            "@context": [VC_V2],
            "type": ["VerifiablePresentation"],
            "holder": wallet.did,
            "verifiableCredential": [c.document for c in credentials],
        }
        signed = dataintegrity.proof_create(
            presentation,
            private_key=pair.private_key,
            verification_method=pair.verification_method,
            proof_purpose="authentication",
            challenge=request.challenge,
            domain=request.domain,
            created=_iso(timezone.now()),
        )
        issued = _issued_challenge_locked(request.challenge)
        outcome = verification.presentation_verify(
            signed,
            challenge=request.challenge,
            domain=request.domain,
            checks=verification.PORTAL_PRESENTATION_CHECKS,
        )
        if outcome.verified:
            _use_challenge(issued)
        result = {**outcome.as_dict(), "status": outcome.status or "active"}
        result["credentials"] = [
            {
                "type": c.credential_type,
                "issuer": c.issuer.name,
                "issuer_ko": c.issuer.name_ko,
                "claims": {k: v for k, v in c.claims.items() if k in request.claims}
                if request.claims
                else c.claims,
            }
            for c in credentials
        ]
        request.status = (
            PresentationRequest.Status.VERIFIED
            if outcome.verified
            else PresentationRequest.Status.FAILED
        )
    else:
        request.status = PresentationRequest.Status.DECLINED
    request.result = result
    request.holder = holder
    request.completed_at = timezone.now()
    request.full_clean()
    request.save(update_fields=["status", "result", "holder", "completed_at"])
    shared = {
        "request": str(request.public_id),
        "verifier": str(request.verifier.public_id),
        "domain": request.domain,
        "credentials": [str(c.public_id) for c in credentials],
        "claims": list(request.claims),
        "at": _iso(request.completed_at),
    }
    receipt = ConsentReceipt(
        request=request,
        holder=holder,
        decision=ConsentReceipt.Decision.CONSENTED if consent else ConsentReceipt.Decision.DECLINED,
        shared=shared,
        digest=document_digest(shared),
    )
    receipt.full_clean()
    receipt.save()
    anchor_record(
        kind="identity.consent",
        ref=str(receipt.public_id),
        version=1,
        data={"consentDigest": receipt.digest},
        public=True,
    )
    return request
