"""Prepared statements: one registry, prepared once per database connection.

A statement is written with psycopg2's named placeholders, `%(name)s` (what
`psycopg2.sql.Placeholder("name")` renders), and declares its parameters' names and
PostgreSQL types in order; the registry turns the placeholders into PREPARE's `$1, $2, ...`,
so no statement carries positional numbers of its own. It is run with keyword arguments; a
value for an array type (`bigint[]`) that is a list or other iterable goes as one array
literal (arrays.array_literal). Rows come back as the statement's NamedTuple, if it has one.

PostgreSQL keeps prepared statements per session; they survive rollbacks. A statement is
prepared on a connection the first time it runs there (one extra round trip, once).
"""

import operator
import re
import weakref
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from psycopg2 import sql as pgsql

from .arrays import array_literal

# Sent before EXECUTE, in the same round trip: the generic plan, made once per connection. A
# custom plan (the default mode's choice when it knows the arrays' lengths) would plan the
# statement again at every run, which costs more than running it. Local: it ends with the
# transaction (the implicit one of a multi-statement query outside a transaction).
GENERIC_PLAN = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_registry: dict[str, "PreparedStatement"] = {}
# The statements prepared on each database connection (psycopg2 connection objects).
_prepared: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()


def sql_file(path: Path | str) -> pgsql.SQL:
    """The text of a `.sql` file beside the code, as psycopg2 SQL (its `{name}` fields to be
    filled with `.format(name=psycopg2.sql.Identifier(...))`)."""
    return pgsql.SQL(Path(path).read_text())


class Call(NamedTuple):
    """One EXECUTE of a statement with its values, to send alone or with others."""

    statement: "PreparedStatement"
    values: list

    @property
    def sql(self) -> str:
        return self.statement.execute_sql


class PreparedStatement:
    """A statement of the registry: `name` (unique), the SQL (text or psycopg2 Composable,
    with `%(name)s` placeholders), `params` as (name, PostgreSQL type) pairs in order, `row`
    the NamedTuple its rows become (None: plain tuples), `generic_plan` to run it under
    GENERIC_PLAN."""

    def __init__(
        self,
        name: str,
        sql: str | pgsql.Composable,
        *,
        params: Sequence[tuple[str, str]] = (),
        row: Any = None,  # a NamedTuple class (its `_make` builds each row)
        generic_plan: bool = False,
    ):
        if name in _registry:
            raise ValueError(f"a prepared statement named {name!r} is already registered")
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"{name!r} is not a plain SQL name")
        self.name = name
        self.sql = sql
        self.params = tuple(params)
        self.row = row
        self.generic_plan = generic_plan
        self._text: str | None = None
        self._names = tuple(param for param, _ in self.params)
        # Rendered once: what runs the statement (psycopg2 fills in the values).
        placeholders = ", ".join(["%s"] * len(self.params))
        self.execute_sql = f"EXECUTE {name} ({placeholders})" if self.params else f"EXECUTE {name}"
        self._alone_sql = (
            f"{GENERIC_PLAN}; {self.execute_sql}" if generic_plan else self.execute_sql
        )
        self._array_positions = [
            n for n, (_, kind) in enumerate(self.params) if kind.endswith("[]")
        ]
        if len(set(self._names)) != len(self._names):
            raise ValueError(f"{name}: a parameter is declared twice")
        self._name_set = frozenset(self._names)
        # values by name -> a tuple in declared order (itemgetter of one name gives the value)
        self._take: Callable[[dict], tuple]
        if len(self._names) > 1:
            self._take = operator.itemgetter(*self._names)
        elif self._names:
            key = self._names[0]
            self._take = lambda values: (values[key],)
        else:
            self._take = lambda values: ()
        _registry[name] = self

    def __repr__(self) -> str:
        return f"<PreparedStatement {self.name}>"

    def text(self, connection) -> str:
        """The PREPARE statement for `connection` (a psycopg2 connection, for the
        Composable's quoting). Rendered once per process: identifiers quote the same on every
        connection, and a fresh connection (a new thread, a pool's) prepares at once."""
        if self._text is None:
            self._text = self._render(connection)
        return self._text

    def _render(self, connection) -> str:
        body = self.sql if isinstance(self.sql, str) else self.sql.as_string(connection)
        position = {param: n for n, param in enumerate(self._names, 1)}
        used = set(_PLACEHOLDER.findall(body))
        if used != set(self._names):
            raise ValueError(
                f"{self.name}: placeholders {sorted(used)} but parameters {sorted(self._names)}"
            )
        body = _PLACEHOLDER.sub(lambda match: f"${position[match[1]]}", body)
        body = body.replace("%%", "%")
        types = ", ".join(kind for _, kind in self.params)
        return (
            f"PREPARE {self.name} ({types}) AS {body}"
            if types
            else (f"PREPARE {self.name} AS {body}")
        )

    def prepare(self, cursor) -> None:
        """Prepares the statement on the cursor's connection unless it is already."""
        raw = cursor.connection
        done = _prepared.setdefault(raw, set())
        if self.name not in done:
            cursor.execute(self.text(raw))
            done.add(self.name)

    def bind(self, **values) -> Call:
        """The EXECUTE of this statement with `values` (every parameter, by name), in the
        declared order; an array parameter given as a list (any iterable but a string) goes
        as one array literal."""
        # the values taken by one itemgetter call (a Python loop over a placement's 27 names
        # cost more than the rest of its EXECUTE); a missing name raises KeyError
        try:
            ordered = list(self._take(values))
        except KeyError:
            ordered = None
        if ordered is None or len(values) != len(self._names):
            missing = self._name_set - values.keys()
            extra = values.keys() - self._name_set
            raise TypeError(f"{self.name}: missing {sorted(missing)}, unknown {sorted(extra)}")
        for position in self._array_positions:
            value = ordered[position]
            if value.__class__ is not str and value is not None:
                ordered[position] = array_literal(value)
        return Call(self, ordered)

    def execute(self, cursor, **values) -> list:
        """Runs the statement with `values` and returns its rows (mapped to `row`)."""
        return execute_together(cursor, [self.bind(**values)])

    def rows(self, rows: Iterable[tuple]) -> list:
        return list(map(self.row._make, rows)) if self.row else list(rows)


