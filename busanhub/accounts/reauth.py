"""Re-entering the password before a sensitive action (exporting the B Pass key, a large
voucher payment), rate-limited per user and logged.

The failures are counted in the cache (one counter per user, shared by every action, so an
attacker holding a session cannot spread guesses over several of them): after
`settings.REAUTH_MAX_FAILURES` wrong passwords within `settings.REAUTH_WINDOW_SECONDS` (5 in
15 minutes unless configured), every re-entry raises `ReauthLocked` until the window ends,
whatever the password. A right password clears the count. Each attempt is logged on the
`busanhub.security` logger (user pk, action, outcome; never the password).
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

logger = logging.getLogger("busanhub.security")


class ReauthLocked(PermissionDenied):
    """Too many wrong passwords: `retry_after` seconds until the next re-entry is checked."""

    code = "reauth_locked"

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            _("Too many wrong passwords. For your safety, try again in %(minutes)s minutes.")
            % {"minutes": minutes}
        )


def _keys(user) -> tuple[str, str]:
    return f"busanhub:reauth:{user.pk}:attempts", f"busanhub:reauth:{user.pk}:until"


def _attempt(user) -> tuple[int, float]:
    """Counts one attempt in the user's window (atomically: parallel guesses are counted
    before any password is checked) and returns (attempts so far, end of the window)."""
    window = settings.REAUTH_WINDOW_SECONDS
    attempts_key, until_key = _keys(user)
    now = time.time()
    cache.add(until_key, now + window, timeout=window)
    cache.add(attempts_key, 0, timeout=window)
    try:
        attempts = cache.incr(attempts_key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(until_key, now + window, timeout=window)
        cache.set(attempts_key, 1, timeout=window)
        attempts = 1
    return attempts, cache.get(until_key, now + window)


def password_recheck(*, user, password: str, action: str) -> bool:
    """Whether `password` is `user`'s password, for `action` (a dotted name for the log, e.g.
    "vouchers.payment"). Raises ReauthLocked (a PermissionDenied, with the translated
    message) once the user has had too many failures in the window, without checking."""
    attempts, until = _attempt(user)
    if attempts > settings.REAUTH_MAX_FAILURES:
        logger.warning("reauth locked user=%s action=%s attempts=%s", user.pk, action, attempts)
        raise ReauthLocked(retry_after=max(1, int(until - time.time()) + 1))
    if user.check_password(password or ""):
        cache.delete_many(_keys(user))
        logger.info("reauth ok user=%s action=%s", user.pk, action)
        return True
    logger.warning("reauth failed user=%s action=%s attempts=%s", user.pk, action, attempts)
    return False
