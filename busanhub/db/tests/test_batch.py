"""busanhub.db.Batch: statements added one by one go in one round trip, lists as arrays."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from busanhub.db import Batch

pytestmark = pytest.mark.django_db


def test_added_statements_and_the_last_one_go_together_and_the_last_ones_rows_come_back():
    batch = Batch()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE batch_test (n bigint)")
    batch.add("INSERT INTO batch_test SELECT unnest(%s::bigint[])", [[1, 2, 3]])
    batch.add("DELETE FROM batch_test WHERE n = %s", [2])
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        rows = batch.send(cursor, "SELECT n FROM batch_test WHERE n <> ALL(%s) ORDER BY n", [[3]])
    assert rows == [(1,)]
    assert len(queries.captured_queries) == 1
    assert (batch.sql, batch.params) == ([], [])


def test_nothing_added_sends_nothing():
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        assert Batch().send(cursor) is None
    assert queries.captured_queries == []
