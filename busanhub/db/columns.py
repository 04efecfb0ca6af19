"""A model's columns in a hand-written SELECT, and its instances made from the rows."""

from collections.abc import Sequence
from typing import Generic, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


class Columns(Generic[M]):
    """`model`'s concrete columns for a SELECT (`sql`, each prefixed with the table's `alias`)
    and an instance from a row's slice of them (`instance`), loaded as the ORM loads its own
    (`Model.from_db`). `without_json` leaves the JSON columns out (raw rows skip their
    decoding; a reader of one loads it as a deferred field)."""

    def __init__(self, model: type[M], alias: str = "", *, without_json: bool = False) -> None:
        fields = [
            field
            for field in model._meta.concrete_fields
            if not (without_json and field.get_internal_type() == "JSONField")
        ]
        prefix = f"{alias}." if alias else ""
        self.model = model
        self.attnames = [field.attname for field in fields]
        self.sql = ", ".join(f"{prefix}{field.column}" for field in fields)

    def __len__(self) -> int:
        return len(self.attnames)

    def instance(self, row: Sequence, start: int = 0) -> M:
        """The instance of `row[start:start + len(self)]`."""
        values = row[start : start + len(self.attnames)]
        return self.model.from_db(connection.alias, self.attnames, values)
