"""Test settings: whatever DATABASE_URL names (unset: a throw-away embedded PostgreSQL cluster
of this test run, var/pg-test-<pid>, which the root conftest starts), a real anvil
started by the test fixtures, locmem email, fast password hashing."""

import os

from busanhub.devdb import throwaway_cluster_path

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
CHAIN_PRIVATE_KEY = env("CHAIN_PRIVATE_KEY", default=ANVIL_DEV_KEY)
CHAIN_CONFIRMATIONS = 1
CHAIN_AUTO_DEPLOY = False
CHAIN_RPC_TIMEOUT_S = 3
if "DATABASE_URL" not in os.environ:
    # The throw-away cluster of this run (busanhub.devdb; the root conftest starts it). A worker
    # process that a test starts is given DATABASE_URL, so the pid here is pytest's own.
    DATABASES["default"].setdefault("OPTIONS", {})["host"] = str(throwaway_cluster_path())
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # safety's tests point it at a temporary folder each (safety/tests/conftest.py).
    "safety_photos": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media-test" / "safety-photos"},
    },
}
if env("CELERY_TEST_FILESYSTEM_FOLDER", default=""):
    # The worker of tests/test_worker.py reads the queue folder its test writes to.
    _folder = env("CELERY_TEST_FILESYSTEM_FOLDER")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _folder,
        "data_folder_out": _folder,
        "control_folder": f"{_folder}-control",  # as the test's own sender has it
    }
else:
    # kombu's filesystem broker; busanhub.celery creates the folder before the first publish.
    _folder = VAR_DIR / "celery-test" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_folder),
        "data_folder_out": str(_folder),
        # Bindings under var/ too (kombu's default is ./control, beside the code).
        "control_folder": str(_folder.parent / "control"),
    }
