"""KYC level from B Pass and the rolling caps it sets."""

from django.core.exceptions import ValidationError
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


def require_kyc(*, user) -> limits.Limits:
    level = kyc_level(user=user)
    if level == 0:
        raise ValidationError(
            {"kyc": _("Trading needs a valid exchange KYC credential from B Pass.")},
            code="no_kyc",
        )
    return limits.limits_for(level)
