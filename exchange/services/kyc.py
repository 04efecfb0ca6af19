"""KYC level from B Pass and the rolling caps it sets."""

from django.core.exceptions import ValidationError
from django.db.models import Func, IntegerField
from django.utils.translation import gettext_lazy as _

from exchange import limits
from identity.selectors import credential_claims_valid_for

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


class KycLevel(Func):
    """`kyc_level` as an ORM expression over the user's pk and the time, by the SQL function
    `exchange_kyc_level` (migration 0015; raw SQL writes `(SELECT level FROM
    exchange_kyc_level(holder, at))`). Like kyc_level, only integer kycLevel claims count."""

    template = "(SELECT LEAST(level, 2147483647)::integer FROM exchange_kyc_level(%(expressions)s))"
    arity = 2
    output_field = IntegerField()


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
