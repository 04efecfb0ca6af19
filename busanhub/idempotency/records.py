"""The two writes of every request that carries an `Idempotency-Key`, by prepared statements
(busanhub.db): the claim of the key before the view runs and the stored answer after it.

Through the ORM the claim was an INSERT in its own transaction (BEGIN, INSERT, COMMIT, and an
IntegrityError when the key was taken) and the answer an UPDATE, ~1 ms of CPU per money
request between them; here each is one EXECUTE in autocommit: `INSERT … ON CONFLICT DO
NOTHING RETURNING id` (no row: the key is taken) and `UPDATE … WHERE id`.
"""

from django.db import connections, router
from django.utils import timezone
from psycopg2 import sql

from busanhub.db import PreparedStatement, execute_together

from .models import IdempotencyRecord

_meta = IdempotencyRecord._meta
_table = sql.Identifier(_meta.db_table)
_column = {field.name: sql.Identifier(field.column) for field in _meta.concrete_fields}

_CLAIM = PreparedStatement(
    "idempotency_claim",
    sql.SQL(
        "INSERT INTO {table} ({user}, {scope}, {key}, {endpoint}, {request_hash}, "
        "{is_complete}, {created_at}) VALUES (%(user)s, %(scope)s, %(key)s, %(endpoint)s, "
        "%(request_hash)s, false, %(created_at)s) "
        "ON CONFLICT ({user}, {scope}, {key}) DO NOTHING RETURNING {id}"
    ).format(table=_table, **_column),
    params=[
        ("user", "bigint"),
        ("scope", "varchar"),
        ("key", "varchar"),
        ("endpoint", "varchar"),
        ("request_hash", "varchar"),
        ("created_at", "timestamptz"),
    ],
)
_COMPLETE = PreparedStatement(
    "idempotency_complete",
    sql.SQL(
        "UPDATE {table} SET {is_complete} = true, {response_status} = %(status)s, "
        "{response_body} = %(body)s WHERE {id} = %(id)s"
    ).format(table=_table, **_column),
    params=[("id", "bigint"), ("status", "smallint"), ("body", "jsonb")],
)


def _execute(call) -> list:
    with connections[router.db_for_write(IdempotencyRecord)].cursor() as cursor:
        return execute_together(cursor, [call])


def record_claim(*, user_pk: int, scope: str, key: str, endpoint: str, request_hash: str):
    """Records the key as in progress and returns the record's pk; None when this user's key
    in this scope is recorded already (committed at once unless the caller holds a
    transaction)."""
    rows = _execute(
        _CLAIM.bind(
            user=user_pk,
            scope=scope,
            key=key,
            endpoint=endpoint,
            request_hash=request_hash,
            created_at=timezone.now(),
        )
    )
    return rows[0][0] if rows else None


def record_complete(*, pk: int, status: int, body_json: str) -> None:
    """Stores the answer (`body_json`: the response's data as JSON text) of record `pk`."""
    _execute(_COMPLETE.bind(id=pk, status=status, body=body_json))
