"""Django's PostgreSQL backend, with the per-request health check asked of the socket.

With `CONN_HEALTH_CHECKS` (prod), Django checks a persistent connection before a request's
first query by sending `SELECT 1` and waiting for the answer: a round trip on every request
that queries, ~50 µs of the web process's CPU and as much of the PostgreSQL backend's (a signed-in
page's first query is its user row, so every page paid it).

A connection the server has closed (a restart, a failover, `pg_terminate_backend`, an idle
timeout) has something to read on its socket: the server's FATAL message, then the end of the
stream. An idle connection that is still open has nothing, since nothing here asks for
asynchronous messages (no LISTEN). So when the connection is idle (not in a transaction, which
Django's own check would still run `SELECT 1` in) and open on the client's side, one `poll()` of
its socket with no wait answers the health check: readable or hung up means closed, and the
connection is dropped and reopened before the query, as Django's check does. Anything else
(a transaction left open, an unknown status, an error reading the socket) gets Django's check.

What a poll cannot see, a peer that vanished without closing (a cable cut): `SELECT 1` would
wait out the TCP timeout and then reconnect, the poll lets the request's own query wait it out
and fail. Checks after a query failed (`errors_occurred`, at the end of a request) are Django's.
"""

import select

import psycopg2
from django.db.backends.postgresql import base
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

_READABLE_OR_GONE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def socket_says_open(connection) -> bool | None:
    """True: an idle psycopg2 connection with nothing to read; False: closed or something to
    read (the server hung up or is saying why); None: not idle, let SELECT 1 decide."""
    if connection.closed:
        return False
    try:
        if connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
            return None
        poller = select.poll()
        poller.register(connection.fileno(), _READABLE_OR_GONE)
        return not poller.poll(0)
    except (OSError, ValueError, psycopg2.Error):
        return None


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is None
            or not self.health_check_enabled
            or self.health_check_done
            or self.pool
        ):
            return super().close_if_health_check_failed()
        is_open = socket_says_open(self.connection)
        if is_open is None:
            return super().close_if_health_check_failed()
        if not is_open:
            self.close()
        self.health_check_done = True
