"""busanhub.redis_cache: Django's Redis cache with one redis-py client per server, on a real
Redis (CELERY_TEST_BROKER_URL's server, CI's; the test is skipped without one)."""

import os
import threading
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from busanhub.redis_cache import RedisCache


@pytest.fixture
def redis_url():
    url = os.environ.get("CELERY_TEST_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("needs Redis: CELERY_TEST_BROKER_URL=redis://…")
    return url


def test_operations_share_one_client_and_behave_as_djangos(redis_url):
    prefix = f"test-redis-cache-{uuid.uuid4()}"
    ours = RedisCache(redis_url, {"KEY_PREFIX": prefix})
    django = DjangoRedisCache(redis_url, {"KEY_PREFIX": prefix})
    try:
        ours.set("session", {"user": 1, "items": [1, 2]}, 60)
        assert django.get("session") == {"user": 1, "items": [1, 2]}
        django.set("count", 5, 60)
        assert ours.incr("count") == 6
        assert ours.get_many(["session", "count", "missing"]) == {
            "session": {"user": 1, "items": [1, 2]},
            "count": 6,
        }
        assert ours.add("session", "other") is False
        assert ours.delete("session") is True and django.get("session") is None

        client = ours._cache.get_client()
        assert ours._cache.get_client(write=True) is client
        assert django._cache.get_client() is not django._cache.get_client()
    finally:
        ours.delete_many(["session", "count"])


def test_threads_share_the_client_safely(redis_url):
    prefix = f"test-redis-cache-{uuid.uuid4()}"
    cache = RedisCache(redis_url, {"KEY_PREFIX": prefix})
    cache.set("counter", 0, 60)
    errors = []

    def work():
        try:
            for _ in range(50):
                cache.incr("counter")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert cache.get("counter") == 400
    cache.delete("counter")


def test_settings_select_it_for_a_redis_url(monkeypatch):
    from busanhub.settings.base import cache_from_env

    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/1")
    assert cache_from_env("locmemcache://")["BACKEND"] == "busanhub.redis_cache.RedisCache"
    monkeypatch.delenv("CACHE_URL")
    assert cache_from_env("locmemcache://")["BACKEND"].endswith("LocMemCache")
