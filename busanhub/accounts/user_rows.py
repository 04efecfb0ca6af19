"""The user row every signed-in request reads, by prepared statements (busanhub.db).

A request signed in by its session loads its user by primary key (Django's `ModelBackend`,
through `User.objects.get(pk=…)`); an API call signed in by a token loads the token and its
user (DRF's `TokenAuthentication`). Through the ORM each cost ~0.4 ms of CPU to build and
compile a query whose answer PostgreSQL finds in microseconds, on every request. Here each is
one EXECUTE of a statement prepared once per connection, its row turned into the same model
instances the ORM would build (every concrete field, the database's converters applied).

Used by `UserManager.get` (models.py) and `authentication.TokenAuthentication`.
"""

from typing import Any

from django.db import connections, router
from psycopg2 import sql
from rest_framework.authtoken.models import Token

from busanhub.db import PreparedStatement, execute_together

from .models import User

_BIGINT = range(-(2**63), 2**63)


def _columns(model, table: str) -> sql.Composable:
    return sql.SQL(", ").join(
        sql.Identifier(table, field.column) for field in model._meta.concrete_fields
    )


_USER_BY_PK = PreparedStatement(
    "accounts_user_by_pk",
    sql.SQL("SELECT {columns} FROM {table} WHERE {pk} = %(pk)s").format(
        columns=_columns(User, User._meta.db_table),
        table=sql.Identifier(User._meta.db_table),
        pk=sql.Identifier(User._meta.db_table, User._meta.pk.column),
    ),
    params=[("pk", "bigint")],
)
_TOKEN_WITH_USER = PreparedStatement(
    "accounts_token_with_user",
    sql.SQL(
        "SELECT {token_columns}, {user_columns} FROM {tokens} "
        "JOIN {users} ON {users_pk} = {token_user} WHERE {token_key} = %(key)s"
    ).format(
        token_columns=_columns(Token, Token._meta.db_table),
        user_columns=_columns(User, User._meta.db_table),
        tokens=sql.Identifier(Token._meta.db_table),
        users=sql.Identifier(User._meta.db_table),
        users_pk=sql.Identifier(User._meta.db_table, User._meta.pk.column),
        token_user=sql.Identifier(Token._meta.db_table, Token._meta.get_field("user").column),
        token_key=sql.Identifier(Token._meta.db_table, Token._meta.pk.column),
    ),
    params=[("key", "varchar")],
)

# Per database alias: each concrete field's converters (what the ORM's compiler applies).
_converters: dict[str, list[tuple[int, list]]] = {}


def _instance(model, alias: str, values: list[Any]):
    key = f"{alias}:{model._meta.label}"
    converters = _converters.get(key)
    if converters is None:
        connection = connections[alias]
        converters = _converters[key] = []
        for position, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((position, found))
    for position, functions in converters:
        value = values[position]
        for function in functions:
            value = function(value, model._meta.concrete_fields[position], connections[alias])
        values[position] = value
    return model.from_db(alias, [f.attname for f in model._meta.concrete_fields], values)


def user_by_pk(pk: int, *, alias: str | None = None) -> User | None:
    """The user whose primary key is `pk` (an int in bigint's range), or None."""
    alias = alias or router.db_for_read(User)
    with connections[alias].cursor() as cursor:
        rows = execute_together(cursor, [_USER_BY_PK.bind(pk=pk)])
    return _instance(User, alias, list(rows[0])) if rows else None


def token_with_user(key: str) -> tuple[Token, User] | None:
    """The API token `key` and its user (cached on the token, as `select_related` does), or
    None when no token has this key."""
    alias = router.db_for_read(Token)
    with connections[alias].cursor() as cursor:
        rows = execute_together(cursor, [_TOKEN_WITH_USER.bind(key=key)])
    if not rows:
        return None
    row = list(rows[0])
    split = len(Token._meta.concrete_fields)
    token = _instance(Token, alias, row[:split])
    user = _instance(User, alias, row[split:])
    Token._meta.get_field("user").set_cached_value(token, user)
    return token, user


def is_bigint(value: Any) -> bool:
    return type(value) is int and value in _BIGINT
