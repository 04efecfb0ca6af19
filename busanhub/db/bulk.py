"""Plain rows into a model's table in one statement."""

import json

from django.db import connection, models
from psycopg2 import sql as pgsql

from .arrays import array_literal


def insert_rows(
    model, columns: list[str], rows: list[tuple], *, returning: bool = False
) -> list[int]:
    """Inserts plain rows into `model`'s table in one statement, without model instances;
    with `returning`, gives back their primary keys in the order of `rows`.

    For rows whose values were checked already (captured events and their child rows):
    compiling `bulk_create`'s statement row by row costs more than the insert. The rows go as
    one array per column (`unnest`, as Django's own `bulk_create` does on PostgreSQL, which
    also relies on RETURNING keeping the input order), each array one text parameter
    (`array_literal`: a Python list would go as `ARRAY[...]` of one literal per value, which
    the server parses one by one); JSON values are sent as text. No model validation, no
    defaults: every column the table needs is in `columns`.
    """
    if not rows:
        return []
    fields = [model._meta.get_field(column) for column in columns]
    statement = pgsql.SQL("INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})").format(
        table=pgsql.Identifier(model._meta.db_table),
        names=pgsql.SQL(", ").join(pgsql.Identifier(field.column) for field in fields),
        arrays=pgsql.SQL(", ").join(
            pgsql.SQL("%s::{}[]").format(pgsql.SQL(field.db_type(connection))) for field in fields
        ),
    )
    if returning:
        statement += pgsql.SQL(" RETURNING {}").format(pgsql.Identifier(model._meta.pk.column))
    values = [
        array_literal(map(json.dumps, column) if isinstance(field, models.JSONField) else column)
        for field, column in zip(fields, zip(*rows, strict=True), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection), values)
        return [row[0] for row in cursor.fetchall()] if returning else []
