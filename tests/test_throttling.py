"""busanhub.throttling: a request's DRF rate throttles in one Redis round trip, with DRF's rules
(limits, every throttle counting, 429 with Retry-After), on a real Redis (CELERY_TEST_BROKER_URL's
server, CI's; skipped without one). A locmem cache keeps DRF's own code (the apps' tests)."""

import os
import uuid
from typing import Any

import pytest
from django.core.cache import caches
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle

from busanhub import throttling
from vouchers.models import Gift
from vouchers.tests.factories import UserFactory

GIFT = {"recipient": "nobody@example.kr", "amount": 1}  # refused with 400: no cash yet


@pytest.fixture
def redis_cache(settings):
    url = os.environ.get("CELERY_TEST_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("needs Redis: CELERY_TEST_BROKER_URL=redis://…")
    # A prefix of its own: no other test's (or run's) counts, nothing to clear.
    settings.CACHES = {
        "default": {
            "BACKEND": "busanhub.redis_cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-throttling-{uuid.uuid4()}",
        }
    }
    return caches["default"]


@pytest.fixture
def api(db):
    client = APIClient()
    user: Any = UserFactory(email="minji@example.kr", preferred_language="en")
    client.force_authenticate(user)
    return client


def _window(cache, user, scope: str) -> list[bytes]:
    client = cache._cache.get_client(write=True)
    return client.lrange(cache.make_key(f"throttle_{scope}_{user.pk}_window"), 0, -1)


def test_the_31st_money_call_of_a_minute_is_refused_with_retry_after(redis_cache, api):
    # Given a citizen who made 30 money calls this minute (the "money" rate is 30/min)
    user = api.handler._force_user
    url = reverse("vouchers-api:gifts")
    codes = [api.post(url, GIFT, format="json").status_code for _ in range(30)]
    assert codes == [400] * 30
    # When they make the 31st
    refused = api.post(url, GIFT, format="json")
    # Then it is refused, in the portal's error shape, with the wait until the oldest call of
    # the window leaves it
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Gift.objects.count() == 0
    # and, as DRF counts, the "user" throttle (600/min) that allowed it counted it too
    assert len(_window(redis_cache, user, "money")) == 30
    assert len(_window(redis_cache, user, "user")) == 31


def test_a_request_costs_one_redis_command_for_both_throttles(redis_cache, api, monkeypatch):
    sent: list[str] = []
    client = redis_cache._cache.get_client(write=True)
    execute = client.execute_command

    def counted(*args, **options):
        sent.append(str(args[0]))
        return execute(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    api.post(reverse("vouchers-api:gifts"), GIFT, format="json")
    assert [command for command in sent if command != "SCRIPT LOAD"] == ["EVALSHA"]


def test_history_older_than_the_duration_leaves_the_window(redis_cache, api, monkeypatch):
    # Given a full "money" window a minute old
    user = api.handler._force_user
    url = reverse("vouchers-api:gifts")
    now = 1_800_000_000.0
    monkeypatch.setattr(ScopedRateThrottle, "timer", lambda self: now)
    monkeypatch.setattr(UserRateThrottle, "timer", lambda self: now)
    for _ in range(30):
        api.post(url, GIFT, format="json")
    assert api.post(url, GIFT, format="json").status_code == 429
    # When the next call comes 60 s after the first
    now += 60
    # Then it passes, and the window holds it alone
    assert api.post(url, GIFT, format="json").status_code == 400
    assert len(_window(redis_cache, user, "money")) == 1


def test_retry_after_is_drfs_wait():
    # A full window of 30 whose oldest call was 45 s ago: DRF's wait is the 15 s it has left
    assert throttling._wait(num_requests=30, duration=60, now=100.0, length=30, oldest=55.0) == 15
    # A rate lowered under a longer history: DRF answers no wait (None)
    assert throttling._wait(num_requests=2, duration=60, now=100.0, length=5, oldest=55.0) is None


def test_a_throttle_with_its_own_rules_keeps_drfs_code():
    class Custom(UserRateThrottle):
        def allow_request(self, request, view):
            return True

    assert throttling._is_drf_rate_throttle(UserRateThrottle)
    assert throttling._is_drf_rate_throttle(ScopedRateThrottle)
    assert not throttling._is_drf_rate_throttle(Custom)
