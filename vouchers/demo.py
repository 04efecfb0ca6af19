"""Demo data for `manage.py seed_demo`: a policy, a funded cashback pool, an approved shop run
by the demo merchant, a topped-up citizen wallet with a payment, and a grant programme."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from . import services
from .models import Account, Merchant
from .services.banklinks import sandbox_statement


def seed(*, stdout, users) -> None:
    """Idempotent: does nothing if the demo merchant already has a shop."""
    citizen = users.get("citizen")
    owner = users.get("merchant")
    staff = users.get("staff-vouchers")
    if owner is None or citizen is None:
        return
    if Merchant.objects.filter(owner=owner).exists():
        stdout.write("vouchers: demo data already present")
        return
    if services.policy_current().version == 0:
        services.policy_publish(by=staff)
    services.treasury_fund(
        to=services.system_account(Account.Kind.INCENTIVE), amount=50_000_000, memo="demo budget"
    )
    shop = services.merchant_apply(
        owner=owner,
        name="Jagalchi Eomuk",
        name_ko="자갈치 어묵",
        business_number="602-11-00001",
        category="traditional_market",
        address="52 Jagalchihaean-ro, Jung-gu, Busan",
        latitude=Decimal("35.096700"),
        longitude=Decimal("129.030500"),
        tier="small",
        bank_account_ref="032-1234-5678-01",
    )
    services.merchant_approve(merchant=shop, by=staff)
    link = services.bank_link_add(user=citizen, bank_code="088", account_number="110-000-111111")
    memo = sandbox_statement(link=link)  # the demo runs on the sandbox bank: read the code
    if memo:
        link = services.bank_link_verify(user=citizen, link=link, code=memo.split()[-1])
        services.topup_create(user=citizen, bank_link=link, amount=100_000)
        services.payment_create(payer=citizen, merchant_code=shop.code, amount=12_000)
    programme = services.programme_create(
        name="Market support grant",
        name_ko="전통시장 응원 지원금",
        amount=20_000,
        eligible_categories=["traditional_market", "grocery"],
        valid_until=timezone.now() + timedelta(days=60),
        by=staff,
    )
    services.grants_award_csv(programme=programme, text=f"email\n{citizen.email}\n", by=staff)
    stdout.write(f"vouchers: shop {shop.code}, citizen wallet topped up, one grant programme")
