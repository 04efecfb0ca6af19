"""KYC level from B Pass and the rolling caps it sets."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange import limits
from identity.selectors import credentials_valid_for

KYC_TYPE = "ExchangeKycCredential"


def kyc_level(*, user) -> int:
    """The highest kycLevel of the user's valid ExchangeKycCredential, 0 without one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    # One query; the same answer as user_has_valid_credential(claims={"kycLevel": n}).
    levels = [
        credential.claims.get("kycLevel")
        for credential in credentials_valid_for(user=user, credential_type=KYC_TYPE)
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


def check_trade_cap(*, user, caps: limits.Limits, notional_krw: int) -> None:
    """Refuses an order whose KRW value would pass the 24-hour or 30-day trading cap."""
    from exchange.models import Order

    now = timezone.now()
    used = Order.objects.filter(
        owner=user, created_at__gte=now - timedelta(days=30), market__quote__symbol="KRW"
    ).aggregate(
        day=Sum("filled_quote", filter=Q(created_at__gte=now - timedelta(hours=24))),
        month=Sum("filled_quote"),
    )
    if (used["day"] or 0) + notional_krw > caps.trade_24h or (
        used["month"] or 0
    ) + notional_krw > caps.trade_30d:
        raise ValidationError(
            {"quantity": _("This order would pass your trading limit for your KYC level.")},
            code="over_limit",
        )
