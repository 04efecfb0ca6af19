"""busanhub.db.insert_rows: one unnest INSERT, keys back in the rows' order, JSON as text."""

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from busanhub.chain.models import AnchorLeaf
from busanhub.db import insert_rows

pytestmark = pytest.mark.django_db


def test_rows_are_inserted_in_one_statement_and_their_keys_come_back_in_order():
    names = [f"group {n}" for n in (3, 1, 2, 5, 4)]
    with CaptureQueriesContext(connection) as queries:
        pks = insert_rows(AuthGroup, ["name"], [(name,) for name in names], returning=True)
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    assert sql.startswith('INSERT INTO "auth_group" ("name") SELECT * FROM unnest(')
    assert sql.endswith('::varchar(150)[]) RETURNING "id"')
    assert [AuthGroup.objects.get(pk=pk).name for pk in pks] == names


def test_json_values_and_no_rows():
    now = timezone.now()
    envelope = {"a": [1, "b", None], "ü": {"nested": True}}
    assert insert_rows(AnchorLeaf, ["kind"], []) == []
    assert (
        insert_rows(
            AnchorLeaf,
            ["kind", "ref", "version", "digest", "envelope", "is_public", "created_at"],
            [("test", "r", 1, "0xab", envelope, False, now)],
        )
        == []
    )
    leaf = AnchorLeaf.objects.get(digest="0xab")
    assert (leaf.envelope, leaf.created_at) == (envelope, now)


def test_each_column_goes_as_one_array_parameter_and_awkward_values_survive():
    # Quotes, backslashes, braces, commas, the word NULL, an empty string and non-ASCII text
    # are array-literal syntax or look like it: each must come back exactly as sent.
    names = ['say "hi"', "back\\slash", "{braces},commas", "NULL", "", "부산 ü"]
    with CaptureQueriesContext(connection) as queries:
        pks = insert_rows(AuthGroup, ["name"], [(name,) for name in names], returning=True)
    assert "ARRAY[" not in queries.captured_queries[0]["sql"]
    assert [AuthGroup.objects.get(pk=pk).name for pk in pks] == names


def test_null_json_and_time_values_come_back_as_sent():
    now = timezone.now()
    envelopes = [{"quote": 'a "b" \\ c', "list": [None, True, 1.5]}, [], "text", None]
    rows = [
        ("test", f"r{n}", 1, f"0x{n}", envelope, n % 2 == 0, now)
        for n, envelope in enumerate(envelopes)
    ]
    insert_rows(
        AnchorLeaf,
        ["kind", "ref", "version", "digest", "envelope", "is_public", "created_at"],
        rows,
    )
    stored = AnchorLeaf.objects.order_by("ref")
    assert [(leaf.envelope, leaf.is_public, leaf.created_at) for leaf in stored] == [
        (envelope, n % 2 == 0, now) for n, envelope in enumerate(envelopes)
    ]
