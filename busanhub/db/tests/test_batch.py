"""busanhub.db.Batch: prepared statements' calls added one by one go in one round trip."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from busanhub.db import Batch, PreparedStatement

pytestmark = pytest.mark.django_db

INSERT = PreparedStatement(
    "test_batch_insert",
    "INSERT INTO batch_test SELECT unnest(%(numbers)s)",
    params=[("numbers", "bigint[]")],
)
DELETE = PreparedStatement(
    "test_batch_delete", "DELETE FROM batch_test WHERE n = %(n)s", params=[("n", "bigint")]
)
SELECT = PreparedStatement(
    "test_batch_select",
    "SELECT n FROM batch_test WHERE n <> ALL(%(but)s) ORDER BY n",
    params=[("but", "bigint[]")],
)


def _table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE batch_test (n bigint)")
        for statement in (INSERT, DELETE, SELECT):
            statement.prepare(cursor)


def test_added_calls_and_the_last_one_go_together_and_the_last_ones_rows_come_back():
    _table()
    batch = Batch()
    batch.add(INSERT.bind(numbers=[1, 2, 3]))
    batch.add(DELETE.bind(n=2))
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        rows = batch.send(cursor, SELECT.bind(but=[3]))
    assert rows == [(1,)]
    assert len(queries.captured_queries) == 1
    assert batch.calls == []


def test_without_a_last_call_the_batch_is_sent_and_answers_none():
    _table()
    batch = Batch()
    batch.add(INSERT.bind(numbers=[4, 5]))
    batch.add(DELETE.bind(n=4))
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        assert batch.send(cursor) is None
    assert len(queries.captured_queries) == 1
    with connection.cursor() as cursor:
        assert SELECT.execute(cursor, but=[]) == [(5,)]


def test_nothing_added_sends_nothing():
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        assert Batch().send(cursor) is None
    assert queries.captured_queries == []
