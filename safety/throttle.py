"""Fixed-window rate limits kept in Django's cache (shared by every process using it)."""

import time

from django.conf import settings
from django.core.cache import cache

DEFAULT_LIMITS = {
    # (requests, seconds)
    "report_user": (10, 3600),
    "open311_key": (60, 60),
}


def limit_for(scope: str) -> tuple[int, int]:
    return getattr(settings, "SAFETY_RATE_LIMITS", {}).get(scope, DEFAULT_LIMITS[scope])


def allow(*, scope: str, ident: str) -> bool:
    """Counts one request of `ident` in `scope`; False once the window's limit is exceeded."""
    limit, window = limit_for(scope)
    bucket = int(time.time() // window)
    key = f"safety:rate:{scope}:{ident}:{bucket}"
    if cache.add(key, 1, timeout=window + 5):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        return True
    return count <= limit
