"""Embedded defaults for `make run`: the embedded PostgreSQL (busanhub.devdb), kombu's
filesystem broker and a local anvil, all under var/."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# DRF's browsable API beside JSON, for `make run` only (production and tests answer JSON).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": [
        *list(REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"]),  # type: ignore[call-overload]
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# The first account of anvil's public test mnemonic: a dev chain only, never a real one.
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
CHAIN_PRIVATE_KEY = env("CHAIN_PRIVATE_KEY", default=ANVIL_DEV_KEY)
CHAIN_AUTO_DEPLOY = env.bool("CHAIN_AUTO_DEPLOY", default=True)
CHAIN_ANCHOR_INTERVAL_S = env.int("CHAIN_ANCHOR_INTERVAL_S", default=10)
CHAIN_CONFIRMATIONS = env.int("CHAIN_CONFIRMATIONS", default=2)
CHAIN_STUCK_AFTER_S = env.int("CHAIN_STUCK_AFTER_S", default=30)

# kombu's filesystem broker; busanhub.celery creates these folders before the first publish
# and when a worker starts (settings create nothing).
_broker_dir = VAR_DIR / "celery"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(_broker_dir / "queue"),
    "data_folder_out": str(_broker_dir / "queue"),
    "processed_folder": str(_broker_dir / "processed"),
    "store_processed": False,
    # The exchange-to-queue bindings; kombu's default is ./control, beside the code.
    "control_folder": str(_broker_dir / "control"),
}

# E-mails (sign-up confirmations, password resets, B Pass notices) are written as files under
# var/mail/, one .log file per message, instead of flooding the console of `make run`.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
