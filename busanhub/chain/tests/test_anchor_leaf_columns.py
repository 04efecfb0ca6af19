"""`anchor_leaf_columns`: the values `anchor_record_new` writes, for callers that insert the
leaf in a statement of their own."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from busanhub.chain import services
from busanhub.chain.models import AnchorLeaf

pytestmark = pytest.mark.django_db

FIELDS = ["kind", "ref", "version", "digest", "envelope", "is_public", "batch_id"]
DATA = {"postings": [{"account": "a", "amount": -5}, {"account": "b", "amount": 5}], "k": "한"}


def stored(ref: str) -> dict:
    leaf = AnchorLeaf.objects.get(kind="test.columns", ref=ref)
    return {field: getattr(leaf, field) for field in FIELDS}


@pytest.mark.parametrize("public", [False, True])
def test_a_leaf_inserted_from_the_columns_equals_the_one_anchor_record_new_writes(public):
    # given the leaf anchor_record_new writes (rolled back, so the same ref can be used again)
    with transaction.atomic():
        services.anchor_record_new(
            kind="test.columns", ref="r1", version=2, data=DATA, public=public
        )
        expected = stored("r1")
        transaction.set_rollback(True)
    assert not AnchorLeaf.objects.filter(kind="test.columns").exists()
    # when the same record's columns are inserted by raw SQL
    columns = services.anchor_leaf_columns(
        kind="test.columns", ref="r1", version=2, data=DATA, public=public
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {services.ANCHOR_LEAF_TABLE} "  # noqa: S608 (the table's name)
            "(kind, ref, version, digest, envelope, is_public, created_at) "
            "VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s)",
            [
                columns["kind"],
                columns["ref"],
                columns["version"],
                columns["digest"],
                json.dumps(columns["envelope"]),
                columns["is_public"],
                timezone.now(),
            ],
        )
    # then the stored leaf is the same, digest included, and anchor_record finds it
    assert stored("r1") == expected
    assert expected["digest"].startswith("0x") and len(expected["digest"]) == 66
    again = services.anchor_record(kind="test.columns", ref="r1", version=2, data=DATA)
    assert again.digest == columns["digest"]


def test_the_columns_are_validated_like_anchor_record_new():
    with pytest.raises(ValidationError) as error:
        services.anchor_leaf_columns(kind="Not A Kind", ref="r1", version=1, data={})
    assert "kind" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.anchor_leaf_columns(
            kind="test.columns", ref="r1", version=1, data={"x": float("nan")}
        )
    assert "data" in error.value.message_dict
    assert not AnchorLeaf.objects.filter(kind="test.columns").exists()
