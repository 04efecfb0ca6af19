"""The embedded PostgreSQL helper of `make run` and `make test` (busanhub.devdb)."""

import os
from pathlib import Path

import pytest

from busanhub import devdb


def test_a_socket_path_too_long_for_unix_sockets_is_refused_with_advice(tmp_path):
    deep = tmp_path / ("x" * 120)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        devdb.check_socket_path(deep)
    devdb.check_socket_path(devdb.VAR_DIR / "pg")  # this checkout's own path fits


def test_prune_removes_only_the_clusters_of_test_runs_that_ended():
    # Given a cluster folder of a pid that no longer runs and one of a process that does
    dead_pid = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # no process has it
    ended = devdb.throwaway_cluster_path(dead_pid)
    running = devdb.throwaway_cluster_path(os.getppid())
    for path in (ended, running):
        path.mkdir(parents=True, exist_ok=True)
    try:
        # When a new run prunes
        removed = devdb.throwaway_clusters_prune()
        # Then only the ended run's folder is gone
        assert ended in removed and not ended.exists()
        assert running.exists()
    finally:
        running.rmdir()


def test_the_test_settings_use_this_runs_cluster_when_no_database_url_is_set(settings):
    db = settings.DATABASES["default"]
    assert db["ENGINE"] == "busanhub.db.postgresql"  # Django's, its health check by poll
    if "DATABASE_URL" not in os.environ:
        assert db["OPTIONS"]["host"] == str(devdb.throwaway_cluster_path())
