"""DRF's rate throttles of a request in one Redis round trip instead of two per throttle.

DRF's `SimpleRateThrottle` reads its history (a pickled list of timestamps) with a cache `get`
and writes it back with a `set`: the money views' two throttles ("money" and "user") cost four
round trips and their CPU on every payment, and two requests at the same moment could both read
the same history and both pass. Here the throttles of a request whose cache is Redis run as one
Lua script, atomically: per throttle, the history is a Redis list (newest first, as DRF's
list), trimmed of what is older than the duration, then the request is counted if the throttle
allows it. The rules are DRF's (`SimpleRateThrottle.allow_request` and `wait`): every throttle
is consulted, an allowed one counts the request even when another refuses it, and the answer
is 429 with `Retry-After` of the longest wait.

A throttle qualifies when it is one of DRF's rate throttles whose rules are not overridden
(`allow_request` is SimpleRateThrottle's or ScopedRateThrottle's; `throttle_success`,
`throttle_failure` and `wait` are SimpleRateThrottle's) and whose cache is Redis; any other
keeps DRF's own code (a locmem cache in tests and `make run`, custom throttles). A list lives
under `<DRF's cache key>_window` (made by the cache's `make_key`, so its prefix and version),
never DRF's own key, which may still hold a pickled list that LINDEX would refuse.

Installed by `busanhub.accounts.apps.AccountsConfig.ready`.
"""

from __future__ import annotations

import math
from typing import Any, cast

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling
from rest_framework.views import APIView

# KEYS[i]: a throttle's list; ARGV[1]: now (seconds, as text: stored as given);
# ARGV[2i], ARGV[2i + 1]: that throttle's number of requests and duration (whole seconds).
# Per throttle: {1 (allowed) or 0, the history's length, the oldest timestamp or ""}.
_WINDOWS_LUA = """
local now = tonumber(ARGV[1])
local answer = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local duration = tonumber(ARGV[2 * i + 1])
  local oldest = redis.call('LINDEX', key, -1)
  while oldest and tonumber(oldest) <= now - duration do
    redis.call('RPOP', key)
    oldest = redis.call('LINDEX', key, -1)
  end
  local length = redis.call('LLEN', key)
  if length >= limit then
    answer[i] = {0, length, oldest or ''}
  else
    redis.call('LPUSH', key, ARGV[1])
    redis.call('EXPIRE', key, duration)
    answer[i] = {1, length + 1, ''}
  end
end
return answer
"""
_ALLOW_REQUEST = (
    throttling.SimpleRateThrottle.allow_request,
    throttling.ScopedRateThrottle.allow_request,
)
_RULES = ("throttle_success", "throttle_failure", "wait")
_qualifies: dict[type, bool] = {}
# One Script for every client (its SHA depends on the text only; a server that does not know
# it yet gets it loaded by the client that runs it).
_script: Any = None


def _is_drf_rate_throttle(cls: type) -> bool:
    answer = _qualifies.get(cls)
    if answer is None:
        base = throttling.SimpleRateThrottle
        answer = _qualifies[cls] = (
            issubclass(cls, base)
            and getattr(cls, "allow_request", None) in _ALLOW_REQUEST
            and all(getattr(cls, name) is getattr(base, name) for name in _RULES)
        )
    return answer


def _redis_cache_of(throttle: Any) -> RedisCache | None:
    cache = throttle.cache
    if cache is default_cache:  # the proxy of the default cache, DRF's class attribute
        cache = caches[DEFAULT_CACHE_ALIAS]
    return cache if isinstance(cache, RedisCache) else None


def _key_of(throttle: Any, request: Any, view: Any) -> str | None:
    """What DRF's allow_request does before it reads the cache: the scope and rate of a
    ScopedRateThrottle (from the view), then the key; None when the throttle lets the request
    pass uncounted (no scope, no rate, no key)."""
    if isinstance(throttle, throttling.ScopedRateThrottle):
        throttle = cast(Any, throttle)  # DRF's stubs know no num_requests, duration
        throttle.scope = getattr(view, throttle.scope_attr, None)
        if not throttle.scope:
            return None
        throttle.rate = throttle.get_rate()
        throttle.num_requests, throttle.duration = throttle.parse_rate(throttle.rate)
    if throttle.rate is None:
        return None
    return throttle.get_cache_key(request, view)


def _wait(*, num_requests: int, duration: int, now: float, length: int, oldest: float | None):
    """SimpleRateThrottle.wait over a history of `length` timestamps whose oldest is
    `oldest`."""
    remaining = duration - (now - oldest) if length and oldest is not None else duration
    available = num_requests - length + 1
    if available <= 0:
        return None
    return remaining / float(available)


def _script_for(client: Any) -> Any:
    global _script
    if _script is None:
        _script = client.register_script(_WINDOWS_LUA)
    return _script


def throttle_waits(view: APIView, request: Any) -> list[float | None]:
    """The waits of the throttles of `view` that refuse `request` (empty: allowed), each
    allowing throttle having counted it."""
    waits: list[float | None] = []
    batched: dict[RedisCache, list[tuple[Any, str]]] = {}
    for throttle in view.get_throttles():
        cache = _redis_cache_of(throttle) if _is_drf_rate_throttle(type(throttle)) else None
        if cache is None:
            if not throttle.allow_request(request, view):
                waits.append(throttle.wait())
            continue
        key = _key_of(throttle, request, view)
        if key is not None:
            batched.setdefault(cache, []).append((throttle, key))
    for cache, entries in batched.items():
        now = entries[0][0].timer()
        stamp = repr(float(now))
        keys = [cache.make_key(f"{key}_window") for _, key in entries]
        arguments: list[object] = [stamp]
        for throttle, _ in entries:
            arguments += [throttle.num_requests, math.ceil(throttle.duration)]
        client = cache._cache.get_client(keys[0], write=True)
        answers = _script_for(client)(keys=keys, args=arguments, client=client)
        for (throttle, _), (allowed, length, oldest) in zip(entries, answers, strict=True):
            if allowed:
                continue
            waits.append(
                _wait(
                    num_requests=throttle.num_requests,
                    duration=throttle.duration,
                    now=now,
                    length=int(length),
                    oldest=float(oldest) if oldest else None,
                )
            )
    return waits


def check_throttles(self: APIView, request: Any) -> None:
    """APIView.check_throttles with the Redis throttles of the request batched."""
    waits = throttle_waits(self, request)
    if waits:
        # As DRF: a None (a rate changed under a history) does not count; no wait at all
        # answers 429 without Retry-After.
        longest = max((wait for wait in waits if wait is not None), default=None)
        self.throttled(request, cast(float, longest))  # DRF's stubs say float; DRF passes None


def install() -> None:
    APIView.check_throttles = check_throttles  # type: ignore[method-assign]
