"""Demo data: KRW and ETH, the ETH-KRW market, fee tiers, and a small live book."""

GWEI_PER_ETH = 10**9


def seed(*, stdout, users: dict) -> None:
    """Idempotent: creates what is missing; trades only on the first run."""
    from exchange import services
    from exchange.models import Asset, FeeTier, JournalEntry, Market
    from identity import services as identity_services

    krw, _ = Asset.objects.get_or_create(
        symbol="KRW", defaults={"name": "Korean won", "kind": Asset.Kind.FIAT, "decimals": 0}
    )
    eth, _ = Asset.objects.get_or_create(
        symbol="ETH",
        defaults={"name": "Ether", "kind": Asset.Kind.NATIVE, "decimals": 9, "chain_decimals": 18},
    )
    market, created = Market.objects.get_or_create(
        symbol="ETH-KRW",
        defaults={
            "base": eth,
            "quote": krw,
            "tick_size": 1_000,
            "lot_size": 10**6,
            "min_notional": 5_000,
            "status": Market.Status.OPEN,
        },
    )
    for name, volume, maker, taker in (("standard", 0, 10, 20), ("vip", 1_000_000_000, 5, 10)):
        FeeTier.objects.get_or_create(
            name=name, defaults={"min_volume_30d": volume, "maker_bps": maker, "taker_bps": taker}
        )
    if created:
        stdout.write("exchange: created the ETH-KRW market\n")
    if JournalEntry.objects.filter(kind="demo").exists():
        return
    citizen, merchant = users.get("citizen"), users.get("merchant")
    if citizen is None or merchant is None:
        return
    city = identity_services.city_issuer()
    for user in (citizen, merchant):
        if services.kyc_level(user=user) == 0:
            wallet = identity_services.wallet_open(user=user)
            identity_services.credential_issue(
                issuer=city,
                subject_did=wallet.did,
                types=["ExchangeKycCredential"],
                claims={"kycLevel": 2},
                holder=user,
            )
        services.deposit_credit(
            owner_id=user.pk, asset=krw, amount=20_000_000, kind="demo", reference="demo"
        )
        services.deposit_credit(
            owner_id=user.pk, asset=eth, amount=5 * GWEI_PER_ETH, kind="demo", reference="demo"
        )
    for step in range(5):
        services.order_place(
            user=merchant,
            market=market,
            side="sell",
            price=4_500_000 + step * 5_000,
            quantity=GWEI_PER_ETH // 10,
        )
        services.order_place(
            user=merchant,
            market=market,
            side="buy",
            price=4_490_000 - step * 5_000,
            quantity=GWEI_PER_ETH // 10,
        )
    services.order_place(
        user=citizen,
        market=market,
        side="buy",
        kind="market",
        time_in_force="IOC",
        quote_amount=600_000,
    )
    services.liabilities_snapshot(with_reserves=False)
    stdout.write("exchange: funded the demo citizen and merchant, seeded a book and a trade\n")