def execute_together(cursor, calls: Sequence[Call]) -> list:
    """Runs `calls` in one round trip (one multi-statement query; GENERIC_PLAN first if any of
    them asks for it), preparing those not yet prepared on this connection; returns the last
    one's rows, mapped to its statement's row type ([] when it returns none).

    `cursor` is a Django cursor. When Django logs queries (DEBUG, a test's
    CaptureQueriesContext) or a caller installed an execute wrapper, the query goes through
    it; otherwise straight to psycopg2's cursor, with the same database-error translation and
    broken-transaction check as Django's wrapper (its layers cost more than EXECUTE's Python)."""
    raw_cursor = cursor.cursor
    done = _prepared.get(raw_cursor.connection)
    for call in calls:
        if done is None or call.statement.name not in done:
            call.statement.prepare(cursor)
            done = _prepared[raw_cursor.connection]
    if len(calls) == 1:
        last = calls[0]
        sql, values = last.statement._alone_sql, last.values
    else:
        last = calls[-1]
        statements = tuple([call.statement for call in calls])
        joined = _together.get(statements)
        if joined is None:
            joined = _together[statements] = _together_sql(statements)
        sql = joined
        values = list(chain.from_iterable([call.values for call in calls]))
    db = cursor.db
    if db.execute_wrappers or db.queries_logged:
        cursor.execute(sql, values)
    else:
        db.validate_no_broken_transaction()
        with db.wrap_database_errors:
            raw_cursor.execute(sql, values)
    if raw_cursor.description is None:  # the last statement returns no rows
        return []
    return last.statement.rows(raw_cursor.fetchall())


# The query text of each sequence of statements sent together, rendered once.
_together: dict[tuple["PreparedStatement", ...], str] = {}


def _together_sql(statements: tuple["PreparedStatement", ...]) -> str:
    parts = [GENERIC_PLAN] if any(statement.generic_plan for statement in statements) else []
    parts += [statement.execute_sql for statement in statements]
    return "; ".join(parts)


def forget(connection) -> None:
    """Forgets what was prepared on `connection` (after a DISCARD ALL, say)."""
    _prepared.pop(connection, None)


def registered() -> dict[str, PreparedStatement]:
    """Every statement of the registry, by name."""
    return dict(_registry)
