import pytest

from identity import services
from identity.tests.factories import RESIDENT_CLAIMS, UserFactory


@pytest.fixture
def citizen(db):
    return UserFactory(email="minji@example.kr", preferred_language="en")


@pytest.fixture
def city(db):
    return services.city_issuer()


@pytest.fixture
def resident_credential(citizen, city):
    wallet = services.wallet_open(user=citizen)
    return services.credential_issue(
        issuer=city,
        subject_did=wallet.did,
        types=["BusanResidentCredential"],
        claims=dict(RESIDENT_CLAIMS),
        holder=citizen,
    )


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the source language); Korean is tested explicitly."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
