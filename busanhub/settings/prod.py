"""Production: every secret from the environment; refuses to start without them."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SAFETY_PHOTOS_STORAGE, cache_from_env, env

REQUIRED = [
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CHAIN_RPC_URL",
    "CHAIN_PRIVATE_KEY",
    "ALLOWED_HOSTS",
    "IDENTITY_KEY_ENCRYPTION_KEY",
    # The real bank's gateway class (dotted path): without it money would move in the sandbox.
    "BANK_GATEWAY",
]
if "exchange" in INSTALLED_APPS:  # noqa: F405
    # The HD seed of the exchange's deposit addresses and hot wallet (exchange.conf.mnemonic).
    REQUIRED.append("EXCHANGE_HD_MNEMONIC")
_missing = [name for name in REQUIRED if not env(name, default="")]
if _missing:
    raise ImproperlyConfigured(
        "busanhub.settings.prod needs these environment variables: " + ", ".join(_missing)
    )

DEBUG = False
BANK_GATEWAY = env("BANK_GATEWAY")
BANK_SANDBOX_ALLOWED = False
if BANK_GATEWAY.startswith("busanhub.bank.sandbox"):
    raise ImproperlyConfigured(
        "busanhub.settings.prod refuses the sandbox bank: set BANK_GATEWAY to the real gateway"
    )
SECRET_KEY = env("DJANGO_SECRET_KEY")
# anvil's public test mnemonic (exchange.conf.ANVIL_MNEMONIC): anyone holds its keys.
if env("EXCHANGE_HD_MNEMONIC", default="").split() == ["test"] * 11 + ["junk"]:
    raise ImproperlyConfigured(
        "busanhub.settings.prod refuses anvil's public test mnemonic as EXCHANGE_HD_MNEMONIC"
    )
# Persistent connections: the exchange's and the vouchers' hot statements are prepared and
# planned once per connection, which a connection per request would pay on every request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(  # noqa: F405
    "DATABASE_CONN_HEALTH_CHECKS", default=True
)
# Sessions are read from the shared cache and written through to the database: every signed-in
# request skips a query, a cache flush loses nothing, and a session stays revocable on the
# server (signed cookies could not be: logout, a password change, MFA state; docs/operations.md).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CHAIN_PRIVATE_KEY = env("CHAIN_PRIVATE_KEY")
CHAIN_AUTO_DEPLOY = False
ADMIN_REQUIRE_MFA = env.bool("ADMIN_REQUIRE_MFA", default=True)
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "busanhub.static_files.ManifestStaticFilesStorage"},
    "safety_photos": SAFETY_PHOTOS_STORAGE,
}
CACHES = {"default": cache_from_env("redis://127.0.0.1:6379/1")}
