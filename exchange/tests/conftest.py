import pytest

from exchange.services import deposit_credit
from exchange.tests.factories import ETH, fee_tiers, kyc_user, market_eth_krw


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the source language); Korean is tested explicitly."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def market(db):
    fee_tiers()
    return market_eth_krw()


@pytest.fixture
def fund():
    def _fund(user, market, *, krw=0, eth=0):
        if krw:
            deposit_credit(
                owner_id=user.pk, asset=market.quote, amount=krw, kind="test", reference="t"
            )
        if eth:
            deposit_credit(
                owner_id=user.pk, asset=market.base, amount=eth, kind="test", reference="t"
            )

    return _fund


@pytest.fixture
def alice(db):
    return kyc_user(email="alice@example.kr", preferred_language="en")


@pytest.fixture
def bob(db):
    return kyc_user(email="bob@example.kr", preferred_language="en")


__all__ = ["ETH"]
