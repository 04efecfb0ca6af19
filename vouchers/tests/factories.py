"""Builders for voucher tests: real users, real services (no rows forged behind the ledger)."""

from decimal import Decimal
from itertools import count

from busanhub.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from vouchers import services
from vouchers.models import Account

__all__ = [
    "PASSWORD",
    "StaffFactory",
    "UserFactory",
    "approved_merchant",
    "fund_pool",
    "topped_up",
    "verified_link",
]

RESIDENT_CLAIMS = {"district": "Haeundae-gu", "residentSince": "2020-05-01"}
_numbers = count(10000)


def approved_merchant(*, owner=None, tier="small", category="restaurant", name="Jagalchi Eomuk"):
    owner = owner or UserFactory(preferred_language="en")
    number = next(_numbers)
    merchant = services.merchant_apply(
        owner=owner,
        name=name,
        business_number=f"601-81-{number:05d}",
        category=category,
        address="52 Jagalchihaean-ro, Jung-gu, Busan",
        latitude=Decimal("35.096700"),
        longitude=Decimal("129.030500"),
        tier=tier,
        bank_account_ref=f"032-{number}-01",
    )
    return services.merchant_approve(merchant=merchant)


def fund_pool(amount: int = 10_000_000):
    pool = services.system_account(Account.Kind.INCENTIVE)
    services.treasury_fund(to=pool, amount=amount, memo="test funding")
    return pool


def verified_link(user, *, bank_code: str = "088", account_number: str | None = None):
    """Links an account and types back the code of the 1-KRW transfer, as the citizen reads
    it on the (sandbox) bank statement."""
    from vouchers.services.banklinks import sandbox_statement

    link = services.bank_link_add(
        user=user, bank_code=bank_code, account_number=account_number or f"{user.pk:012d}"
    )
    if link.status != link.Status.VERIFIED:
        code = sandbox_statement(link=link).split()[-1]
        link = services.bank_link_verify(user=user, link=link, code=code)
    return link


def topped_up(user, amount: int):
    return services.topup_create(user=user, bank_link=verified_link(user), amount=amount)


def make_resident(user):
    from identity import services as identity_services

    wallet = identity_services.wallet_open(user=user)
    return identity_services.credential_issue(
        issuer=identity_services.city_issuer(),
        subject_did=wallet.did,
        types=["BusanResidentCredential"],
        claims=dict(RESIDENT_CLAIMS),
        holder=user,
    )
