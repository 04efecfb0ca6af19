"""Concurrent sealers: `FOR UPDATE SKIP LOCKED` gives every leaf to one batch."""

from collections import Counter

import pytest

from busanhub.chain import merkle, services
from busanhub.chain.models import AnchorBatch, AnchorLeaf
from busanhub.testing import run_threads

LEAVES = 2000
BATCH_SIZE = 500
THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_sealers_never_take_the_same_leaf(settings):
    # Given 2000 pending leaves and batches of 500
    settings.CHAIN_BATCH_SIZE = BATCH_SIZE
    for i in range(LEAVES):
        services.anchor_record(kind="test.concurrent", ref=f"r{i}", version=1, data={"i": i})
    assert AnchorLeaf.objects.filter(batch__isnull=True).count() == LEAVES

    # When 4 threads seal at the same time, each until nothing is pending
    def sealer(_index: int) -> list[int]:
        sealed = []
        while (batch := services.batch_seal()) is not None:
            sealed.append(batch.pk)
        return sealed

    sealed = run_threads(THREADS, sealer)
    assert [r for r in sealed if not isinstance(r, list)] == []

    # Then every leaf is in exactly one batch, and the batches add up to 2000 leaves
    assert not AnchorLeaf.objects.filter(batch__isnull=True).exists()
    batch_ids = [pk for pks in sealed for pk in pks]
    assert len(batch_ids) == len(set(batch_ids))
    assert set(batch_ids) == set(AnchorBatch.objects.values_list("pk", flat=True))
    batches = list(AnchorBatch.objects.all())
    assert sum(b.leaf_count for b in batches) == LEAVES
    assert all(b.leaf_count <= BATCH_SIZE for b in batches)
    counts = Counter(AnchorLeaf.objects.values_list("batch_id", flat=True))
    assert counts == {b.pk: b.leaf_count for b in batches}
    assert AnchorLeaf.objects.values("digest").distinct().count() == LEAVES

    # And each batch's tree holds exactly its own leaves
    for batch in batches:
        digests = (
            AnchorLeaf.objects.filter(batch=batch).order_by("pk").values_list("digest", flat=True)
        )
        tree = merkle.MerkleTree.from_values([bytes.fromhex(d[2:]) for d in digests])
        assert merkle.to_hex(tree.root) == batch.root
