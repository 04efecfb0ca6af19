"""Prepared statements added one by one and sent in one round trip, for a writer that builds
them as it goes (the exchange matcher's batch)."""

from .prepared import Call, execute_together


class Batch:
    """Calls (`PreparedStatement.bind(...)`) added one by one and sent together, inside the
    caller's transaction."""

    def __init__(self):
        self.calls: list[Call] = []

    def add(self, call: Call) -> None:
        self.calls.append(call)

    def send(self, cursor, last: Call | None = None) -> list | None:
        """Sends what was added and then `last`, whose rows it returns (None without one)."""
        calls = [*self.calls, last] if last is not None else self.calls
        self.calls = []
        if not calls:
            return None
        rows = execute_together(cursor, calls)
        return rows if last is not None else None
