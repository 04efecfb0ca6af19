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
    # Who runs a market's matcher after a placement: "inline" (the placing transaction),
    # "queue" (a Celery task on the matching queue) or "process" (manage.py exchange_matcher).
    "EXCHANGE_MATCHING": "inline",
    # A sent withdrawal not mined after this long is replaced with the same nonce and higher
    # fees (both EIP-1559 fees up by this percentage, never less than 12.5 %), up to the cap.
    "EXCHANGE_STUCK_AFTER_S": 300,
    "EXCHANGE_FEE_BUMP_PERCENT": 25,
    "EXCHANGE_MAX_FEE_PER_GAS_WEI": 500 * 10**9,
    # Optional cold wallet: above its limit (ledger units per asset, "ETH=5000000000,BUSD=10"),
    # the hot wallet's excess is swept to this address.
    "EXCHANGE_COLD_WALLET_ADDRESS": "",
    "EXCHANGE_HOT_WALLET_LIMITS": "",
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


def hot_wallet_limits() -> dict[str, int]:
    """EXCHANGE_HOT_WALLET_LIMITS as {symbol: ledger units}; a dict in settings also works."""
    value = get("EXCHANGE_HOT_WALLET_LIMITS")
    if isinstance(value, dict):
        return {str(k).upper(): int(v) for k, v in value.items()}
    limits = {}
    for part in str(value or "").split(","):
        if part.strip():
            symbol, _, amount = part.partition("=")
            limits[symbol.strip().upper()] = int(amount)
    return limits
