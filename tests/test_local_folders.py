"""Settings create no folders at import; the code that needs a folder creates it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from busanhub.celery import app
from busanhub.local_folders import broker_folders, folders_create
from busanhub.static_files import StaticFilesMiddleware

ROOT = Path(__file__).resolve().parent.parent

# Imports a settings module with every way to create a folder recorded instead of done.
IMPORT_RECORDING_MKDIR = """
import importlib, os, pathlib, sys
made = []
pathlib.Path.mkdir = lambda self, *a, **k: made.append(str(self))
os.makedirs = lambda path, *a, **k: made.append(str(path))
os.mkdir = lambda path, *a, **k: made.append(str(path))
importlib.import_module(sys.argv[1])
print("MADE", made)
"""


@pytest.mark.parametrize("module", ["dev", "test", "prod"])
def test_settings_create_no_folder_at_import(module):
    from tests.test_settings import PROD_ENV

    env = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    env.pop("CELERY_TEST_FILESYSTEM_FOLDER", None)
    if module == "prod":
        env.update(PROD_ENV)
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_RECORDING_MKDIR, f"busanhub.settings.{module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert "MADE []" in completed.stdout


def test_static_files_middleware_creates_static_root(settings, tmp_path):
    # Given a STATIC_ROOT that does not exist yet (no collectstatic ran)
    settings.STATIC_ROOT = tmp_path / "var" / "staticfiles"

    # When the middleware starts
    middleware = StaticFilesMiddleware(lambda request: None)

    # Then the folder exists and requests pass through
    assert settings.STATIC_ROOT.is_dir()
    assert middleware(RequestFactory().get("/")) is None


def test_folders_create_reports_only_what_it_created(tmp_path):
    existing = tmp_path / "there"
    existing.mkdir()
    missing = tmp_path / "a" / "b"

    assert folders_create([existing, missing]) == [missing]
    assert missing.is_dir()
    assert folders_create([existing, missing]) == []


def test_broker_folders_only_for_the_filesystem_transport(tmp_path):
    options = {"data_folder_in": str(tmp_path / "in"), "data_folder_out": str(tmp_path / "out")}

    assert broker_folders("filesystem://", options) == [tmp_path / "in", tmp_path / "out"]
    assert broker_folders("redis://127.0.0.1:6379/0", options) == []


def test_a_publish_creates_the_filesystem_broker_folder(settings, tmp_path):
    # Given the filesystem broker on a folder that does not exist
    assert app.conf.broker_url.startswith("filesystem:")
    folder = tmp_path / "broker" / "queue"
    previous = app.conf.broker_transport_options
    app.conf.broker_transport_options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
    }
    try:
        # When a task is published on a fresh connection (with these options)
        with app.connection_for_write() as connection:
            app.send_task("busanhub.tests.nothing", connection=connection)
    finally:
        app.conf.broker_transport_options = previous

    # Then the folder was created and holds the message
    assert folder.is_dir()
    assert len(list(folder.iterdir())) == 1
