"""KYC level from B Pass and the rolling caps it sets."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange import limits
from identity.selectors import user_has_valid_credential

KYC_TYPE = "ExchangeKycCredential"


def kyc_level(*, user) -> int:
    """The highest kycLevel of the user's valid ExchangeKycCredential, 0 without one."""
    for level in (3, 2, 1):
        if user_has_valid_credential(
            user=user, credential_type=KYC_TYPE, claims={"kycLevel": level}
        ):
            return level
    return 0


def require_kyc(*, user) -> limits.Limits:
    level = kyc_level(user=user)
    if level == 0:
        raise ValidationError(
            {"kyc": _("Trading needs a valid exchange KYC credential from B Pass.")},
            code="no_kyc",
        )
    return limits.limits_for(level)


def check_trade_cap(*, user, caps: limits.Limits, notional_krw: int) -> None:
    """Refuses an order whose KRW value would pass the 24-hour or 30-day trading cap."""
    from exchange.models import Order

    now = timezone.now()
    for window, cap in (
        (timedelta(hours=24), caps.trade_24h),
        (timedelta(days=30), caps.trade_30d),
    ):
        used = (
            Order.objects.filter(
                owner=user, created_at__gte=now - window, market__quote__symbol="KRW"
            ).aggregate(total=Sum("filled_quote"))["total"]
            or 0
        )
        if used + notional_krw > cap:
            raise ValidationError(
                {"quantity": _("This order would pass your trading limit for your KYC level.")},
                code="over_limit",
            )
