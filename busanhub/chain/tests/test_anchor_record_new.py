"""`anchor_record_new`: the one-INSERT outbox write for records created under a fresh ref."""

import pytest
from django.db import IntegrityError, transaction

from busanhub.chain import services
from busanhub.chain.models import AnchorLeaf

pytestmark = pytest.mark.django_db


def test_a_new_record_gets_the_same_leaf_as_anchor_record():
    # when one record is anchored the fast way and a twin the usual way
    fast = services.anchor_record_new(kind="test.fresh", ref="f1", version=1, data={"x": 1})
    usual = services.anchor_record(kind="test.fresh", ref="f2", version=1, data={"x": 1})
    # then the fast leaf is stored like any other, and anchor_record finds it again
    stored = AnchorLeaf.objects.get(kind="test.fresh", ref="f1")
    assert (stored.pk, stored.digest, stored.is_public) == (fast.pk, fast.digest, False)
    assert fast.envelope == {"kind": "test.fresh", "ref": "f1", "version": 1, "data": {"x": 1}}
    assert fast.digest != usual.digest  # the ref is part of the envelope
    again = services.anchor_record(kind="test.fresh", ref="f1", version=1, data={"x": 1})
    assert again.pk == fast.pk


def test_an_existing_version_is_refused_by_the_database():
    services.anchor_record(kind="test.fresh", ref="f1", version=1, data={"x": 1})
    with pytest.raises(IntegrityError), transaction.atomic():
        services.anchor_record_new(kind="test.fresh", ref="f1", version=1, data={"x": 1})
    assert AnchorLeaf.objects.filter(kind="test.fresh").count() == 1


def test_many_new_records_get_the_leaves_anchor_record_would_give():
    # when three records are anchored in one INSERT
    leaves = services.anchor_records_new(
        {"kind": "test.fresh", "ref": f"m{n}", "version": 1, "data": {"n": n}, "public": True}
        for n in range(3)
    )
    # then each is stored as anchor_record would store it, in the order given
    assert [leaf.ref for leaf in leaves] == ["m0", "m1", "m2"]
    stored = {leaf.ref: leaf for leaf in AnchorLeaf.objects.filter(kind="test.fresh")}
    assert {ref: (leaf.pk, leaf.digest, leaf.is_public) for ref, leaf in stored.items()} == {
        leaf.ref: (leaf.pk, leaf.digest, True) for leaf in leaves
    }
    again = services.anchor_record(kind="test.fresh", ref="m1", version=1, data={"n": 1})
    assert (again.pk, again.digest) == (leaves[1].pk, leaves[1].digest)


def test_many_new_records_with_one_existing_version_write_nothing():
    services.anchor_record(kind="test.fresh", ref="m1", version=1, data={"n": 1})
    with pytest.raises(IntegrityError), transaction.atomic():
        services.anchor_records_new(
            {"kind": "test.fresh", "ref": f"m{n}", "version": 1, "data": {"n": n}} for n in range(3)
        )
    assert AnchorLeaf.objects.filter(kind="test.fresh").count() == 1
