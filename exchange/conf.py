"""The exchange's settings, read when used (never at import time), with dev/test defaults.

Each can be set in Django settings or in the environment under the same name.
"""

import os

from django.conf import settings

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"

DEFAULTS = {
    "EXCHANGE_HD_MNEMONIC": "",
    "EXCHANGE_CONFIRMATIONS": 3,
    "EXCHANGE_REORG_WINDOW_BLOCKS": 64,
    "EXCHANGE_ALLOWLIST_WAIT_S": 24 * 3600,
    "EXCHANGE_APPROVAL_THRESHOLD_KRW": 10_000_000,
}


def get(name: str):
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    default = DEFAULTS[name]
    if raw is None:
        return default
    return int(raw) if isinstance(default, int) else raw


def mnemonic() -> str:
    """The HD seed of deposit addresses and the hot wallet. Outside DEBUG/tests it must be set;
    the anvil test mnemonic is only a development default."""
    value = get("EXCHANGE_HD_MNEMONIC")
    if value:
        return value
    if settings.DEBUG or getattr(settings, "ANVIL_DEV_KEY", ""):
        return ANVIL_MNEMONIC
    raise RuntimeError("EXCHANGE_HD_MNEMONIC is not set")
