"""Settings shared by every environment. Everything that differs between machines comes from
the environment (django-environ); dev.py, test.py and prod.py only change defaults."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_ID = 1
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "busanhub.accounts",
    "busanhub.chain",
    "busanhub.bank",
    "busanhub.idempotency",
    "busanhub.accounts.apps.BusanAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # Service apps
    "identity",
    "vouchers",
    "exchange",
    "safety",
    "logistics",
    "education",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "busanhub.static_files.StaticFilesMiddleware",
    # 413 for a body over its endpoint's limit (REQUEST_BODY_LIMITS), before anything reads it.
    "busanhub.body_limits.RequestBodyLimitMiddleware",
    # Before anything reads input (sessions, the language, views): 400 for a NUL or a control.
    "busanhub.control_characters.ControlCharacterMiddleware",
    # django-csp's, with the settings' policy built once (busanhub/content_security_policy.py).
    "busanhub.content_security_policy.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "busanhub.accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

# Request bodies, in bytes (busanhub.body_limits): the first matching path prefix, else the
# upload or the default limit. Documented per operation in the schema's 413 responses.
_MB = 1024 * 1024
REQUEST_BODY_LIMITS = [
    ("/epcis/capture", 16 * _MB),  # an EPCIS document of up to 10,000 events
    ("/epcis/events", 1 * _MB),  # one EPCIS event
    ("/api/v1/logistics/readings", 1 * _MB),  # up to 5,000 logger readings
    ("/safety/report/", 52 * _MB),  # a report with five photos of 10 MB
]
REQUEST_BODY_LIMIT_UPLOADS = 12 * _MB  # other forms with a file (one image or receipt)
REQUEST_BODY_LIMIT_DEFAULT = int(2.5 * _MB)  # Django's default for a body read in memory
# Django's own check (400) stays behind the per-endpoint limits (413) as a backstop.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * _MB

ROOT_URLCONF = "busanhub.urls"
WSGI_APPLICATION = "busanhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "busanhub.registry.portal_context",
            ],
            # `localized_name`, `localized` (busanhub/i18n.py) and money formatting (`amount`,
            # `won`: busanhub/amount_filters.py) in every template without `{% load %}`.
            # `{% shared %}` (busanhub/fragments.py): the base template's header and footer.
            # `{% extends %}` (busanhub/extends.py): Django's, the root's blocks listed once.
            "builtins": [
                "busanhub.i18n",
                "busanhub.amount_filters",
                "busanhub.fragments",
                "busanhub.extends",
            ],
        },
    },
]

# PostgreSQL is the only database. Unset, DATABASE_URL names the embedded cluster of
# busanhub.devdb (var/pg, on a Unix socket in its data folder), which `make run` starts.
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"postgres://postgres@/busanhub?host={VAR_DIR / 'pg'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with the per-request health check asked of the socket (busanhub/db/postgresql).
    DATABASES["default"]["ENGINE"] = "busanhub.db.postgresql"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:dashboard"

# django-allauth: email is the login; verification mandatory unless a dev overrides it.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_ADAPTER = "busanhub.accounts.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    # "Resend the confirmation e-mail" (accounts:resend-confirmation), per IP; each address is
    # also held to "confirm_email" above.
    "resend_confirmation": "10/h/ip",
}
ACCOUNT_FORMS = {"signup": "busanhub.accounts.forms.SignupForm"}
# The privacy officer's address in the privacy policy and terms (PIPA art. 31).
PRIVACY_CONTACT_EMAIL = env("PRIVACY_CONTACT_EMAIL", default="privacy@busanhub.example")
# Re-entering the password for a sensitive action (B Pass key export, large voucher
# payments: busanhub.accounts.reauth.password_recheck): after REAUTH_MAX_FAILURES wrong
# passwords within REAUTH_WINDOW_SECONDS the user is locked out of every re-entry until the
# window ends (HTTP 429 on APIs), even with the right password.
REAUTH_MAX_FAILURES = env.int("REAUTH_MAX_FAILURES", default=5)
REAUTH_WINDOW_SECONDS = env.int("REAUTH_WINDOW_SECONDS", default=15 * 60)
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[BusanHub] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "BusanHub"
# Staff must have MFA before the admin opens (prod turns this on).
ADMIN_REQUIRE_MFA = env.bool("ADMIN_REQUIRE_MFA", default=False)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="BusanHub <no-reply@busanhub.example>")
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))


def cache_from_env(default: str) -> dict:
    """CACHE_URL's cache; Redis through busanhub.redis_cache (one client per server)."""
    config = env.cache("CACHE_URL", default=default)
    if config["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        config["BACKEND"] = "busanhub.redis_cache.RedisCache"
    return config


CACHES = {"default": cache_from_env("locmemcache://")}

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Safety report photos (docs/adr/0006): originals are private, so this location is never served
# by the web server; the portal serves both files itself, with the permissions of the row.
SAFETY_PHOTOS_STORAGE = {
    "BACKEND": env(
        "SAFETY_PHOTOS_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
    ),
    "OPTIONS": {
        "location": str(env.path("SAFETY_PHOTOS_ROOT", default=f"{MEDIA_ROOT}/safety-photos"))
    },
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "safety_photos": SAFETY_PHOTOS_STORAGE,
}

# Content Security Policy (django-csp 4): no third-party origins, everything is vendored.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

REST_FRAMEWORK = {
    # Token first: an unauthenticated API call gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "busanhub.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "busanhub.api.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "120/min",
        "user": "600/min",
        "money": "30/min",
        "orders": "120/min",
    },
    "EXCEPTION_HANDLER": "busanhub.api.exception_handler",
    # JSON only: the browsable API's HTML forms are a development aid (dev.py adds them), not
    # something production serves or pays for in content negotiation.
    "DEFAULT_RENDERER_CLASSES": ["busanhub.errors.ErrorJSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BusanHub API",
    "DESCRIPTION": "Public services of the Busan blockchain special free zone.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation documents its refusals with the portal's `Error` body (busanhub.api).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "busanhub.api.errors_postprocess",
    ],
}

