"""B Pass's hot statements, prepared once per database connection (PostgreSQL).

Planning the verification read cost its PostgreSQL backend about four times what running it
did (0.11 against 0.03 ms of CPU, 2026-12-04). As vouchers and exchange do: a statement is
prepared the first time a connection runs it and executed by name after; prepared
statements belong to the session and survive rollbacks. Each parameter of a statement given
here is written `%s` with a cast, so that PREPARE knows its type.
"""

import itertools
import re
import weakref

from django.db import connection

_prepared: dict[str, weakref.WeakSet] = {}  # name -> the connections where it is prepared


def execute(cursor, name: str, sql: str, params: list) -> None:
    """Runs `sql` with `params` on `cursor` as the prepared statement `name`."""
    raw = connection.connection
    done = _prepared.setdefault(name, weakref.WeakSet())
    if raw not in done:
        numbers = itertools.count(1)
        body = re.sub(r"%s", lambda _match: f"${next(numbers)}", sql)
        cursor.execute(f"PREPARE {name} AS {body}")
        done.add(raw)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
