"""busanhub.db.PreparedStatement: named parameters, prepared once per connection, rows as
named tuples, arrays as one literal, the generic plan in one spelling."""

import uuid
from typing import NamedTuple

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from psycopg2 import sql as pgsql

from busanhub.db import GENERIC_PLAN, PreparedStatement, execute_together
from busanhub.db.prepared import registered

pytestmark = pytest.mark.django_db


class Pair(NamedTuple):
    n: int
    label: str


PAIRS = PreparedStatement(
    "test_db_pairs",
    "SELECT n, %(label)s || n FROM unnest(%(numbers)s) AS n WHERE n >= %(least)s ORDER BY n",
    params=[("numbers", "bigint[]"), ("label", "text"), ("least", "bigint")],
    row=Pair,
)
GENERIC = PreparedStatement(
    "test_db_generic",
    pgsql.SQL("SELECT current_setting('plan_cache_mode'), count(*) FROM {table}").format(
        table=pgsql.Identifier("django_migrations")
    ),
    generic_plan=True,
)
PERCENT = PreparedStatement(
    "test_db_percent",
    "SELECT %(a)s %% 7, %(b)s::uuid[], %(a)s",
    params=[("a", "integer"), ("b", "uuid[]")],
)


def _prepares(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("PREPARE")]


def test_named_placeholders_become_positions_in_declared_order():
    text = PAIRS.text(None)  # plain text: no connection needed to render it
    assert text == (
        "PREPARE test_db_pairs (bigint[], text, bigint) AS "
        "SELECT n, $2 || n FROM unnest($1) AS n WHERE n >= $3 ORDER BY n"
    )


def test_rows_come_back_as_the_named_tuple_and_arrays_go_as_one_literal():
    with connection.cursor() as cursor:
        rows = PAIRS.execute(cursor, numbers=[3, 1, 2], label="n=", least=2)
    assert rows == [Pair(2, "n=2"), Pair(3, "n=3")]
    assert rows[0].label == "n=2"


@pytest.mark.django_db(transaction=True)
def test_prepared_once_per_connection():
    with connection.cursor() as cursor:
        PAIRS.execute(cursor, numbers=[1], label="", least=0)
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        PAIRS.execute(cursor, numbers=[1], label="", least=0)
    assert [q["sql"] for q in queries.captured_queries] == ["EXECUTE test_db_pairs ('{1}', '', 0)"]
    # a new connection prepares it again, once
    connection.close()
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        PAIRS.execute(cursor, numbers=[1], label="", least=0)
        PAIRS.execute(cursor, numbers=[1], label="", least=0)
    assert len(_prepares(queries)) == 1
    assert len(queries.captured_queries) == 3


def test_generic_plan_is_asked_in_the_same_round_trip():
    with connection.cursor() as cursor:
        GENERIC.prepare(cursor)
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        ((mode, _count),) = GENERIC.execute(cursor)
    assert mode == "force_generic_plan"
    assert [q["sql"] for q in queries.captured_queries] == [
        f"{GENERIC_PLAN}; EXECUTE test_db_generic"
    ]


def test_several_statements_in_one_round_trip_answer_with_the_last_ones_rows():
    ids = [uuid.uuid4(), uuid.uuid4()]
    with connection.cursor() as cursor:
        PAIRS.prepare(cursor)
        PERCENT.prepare(cursor)
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        rows = execute_together(
            cursor, [PAIRS.bind(numbers=[5], label="", least=0), PERCENT.bind(a=9, b=ids)]
        )
    assert rows == [(2, ids, 9)]  # `%%` in the SQL is the modulo operator
    assert len(queries.captured_queries) == 1


def test_wrong_parameters_and_names_are_refused():
    with pytest.raises(TypeError, match="missing \\['least'\\]"):
        PAIRS.bind(numbers=[1], label="")
    with pytest.raises(TypeError, match="unknown \\['most'\\]"):
        PAIRS.bind(numbers=[1], label="", least=0, most=1)
    with pytest.raises(ValueError, match="already registered"):
        PreparedStatement("test_db_pairs", "SELECT 1")
    undeclared = PreparedStatement("test_db_undeclared", "SELECT %(x)s")
    with pytest.raises(ValueError, match="placeholders"):
        undeclared.text(None)
    assert registered()["test_db_pairs"] is PAIRS


UNIQUE_INSERT = PreparedStatement(
    "test_db_unique_insert",
    "INSERT INTO prepared_test (n) VALUES (%(n)s)",
    params=[("n", "bigint")],
)


def _unique_table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE prepared_test (n bigint PRIMARY KEY)")


def test_a_statement_without_rows_answers_an_empty_list():
    _unique_table()
    with connection.cursor() as cursor:
        assert UNIQUE_INSERT.execute(cursor, n=1) == []
        cursor.execute("SELECT n FROM prepared_test")
        assert cursor.fetchall() == [(1,)]


def test_unlogged_runs_go_to_psycopg2_and_errors_come_as_djangos():
    # Given no query log and no execute wrapper: the statement skips Django's cursor wrapper
    _unique_table()
    assert not connection.queries_logged and not connection.execute_wrappers
    with connection.cursor() as cursor:
        UNIQUE_INSERT.execute(cursor, n=1)
        # When it breaks a constraint, then the error is Django's, as through the wrapper
        with pytest.raises(IntegrityError), transaction.atomic():
            UNIQUE_INSERT.execute(cursor, n=1)
        cursor.execute("SELECT count(*) FROM prepared_test")
        assert cursor.fetchall() == [(1,)]


def test_a_broken_transaction_is_refused_before_anything_is_sent():
    _unique_table()
    with connection.cursor() as cursor:
        UNIQUE_INSERT.execute(cursor, n=1)
        with transaction.atomic():
            with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
                UNIQUE_INSERT.execute(cursor, n=1)  # the outer block is now broken
            with pytest.raises(TransactionManagementError):
                UNIQUE_INSERT.execute(cursor, n=2)
        cursor.execute("SELECT n FROM prepared_test")
        assert cursor.fetchall() == [(1,)]


def test_an_execute_wrapper_sees_the_statement():
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        PAIRS.prepare(cursor)
        with connection.execute_wrapper(wrapper):
            assert PAIRS.execute(cursor, numbers=[4], label="", least=0) == [Pair(4, "4")]
    assert seen == ["EXECUTE test_db_pairs (%s, %s, %s)"]
