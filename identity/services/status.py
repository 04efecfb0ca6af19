import functools
import secrets
from collections.abc import Callable
from datetime import UTC

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, transaction
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


def status_list_capacity() -> int:
    """How many indexes a new list hands out (settings.IDENTITY_STATUS_LIST_CAPACITY)."""
    capacity = settings.IDENTITY_STATUS_LIST_CAPACITY
    if capacity < 1:
        raise ImproperlyConfigured("IDENTITY_STATUS_LIST_CAPACITY is at least 1")
    return capacity


def status_list_open(*, issuer: IssuerKey, number: int) -> dict[str, StatusList]:
    """The issuer's revocation and suspension lists numbered `number`, made, signed and
    anchored (version 1) if missing. Safe against a concurrent opener of the same number: its
    rows win the unique constraint (this waits for its commit) and are returned. In its own
    savepoint, joining the caller's transaction."""
    existing = {
        status_list.purpose: status_list
        for status_list in StatusList.objects.filter(issuer=issuer, number=number)
    }
    if len(existing) == len(StatusList.Purpose.values):
        _remember(issuer, number, existing[StatusList.Purpose.REVOCATION].capacity)
        return existing
    capacity = status_list_capacity()
    length = max(statuslist.MIN_LENGTH, -(-capacity // 8) * 8)
    try:
        with transaction.atomic():
            for purpose in StatusList.Purpose.values:
                if purpose not in existing:
                    existing[purpose] = StatusList(
                        issuer=issuer,
                        purpose=purpose,
                        number=number,
                        slug=status_list_slug(issuer=issuer, purpose=purpose, number=number),
                        bits=bytes(statuslist.empty(length)),
                        length=length,
                        capacity=capacity,
                    )
                    _publish(existing[purpose], is_new=True)
    # Opened meanwhile by another issue: committed before full_clean looked (its unique
    # check), or while this INSERT waited for it.
    except (IntegrityError, ValidationError):
        existing = {
            status_list.purpose: status_list
            for status_list in StatusList.objects.filter(issuer=issuer, number=number)
        }
        if len(existing) != len(StatusList.Purpose.values):
            raise
    _remember(issuer, number, existing[StatusList.Purpose.REVOCATION].capacity)
    return existing


@transaction.atomic
def status_lists_ensure(*, issuer: IssuerKey) -> dict[str, StatusList]:
    """The issuer's current (highest-numbered) revocation and suspension lists; list 1 is
    made, published and anchored (version 1) when the issuer has none."""
    number = (
        StatusList.objects.filter(issuer=issuer)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return status_list_open(issuer=issuer, number=number or 1)


def status_list_slug(*, issuer: IssuerKey, purpose: str, number: int = 1) -> str:
    """The slug (and so the URL) of an issuer's list: list 1 is `<issuer>-<purpose>` (as before
    lists were numbered), list n `<issuer>-<purpose>-<n>`."""
    if number == 1:
        return f"{issuer.slug}-{purpose}"
    return f"{issuer.slug}-{purpose}-{number}"


# Per process: issuer pk -> (number, capacity) of its current list as last seen, so that a
# first attempt reads nothing. Only ever a hint: the issue statement checks the list exists
# and the index is below its capacity, and a failed attempt forgets it (status_entry_forget).
_current_lists: dict[int, tuple[int, int]] = {}


def _remember(issuer: IssuerKey, number: int, capacity: int) -> None:
    if number >= _current_lists.get(issuer.pk, (0, 0))[0]:
        _current_lists[issuer.pk] = (number, capacity)


def _lists_capacities(*, issuer: IssuerKey) -> dict[int, int]:
    """number -> capacity of the issuer's lists (the revocation ones: both purposes of a number
    are made together, with the same capacity)."""
    capacities = dict(
        StatusList.objects.filter(issuer=issuer, purpose=StatusList.Purpose.REVOCATION).values_list(
            "number", "capacity"
        )
    )
    if capacities:
        _current_lists.pop(issuer.pk, None)
        _remember(issuer, max(capacities), capacities[max(capacities)])
    return capacities


def status_entry_draw(*, issuer: IssuerKey) -> tuple[tuple[int, int], bool]:
    """((list number, index), whether it was drawn from what this process last saw): a bare
    random index of the issuer's current list, for a first attempt (almost always free),
    reading nothing once the process knows the list. The issue statement settles it (unique
    constraint, list present, index below the list's capacity)."""
    remembered = _current_lists.get(issuer.pk)
    if remembered is not None:
        number, capacity = remembered
        return (number, secrets.randbelow(capacity)), True
    capacities = _lists_capacities(issuer=issuer)
    number = max(capacities, default=1)
    return (number, secrets.randbelow(capacities.get(number) or status_list_capacity())), False


def status_entry_forget(*, issuer: IssuerKey) -> None:
    """Drops what this process remembered of the issuer's current list (a stale hint)."""
    _current_lists.pop(issuer.pk, None)


def status_entries_allocate(
    *, issuer: IssuerKey, count: int, excluding: frozenset[tuple[int, int]] = frozenset()
) -> list[tuple[int, int]]:
    """`count` distinct (list number, index) pairs no credential of the issuer held when this
    looked, random within each list (herd privacy: indexes say nothing about issue order).
    None of them is in `excluding` (entries a batch keeps but has not written yet: those
    would otherwise look free).

    From the current (highest-numbered) list; what it lacks comes from the next list, which
    may not exist yet (the insert opens it: status_list_open), and so on. The unique
    constraint (issuer, list number, index) settles races: an issue that finds an entry taken
    allocates again."""
    capacities = _lists_capacities(issuer=issuer)
    number = max(capacities, default=1)
    entries: list[tuple[int, int]] = []
    while len(entries) < count:
        wanted = count - len(entries)
        held = frozenset(index for held_number, index in excluding if held_number == number)
        if number in capacities:
            free = _free_indexes(
                issuer=issuer,
                number=number,
                capacity=capacities[number],
                count=wanted,
                excluding=held,
            )
        else:
            capacity = status_list_capacity()
            drawn = secrets.SystemRandom().sample(
                range(capacity), min(wanted + len(held), capacity)
            )
            free = [index for index in drawn if index not in held][:wanted]
        entries += [(number, index) for index in free]
        number += 1
    return entries


# Random draws checked in one read, a few rounds, each drawing as many more as the last
# round's share of taken indexes says it needs (at most FREE_DRAW_MAX); then, the list
# nearly full, the exact set of its free indexes in one read.
FREE_DRAW_ROUNDS = 3
FREE_DRAW_MAX = 4096
FREE_SHARE_EXACT = 1 / 16  # below this share free, the exact read (~60 ms at 131,072) is cheaper

_FREE_EXACT_SQL = (
    "SELECT position FROM generate_series(0, %s - 1) AS position "  # noqa: S608
    "WHERE NOT (position = ANY(%s::int[])) AND NOT EXISTS (SELECT 1 FROM "
    f"{Credential._meta.db_table} AS credential WHERE credential.issuer_id = %s "
    "AND credential.status_list_number = %s AND credential.status_index = position) "
    "ORDER BY random() LIMIT %s"
)


def _free_indexes(
    *,
    issuer: IssuerKey,
    number: int,
    capacity: int,
    count: int,
    excluding: frozenset[int] = frozenset(),
) -> list[int]:
    """Up to `count` distinct random indexes of list `number` that no credential held when this
    looked, none in `excluding`; fewer only when the list has fewer free."""
    rng = secrets.SystemRandom()
    chosen: set[int] = set()
    free_share = 0.5  # a guess for the first round: twice what is missing
    for _round in range(FREE_DRAW_ROUNDS):
        missing = count - len(chosen)
        size = min(FREE_DRAW_MAX, int(missing / max(free_share, 1 / 64) * 1.2) + 1)
        drawn = set(rng.sample(range(capacity), min(capacity, size + len(chosen) + len(excluding))))
        drawn -= chosen | excluding
        taken = set(
            Credential.objects.filter(
                issuer=issuer, status_list_number=number, status_index__in=drawn
            ).values_list("status_index", flat=True)
        )
        free = sorted(drawn - taken)
        free_share = len(free) / len(drawn) if drawn else 0.0
        chosen |= set(rng.sample(free, min(missing, len(free))))
        if len(chosen) == count:
            return rng.sample(sorted(chosen), count)
        if free_share < FREE_SHARE_EXACT and len(drawn) >= 64:  # a share worth trusting
            break
    with connection.cursor() as cursor:
        cursor.execute(
            _FREE_EXACT_SQL,
            [capacity, sorted(chosen | excluding), issuer.pk, number, count - len(chosen)],
        )
        chosen |= {row[0] for row in cursor.fetchall()}
    return rng.sample(sorted(chosen), len(chosen))


def status_entries(*, issuer: IssuerKey, number: int, index: int) -> list[dict]:
    """The credential's BitstringStatusListEntry entries, one per purpose, on lists `number`.
    Reads nothing: the issue checks that the lists exist (status_list_open makes them)."""
    return status_entries_for(issuer=issuer)(number, index)


def status_entries_for(*, issuer: IssuerKey) -> Callable[[int, int], list[dict]]:
    """`status_entries` of one issuer as a function of the list number and index, each list's
    URL worked out once (for a batch of credentials)."""

    @functools.cache
    def urls(number: int) -> list[tuple[str, str]]:
        return [
            (
                purpose,
                _status_list_url(status_list_slug(issuer=issuer, purpose=purpose, number=number)),
            )
            for purpose in StatusList.Purpose.values
        ]

    def entries(number: int, index: int) -> list[dict]:
        return [
            {
                "id": f"{url}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(index),
                "statusListCredential": url,
            }
            for purpose, url in urls(number)
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
    for status_list in StatusList.objects.select_for_update().filter(
        issuer=credential.issuer, number=credential.status_list_number
    ):
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
