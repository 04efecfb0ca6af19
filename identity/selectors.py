"""Reads of B Pass. Other apps ask `user_has_valid_credential`; nothing else of identity."""

from django.db import connection
from django.db.models import BooleanField, Func, Q, QuerySet
from django.utils import timezone

from busanhub.db import PreparedStatement
from identity.models import Credential, CredentialApplication, PresentationRequest

_ACTIVE_COUNT = PreparedStatement(
    "bpass_active_credential_count",
    f"SELECT count(*) FROM {Credential._meta.db_table} "  # noqa: S608 - a model's table
    "WHERE holder_id = %(holder)s AND status = %(status)s",
    params=[("holder", "bigint"), ("status", "text")],
)


def credentials_active_count(*, user) -> int:
    """How many active credentials the user holds (the /me/ panel, on every visit: a prepared
    statement, no ORM query to build)."""
    with connection.cursor() as cursor:
        rows = _ACTIVE_COUNT.execute(cursor, holder=user.pk, status=Credential.Status.ACTIVE.value)
    return rows[0][0]


def _valid_now(*, user, credential_type: str) -> QuerySet[Credential]:
    now = timezone.now()
    return (
        Credential.objects.filter(
            holder=user, credential_type=credential_type, status=Credential.Status.ACTIVE
        )
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    )


def credentials_valid_for(*, user, credential_type: str) -> list[Credential]:
    """The user's active credentials of a type, valid now, newest first."""
    return list(
        _valid_now(user=user, credential_type=credential_type)
        .select_related("issuer")
        .order_by("-issued_at", "-pk")
    )


def credential_claims_valid_for(*, user, credential_type: str) -> list[dict]:
    """The claims of the user's active credentials of a type, valid now, newest first.

    Reads the claims column only: payments and orders ask this on their hot path, and loading
    whole credentials (the signed document, the issuer) cost them about a millisecond each.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        _valid_now(user=user, credential_type=credential_type)
        .order_by("-issued_at", "-pk")
        .values_list("claims", flat=True)
    )


def _claim_matches(held, wanted) -> bool:
    # Numbers mean "at least" (a KYC level 3 satisfies a request for level 2).
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        return isinstance(held, int) and not isinstance(held, bool) and held >= wanted
    return held == wanted


def user_has_valid_credential(*, user, credential_type: str, claims: dict | None = None) -> bool:
    """Does `user` hold an active, currently valid credential of `credential_type` whose claims
    include `claims`? Strings and other values compare equal; integers compare as minimums.

    The status is the one the status lists publish (revoked and suspended credentials fail).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not claims:
        return _valid_now(user=user, credential_type=credential_type).exists()
    return any(
        all(key in held and _claim_matches(held[key], value) for key, value in claims.items())
        for held in credential_claims_valid_for(user=user, credential_type=credential_type)
    )


# For other apps' hand-written SQL: identity_credential_claims_valid(holder, type, at), an SQL
# function (migration 0004) that PostgreSQL inlines into the calling statement.
CREDENTIAL_CLAIMS_VALID = "identity_credential_claims_valid"


class ValidCredentialExists(Func):
    """`user_has_valid_credential` without claims as an ORM expression over three expressions:
    the holder's pk, the credential type and the time (`ValidCredentialExists(F("user_id"),
    Value("BusanResidentCredential"), Now())`). Raw SQL writes the same as
    `EXISTS (SELECT FROM identity_credential_claims_valid(holder, type, at))`."""

    template = f"EXISTS (SELECT FROM {CREDENTIAL_CLAIMS_VALID}(%(expressions)s))"
    arity = 3
    output_field = BooleanField()


def credentials_for_holder(*, user) -> QuerySet[Credential]:
    return Credential.objects.filter(holder=user).select_related("issuer").order_by("-issued_at")


def credential_display_status(credential: Credential) -> str:
    """active / suspended / revoked / expired / not-yet-valid, as the wallet shows it."""
    if credential.status != Credential.Status.ACTIVE:
        return credential.status
    now = timezone.now()
    if credential.valid_until and credential.valid_until <= now:
        return "expired"
    if credential.valid_from and credential.valid_from > now:
        return "not-yet-valid"
    return "active"


def applications_for(*, user) -> QuerySet[CredentialApplication]:
    return CredentialApplication.objects.filter(applicant=user).order_by("-created_at")


def requests_for_verifier(*, user) -> QuerySet[PresentationRequest]:
    return PresentationRequest.objects.filter(verifier=user).order_by("-created_at")


def anchor_digest_for(credential: Credential) -> str | None:
    """The digest of the credential's newest anchored version (for the chain:verify page)."""
    from busanhub.chain.models import AnchorLeaf

    leaf = (
        AnchorLeaf.objects.filter(kind="identity.credential", ref=str(credential.public_id))
        .order_by("-version")
        .only("digest")
        .first()
    )
    return leaf.digest if leaf else None


def credential_verification(document) -> dict:
    """The portal's checks of a credential document (the verification checks of
    /vc-api/credentials/verify and the trust policy issuer-trusted), as the VC-API reports
    them, plus `status` (revoked, suspended, expired … or "")."""
    from identity.verification import PORTAL_CREDENTIAL_CHECKS, credential_verify

    result = credential_verify(document, checks=PORTAL_CREDENTIAL_CHECKS)
    return {**result.as_dict(), "status": result.status}


# The application fields a citizen's earlier applications can fill in again. The document is
# left out (each type accepts other documents), and so is the birth date (never stored).
_REUSABLE_FIELDS = (
    "district",
    "residentSince",
    "university",
    "programme",
    "studentUntil",
    "kycLevel",
    "businessNumber",
    "category",
    "tier",
    "address",
    "student_number",
    "full_name",
)


def application_initial_for(*, user) -> dict:
    """What the application form can pre-fill: the newest value of each field from the
    citizen's earlier applications (a rejected one still says where they live or study), and
    the profile's name where no application gave one."""
    initial: dict = {}
    earlier = (
        CredentialApplication.objects.filter(applicant=user)
        .order_by("-created_at", "-pk")
        .values_list("claims", "evidence_details")[:20]
    )
    for claims, details in earlier:
        for source in (claims, details):
            for key, value in (source or {}).items():
                if key in _REUSABLE_FIELDS and value not in (None, "") and key not in initial:
                    initial[key] = value
    if user.name and "full_name" not in initial:
        initial["full_name"] = user.name
    return initial
