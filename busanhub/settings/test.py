"""Test settings: whatever DATABASE_URL names (SQLite under var/ when unset), a real anvil
started by the test fixtures, locmem email, fast password hashing."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env

DEBUG = False
(VAR_DIR / "staticfiles").mkdir(parents=True, exist_ok=True)  # whitenoise looks there
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
CHAIN_PRIVATE_KEY = env("CHAIN_PRIVATE_KEY", default=ANVIL_DEV_KEY)
CHAIN_CONFIRMATIONS = 1
CHAIN_AUTO_DEPLOY = False
CHAIN_RPC_TIMEOUT_S = 3
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a real Celery worker process can open the same test database;
    # one per test run, so that two runs at once do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env("CELERY_TEST_FILESYSTEM_FOLDER", default=""):
    # The worker of tests/test_worker.py reads the queue folder its test writes to.
    _folder = env("CELERY_TEST_FILESYSTEM_FOLDER")
    CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": _folder, "data_folder_out": _folder}
else:
    # The filesystem broker needs its folder to exist (as in dev), or nothing can be published.
    _folder = VAR_DIR / "celery-test" / "queue"
    _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_folder),
        "data_folder_out": str(_folder),
    }
