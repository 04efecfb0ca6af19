import factory

from busanhub.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from exchange.models import Asset, FeeTier, Market

__all__ = ["PASSWORD", "StaffFactory", "UserFactory", "kyc_user", "market_eth_krw"]

ETH = 10**9  # the ledger counts ether in gwei


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset
        django_get_or_create = ("symbol",)

    symbol = "KRW"
    name = "Korean won"
    kind = Asset.Kind.FIAT
    decimals = 0


def market_eth_krw(**kwargs) -> Market:
    """ETH-KRW: price in KRW per ETH, tick 1,000 KRW, lot 0.001 ETH (10**6 gwei), minimum
    5,000 KRW."""
    krw = AssetFactory(symbol="KRW", name="Korean won", kind=Asset.Kind.FIAT, decimals=0)
    eth = AssetFactory(
        symbol="ETH", name="Ether", kind=Asset.Kind.NATIVE, decimals=9, chain_decimals=18
    )
    defaults = {
        "symbol": "ETH-KRW",
        "base": eth,
        "quote": krw,
        "tick_size": 1_000,
        "lot_size": 10**6,
        "min_notional": 5_000,
        "status": Market.Status.OPEN,
    }
    defaults.update(kwargs)
    market, _ = Market.objects.get_or_create(symbol=defaults.pop("symbol"), defaults=defaults)
    return market


def fee_tiers():
    FeeTier.objects.get_or_create(
        name="base", defaults={"min_volume_30d": 0, "maker_bps": 10, "taker_bps": 20}
    )


def kyc_user(level: int = 2, **kwargs):
    """A user holding a valid ExchangeKycCredential of `level` from the city issuer."""
    from identity import services as identity_services

    user = UserFactory(**kwargs)
    wallet = identity_services.wallet_open(user=user)
    identity_services.credential_issue(
        issuer=identity_services.city_issuer(),
        subject_did=wallet.did,
        types=["ExchangeKycCredential"],
        claims={"kycLevel": level},
        holder=user,
    )
    return user


def verified_link(user, *, bank_code: str = "088", account_number: str | None = None, aged=True):
    """A platform bank link of `user`, proven with the code of its 1-KRW transfer as the sandbox
    statement shows it; `aged`: verified long enough ago to be a withdrawal destination."""
    from datetime import timedelta

    from django.utils import timezone

    from busanhub.bank import links

    link = links.bank_link_add(
        user=user, bank_code=bank_code, account_number=account_number or f"{user.pk:012d}"
    )
    if link.status != link.Status.VERIFIED:
        code = links.sandbox_statement(link=link).split()[-1]
        link = links.bank_link_verify(user=user, link=link, code=code)
    if aged:
        link.verified_at = timezone.now() - timedelta(days=2)
        link.save(update_fields=["verified_at"])
    return link
