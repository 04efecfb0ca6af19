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
