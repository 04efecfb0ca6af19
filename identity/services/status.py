import secrets
from collections.abc import Callable
from datetime import UTC

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.chain.services import anchor_record
from identity import dataintegrity, keystore, statuslist
from identity.models import Credential, IssuerKey, StatusChange, StatusList

from .credentials import document_digest, site_url_for


def status_list_url(status_list: StatusList) -> str:
    return _status_list_url(status_list.slug)


def _status_list_url(slug: str) -> str:
    return site_url_for("identity:status-list", slug=slug)


def _iso(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign_list(status_list: StatusList) -> dict:
    url = status_list_url(status_list)
    issuer = status_list.issuer
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did,
        "validFrom": _iso(timezone.now()),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": statuslist.encode(bytes(status_list.bits)),
        },
    }
    return dataintegrity.proof_create(
        document,
        private_key=keystore.issuer_private_key(issuer.private_key_encrypted),
        verification_method=issuer.verification_method,
        created=document["validFrom"],
    )


def _publish(status_list: StatusList, *, is_new: bool) -> None:
    """Re-signs the list and anchors its new version (the digest of the signed list only)."""
    if not is_new:
        status_list.version += 1
    status_list.credential = _sign_list(status_list)
    status_list.full_clean()
    status_list.save()
    anchor_record(
        kind="identity.status_list",
        ref=status_list.slug,
        version=status_list.version,
        data={"statusListCredentialDigest": document_digest(status_list.credential)},
        public=True,
    )


@transaction.atomic
def status_lists_ensure(*, issuer: IssuerKey) -> dict[str, StatusList]:
    """The issuer's revocation and suspension lists (131,072 entries), created and published once.

    Anchors version 1 of each new list.
    """
    lists = {}
    for purpose in StatusList.Purpose.values:
        existing = StatusList.objects.filter(issuer=issuer, purpose=purpose).first()
        if existing is None:
            existing = StatusList(
                issuer=issuer,
                purpose=purpose,
                slug=status_list_slug(issuer=issuer, purpose=purpose),
                bits=bytes(statuslist.empty(statuslist.MIN_LENGTH)),
                length=statuslist.MIN_LENGTH,
            )
            _publish(existing, is_new=True)
        lists[purpose] = existing
    return lists


def status_list_slug(*, issuer: IssuerKey, purpose: str) -> str:
    """The slug (and so the URL) of an issuer's list: fixed when the list is created."""
    return f"{issuer.slug}-{purpose}"


def status_index_allocate(*, issuer: IssuerKey, check_free: bool = True) -> int:
    """A random index (herd privacy: indexes say nothing about issue order).

    With `check_free`, one no credential of the issuer held when this looked (a read per
    draw); without, a bare draw, for a first attempt (almost always free). Either way the
    unique constraint (issuer, status_index) settles it: an issue that finds the index taken
    retries (services.credentials._store_with_status_index).
    """
    if not check_free:
        return secrets.randbelow(statuslist.MIN_LENGTH)
    for _attempt in range(50):
        index = secrets.randbelow(statuslist.MIN_LENGTH)
        if not Credential.objects.filter(issuer=issuer, status_index=index).exists():
            return index
    raise ValidationError({"credentialStatus": _("The status list is full.")})


def status_entries(*, issuer: IssuerKey, index: int) -> list[dict]:
    """The credential's BitstringStatusListEntry entries, one per purpose. Reads nothing: the
    issue statement checks that the lists exist (status_lists_ensure makes them)."""
    return status_entries_for(issuer=issuer)(index)


def status_entries_for(*, issuer: IssuerKey) -> Callable[[int], list[dict]]:
    """`status_entries` of one issuer as a function of the index, the lists' URLs worked out
    once (for a batch of credentials)."""
    urls = [
        (purpose, _status_list_url(status_list_slug(issuer=issuer, purpose=purpose)))
        for purpose in StatusList.Purpose.values
    ]

    def entries(index: int) -> list[dict]:
        return [
            {
                "id": f"{url}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(index),
                "statusListCredential": url,
            }
            for purpose, url in urls
        ]

    return entries


def _set_status(
    *, credential: Credential, status: str, reason: str, by, require: str | None = None
) -> Credential:
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if require and credential.status != require:
        raise ValidationError({"status": _("Only a suspended credential can be reinstated.")})
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    if credential.status_index is None:
        raise ValidationError({"status": _("This credential has no status list entry.")})
    if credential.status == Credential.Status.REVOKED:
        raise ValidationError({"status": _("A revoked credential cannot change any more.")})
    if credential.status == status:
        raise ValidationError({"status": _("The credential already has this status.")})
    wanted = {
        StatusList.Purpose.REVOCATION: status == Credential.Status.REVOKED,
        StatusList.Purpose.SUSPENSION: status == Credential.Status.SUSPENDED,
    }
    for status_list in StatusList.objects.select_for_update().filter(issuer=credential.issuer):
        bits = bytearray(status_list.bits)
        current = statuslist.get_bit(bits, credential.status_index)
        if current != wanted[status_list.purpose]:
            statuslist.set_bit(bits, credential.status_index, wanted[status_list.purpose])
            status_list.bits = bytes(bits)
            _publish(status_list, is_new=False)
    credential.status = status
    credential.status_reason = reason.strip()[:500]
    credential.version += 1
    credential.full_clean()
    credential.save(update_fields=["status", "status_reason", "version"])
    change = StatusChange(credential=credential, status=status, reason=credential.status_reason)
    change.changed_by = by
    change.full_clean()
    change.save()
    anchor_record(
        kind="identity.credential",
        ref=str(credential.public_id),
        version=credential.version,
        data={"credentialDigest": credential.digest, "status": status},
        public=True,
    )
    return credential


@transaction.atomic
def credential_revoke(*, credential: Credential, reason: str, by=None) -> Credential:
    """Revokes for good: sets the revocation bit, re-signs and anchors the list, anchors the
    credential's new version (digest + status only) and records who and why."""
    return _set_status(
        credential=credential, status=Credential.Status.REVOKED, reason=reason, by=by
    )


@transaction.atomic
def credential_suspend(*, credential: Credential, reason: str, by=None) -> Credential:
    """Suspends (reversibly): sets the suspension bit; otherwise as credential_revoke."""
    return _set_status(
        credential=credential, status=Credential.Status.SUSPENDED, reason=reason, by=by
    )


@transaction.atomic
def credential_reinstate(*, credential: Credential, reason: str, by=None) -> Credential:
    """Lifts a suspension: clears the suspension bit; otherwise as credential_revoke."""
    return _set_status(
        credential=credential,
        status=Credential.Status.ACTIVE,
        reason=reason,
        by=by,
        require=Credential.Status.SUSPENDED,
    )
