"""busanhub/gunicorn_conf.py: what the master does before it forks, and the workers' collector."""

import gc

import pytest
from django.db import connection

from busanhub import gunicorn_conf


@pytest.fixture
def collector_restored():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.django_db(transaction=True)
def test_the_master_freezes_the_application_and_hands_no_connection_to_the_workers(
    collector_restored,
):
    # Given a master whose application opened a database connection while it loaded
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.connection is not None

    # When gunicorn says it is ready (after preload_app, before the first fork)
    gunicorn_conf.when_ready(server=None)

    # Then no connection is left to be shared by forked workers, and the loaded objects are
    # frozen out of the collector's passes
    assert connection.connection is None
    assert gc.get_freeze_count() > 10_000


def test_a_worker_collects_less_often_and_the_environment_may_say_otherwise(
    collector_restored, monkeypatch
):
    monkeypatch.delenv("GUNICORN_GC_THRESHOLD", raising=False)
    gunicorn_conf.post_fork(server=None, worker=None)
    assert gc.get_threshold() == (50_000, 20, 100)

    monkeypatch.setenv("GUNICORN_GC_THRESHOLD", "1000,10,10")
    gunicorn_conf.post_fork(server=None, worker=None)
    assert gc.get_threshold() == (1000, 10, 10)

    # An empty value keeps what the interpreter has
    monkeypatch.setenv("GUNICORN_GC_THRESHOLD", "")
    gunicorn_conf.post_fork(server=None, worker=None)
    assert gc.get_threshold() == (1000, 10, 10)
