import pytest
from django.core.cache import cache

from vouchers.tests.factories import UserFactory, approved_merchant, fund_pool, make_resident


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the source language); Korean is tested explicitly."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_throttles():
    # The money throttle counts in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def citizen(db):
    return UserFactory(email="minji@example.kr", preferred_language="en")


@pytest.fixture
def resident(citizen):
    make_resident(citizen)
    return citizen


@pytest.fixture
def pool(db):
    return fund_pool()


@pytest.fixture
def merchant(db, pool):
    return approved_merchant(owner=UserFactory(email="shop@example.kr", preferred_language="en"))