# Celery: tasks route to named queues so each kind of work scales on its own workers.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "busanhub.chain.tasks.*": {"queue": "anchoring"},
    "exchange.tasks.match_*": {"queue": "matching"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Anchoring (busanhub.chain). The private key is never committed outside dev defaults.
CHAIN_RPC_URL = env("CHAIN_RPC_URL", default="http://127.0.0.1:8545")
CHAIN_PRIVATE_KEY = env("CHAIN_PRIVATE_KEY", default="")
CHAIN_CONFIRMATIONS = env.int("CHAIN_CONFIRMATIONS", default=2)
CHAIN_BATCH_SIZE = env.int("CHAIN_BATCH_SIZE", default=10_000)
CHAIN_ANCHOR_INTERVAL_S = env.int("CHAIN_ANCHOR_INTERVAL_S", default=60)
CHAIN_STUCK_AFTER_S = env.int("CHAIN_STUCK_AFTER_S", default=180)
CHAIN_FEE_BUMP_PERCENT = env.int("CHAIN_FEE_BUMP_PERCENT", default=25)
CHAIN_REORG_WINDOW_BLOCKS = env.int("CHAIN_REORG_WINDOW_BLOCKS", default=64)
CHAIN_RPC_TIMEOUT_S = env.int("CHAIN_RPC_TIMEOUT_S", default=10)
# How long /verify/<digest> serves a final anchor's chain steps (same for every record of its
# batch) without asking the node again; 0 asks every time (busanhub/chain/chain_check.py).
CHAIN_CHECK_REMEMBER_S = env.int("CHAIN_CHECK_REMEMBER_S", default=30)
# Deploy the anchor contract by itself when none is live (dev and tests only).
CHAIN_AUTO_DEPLOY = env.bool("CHAIN_AUTO_DEPLOY", default=False)

# Money in and out of the portal: the bank gateway (see busanhub/bank/gateway.py).
BANK_GATEWAY = env("BANK_GATEWAY", default="busanhub.bank.sandbox.SandboxGateway")
# The sandbox bank (records transfers in its own table) is for dev, tests and demos only:
# production settings turn this off and the sandbox then refuses to be instantiated.
BANK_SANDBOX_ALLOWED = True

# Education chain labs: a lab chain (default: the portal's) and its faucet; never real funds.
EDUCATION_LAB_RPC_URL = env("EDUCATION_LAB_RPC_URL", default="")
EDUCATION_FAUCET_PRIVATE_KEY = env("EDUCATION_FAUCET_PRIVATE_KEY", default="")
EDUCATION_LAB_CHAIN_IDS = env.list("EDUCATION_LAB_CHAIN_IDS", cast=int, default=[31337])
EDUCATION_FAUCET_INTERVAL_S = env.int("EDUCATION_FAUCET_INTERVAL_S", default=3600)
# The verify-a-receipt lab: wrong answers on one receipt before it locks, and for how long.
EDUCATION_LAB_MAX_FAILURES = env.int("EDUCATION_LAB_MAX_FAILURES", default=3)
EDUCATION_LAB_COOLDOWN_S = env.int("EDUCATION_LAB_COOLDOWN_S", default=3600)

# The exchange (exchange/): read through django.conf.settings when used (exchange/conf.py).
# The HD seed of deposit addresses and the hot wallet: required in production; dev and tests
# fall back to anvil's public test mnemonic (exchange.conf.mnemonic).
EXCHANGE_HD_MNEMONIC = env("EXCHANGE_HD_MNEMONIC", default="")
EXCHANGE_CONFIRMATIONS = env.int("EXCHANGE_CONFIRMATIONS", default=3)
EXCHANGE_REORG_WINDOW_BLOCKS = env.int("EXCHANGE_REORG_WINDOW_BLOCKS", default=64)
EXCHANGE_ALLOWLIST_WAIT_S = env.int("EXCHANGE_ALLOWLIST_WAIT_S", default=24 * 3600)
EXCHANGE_APPROVAL_THRESHOLD_KRW = env.int("EXCHANGE_APPROVAL_THRESHOLD_KRW", default=10_000_000)
# Who runs a market's matcher after a placement: "inline" (the placing transaction),
# "queue" (a Celery task on the matching queue) or "process" (manage.py exchange_matcher).
EXCHANGE_MATCHING = env("EXCHANGE_MATCHING", default="inline")
# A sent withdrawal not mined after this long is replaced with the same nonce and higher
# fees (both EIP-1559 fees up by this percentage, never less than 12.5 %), up to the cap.
EXCHANGE_STUCK_AFTER_S = env.int("EXCHANGE_STUCK_AFTER_S", default=300)
EXCHANGE_FEE_BUMP_PERCENT = env.int("EXCHANGE_FEE_BUMP_PERCENT", default=25)
EXCHANGE_MAX_FEE_PER_GAS_WEI = env.int("EXCHANGE_MAX_FEE_PER_GAS_WEI", default=500 * 10**9)
# Optional cold wallet: above its limit (ledger units per asset, "ETH=5000000000,BUSD=10"),
# the hot wallet's excess is swept to this address.
EXCHANGE_COLD_WALLET_ADDRESS = env("EXCHANGE_COLD_WALLET_ADDRESS", default="")
EXCHANGE_HOT_WALLET_LIMITS = env("EXCHANGE_HOT_WALLET_LIMITS", default="")

# B Pass: the Fernet key that encrypts private keys at rest (required in prod; dev and tests
# derive one from SECRET_KEY when it is empty).
IDENTITY_KEY_ENCRYPTION_KEY = env("IDENTITY_KEY_ENCRYPTION_KEY", default="")
# B Pass: how many indexes a new status list hands out before the next list opens. The
# bitstring itself is never shorter than the specification's 131,072 entries (herd privacy);
# tests set a few to fill lists quickly.
IDENTITY_STATUS_LIST_CAPACITY = env.int("IDENTITY_STATUS_LIST_CAPACITY", default=131_072)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"web3": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
