import pytest
from django.core.cache import cache

from busanhub.celery import app as celery_app


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache; every test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def eager_celery():
    """Tasks run in-process, as a worker would run them, so their effects can be asserted."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _photo_storage(settings, tmp_path):
    """Each test's photo files in a folder of its own, removed with it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "safety_photos": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "safety-photos"},
        },
    }
