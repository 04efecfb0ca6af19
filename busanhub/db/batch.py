"""Several plain statements in one round trip (one multi-statement query), for a writer that
builds them one by one (the exchange matcher's batch)."""

from .arrays import array_literal


def with_arrays(params) -> list:
    """`params` with every list as one array literal (the statement casts it: `%s::bigint[]`)."""
    return [array_literal(value) if isinstance(value, list) else value for value in params]


class Batch:
    """Statements added one by one and sent together, inside the caller's transaction. A list
    parameter goes as one array literal, not one parameter per element."""

    def __init__(self):
        self.sql: list[str] = []
        self.params: list = []

    def add(self, sql: str, params) -> None:
        self.sql.append(sql)
        self.params.extend(with_arrays(params))

    def send(self, cursor, sql: str | None = None, params=()) -> list | None:
        """Sends what was added and then `sql`, whose rows it returns."""
        statements = [*self.sql, sql] if sql else self.sql
        values = [*self.params, *with_arrays(params)]
        self.sql, self.params = [], []
        if statements:
            cursor.execute(";\n".join(statements), values)
        return cursor.fetchall() if sql else None
