"""The per-request health check of a persistent connection (busanhub/db/postgresql): an open,
idle connection is kept without a query; one the server closed is replaced before the
request's first query, as Django's `SELECT 1` check does. On the real server: the connection
is ended by `pg_terminate_backend`, as a restart or a failover would end it."""

import select
import time

import pytest
from django.db import connection, connections

from busanhub.db.postgresql.base import DatabaseWrapper, socket_says_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def persistent():
    """A second connection to the test database, as a web worker keeps one between requests."""
    other = connections.create_connection("default")
    other.settings_dict["CONN_HEALTH_CHECKS"] = True
    other.settings_dict["CONN_MAX_AGE"] = 600
    other.ensure_connection()
    yield other
    other.close()


def backend_pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def new_request(wrapper) -> None:
    """What Django's request_started does to a connection kept between requests."""
    wrapper.close_if_unusable_or_obsolete()
    assert wrapper.health_check_done is False


def server_closes(wrapper, pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    poller = select.poll()
    poller.register(wrapper.connection.fileno(), select.POLLIN | select.POLLHUP)
    deadline = time.monotonic() + 5
    while not poller.poll(20):  # the backend exits a moment after the signal
        assert time.monotonic() < deadline, "the server did not close the connection"


def test_the_portal_uses_the_backend(persistent):
    assert isinstance(connections["default"], DatabaseWrapper)
    assert isinstance(persistent, DatabaseWrapper)


def test_an_open_idle_connection_is_kept_without_a_round_trip(persistent):
    # Given a connection used by a request, then a new request starting
    pid = backend_pid(persistent)
    raw = persistent.connection
    new_request(persistent)

    # When the check runs (before the request's first query)
    assert socket_says_open(raw) is True
    persistent.close_if_health_check_failed()

    # Then the same connection serves the request
    assert persistent.connection is raw and persistent.health_check_done
    assert backend_pid(persistent) == pid


def test_a_connection_the_server_closed_is_replaced_before_the_first_query(persistent):
    # Given a kept connection that the server ends between two requests
    pid = backend_pid(persistent)
    new_request(persistent)
    server_closes(persistent, pid)
    assert socket_says_open(persistent.connection) is False

    # When the next request queries
    new_pid = backend_pid(persistent)

    # Then it ran on a new connection, without an error
    assert new_pid != pid


def test_a_connection_in_a_transaction_gets_djangos_check(persistent):
    # Given a kept connection left inside a transaction (autocommit off by hand)
    persistent.connection.autocommit = False
    with persistent.connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    # Then the socket does not decide: Django's SELECT 1 does (and keeps it, it is healthy)
    assert socket_says_open(persistent.connection) is None
    persistent.health_check_done = False
    raw = persistent.connection
    persistent.close_if_health_check_failed()
    assert persistent.connection is raw
    raw.rollback()
    raw.autocommit = True
