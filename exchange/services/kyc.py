"""KYC level from B Pass and the rolling caps it sets."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from exchange import limits
from identity.selectors import credential_claims_valid_for, valid_credential_claims_sql

KYC_TYPE = "ExchangeKycCredential"


def kyc_level(*, user) -> int:
    """The highest kycLevel of the user's valid ExchangeKycCredential, 0 without one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    # One query; the same answer as user_has_valid_credential(claims={"kycLevel": n}).
    levels = [
        claims.get("kycLevel")
        for claims in credential_claims_valid_for(user=user, credential_type=KYC_TYPE)
    ]
    return max((lv for lv in levels if isinstance(lv, int) and not isinstance(lv, bool)), default=0)


def kyc_level_sql(*, holder: str, now: str) -> str:
    """`kyc_level` as an SQL expression (PostgreSQL) over the caller's SQL expressions for the
    user's pk and the time, for a statement that reads it beside what it locks. Like
    kyc_level, only integer kycLevel claims count (not 2.5, not true, not "2")."""
    claims = valid_credential_claims_sql(holder=holder, credential_type=f"'{KYC_TYPE}'", now=now)
    level = "kyc.claims -> 'kycLevel'"
    integer = f"jsonb_typeof({level}) = 'number' AND ({level})::text ~ '^-?[0-9]+$'"
    maximum = f"COALESCE(MAX(CASE WHEN {integer} THEN ({level})::text::numeric END), 0)"
    return f"(SELECT {maximum} FROM ({claims}) AS kyc)"  # noqa: S608 (SQL expressions only)


def no_kyc_error() -> ValidationError:
    message = _("Trading needs a valid exchange KYC credential from B Pass.")
    return ValidationError({"kyc": ValidationError(message, code="no_kyc")})


def require_kyc(*, user, level: int | None = None) -> limits.Limits:
    """The caps of the user's KYC level (`level` if the caller read it already); refuses a
    user without a valid exchange KYC credential (ValidationError naming `kyc`)."""
    if level is None:
        level = kyc_level(user=user)
    if level <= 0:
        raise no_kyc_error()
    return limits.limits_for(level)
