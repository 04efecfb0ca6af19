"""The exchange's settings. They live in Django settings (busanhub/settings/base.py, each from
the environment variable of the same name) and are read here when used, never at import."""

from django.conf import settings

# anvil's public test mnemonic: the development default, refused by production settings.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"


def get(name: str):
    """One EXCHANGE_* setting, as Django settings hold it (tests override it there)."""
    if not name.startswith("EXCHANGE_"):
        raise KeyError(name)
    return getattr(settings, name)


def mnemonic() -> str:
    """The HD seed of deposit addresses and the hot wallet. Production settings refuse to start
    without it; outside DEBUG/tests an empty one is an error, never the anvil mnemonic."""
    value = settings.EXCHANGE_HD_MNEMONIC
    if value:
        return value
    if settings.DEBUG or getattr(settings, "ANVIL_DEV_KEY", ""):
        return ANVIL_MNEMONIC
    raise RuntimeError("EXCHANGE_HD_MNEMONIC is not set")


def hot_wallet_limits() -> dict[str, int]:
    """EXCHANGE_HOT_WALLET_LIMITS as {symbol: ledger units}; a dict in settings also works."""
    value = settings.EXCHANGE_HOT_WALLET_LIMITS
    if isinstance(value, dict):
        return {str(k).upper(): int(v) for k, v in value.items()}
    limits = {}
    for part in str(value or "").split(","):
        if part.strip():
            symbol, _, amount = part.partition("=")
            limits[symbol.strip().upper()] = int(amount)
    return limits
