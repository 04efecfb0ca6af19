from django.db.models import Count, Min, Q, Sum

from busanhub.chain import canonical
from busanhub.chain.models import AnchorBatch, AnchorLeaf


def leaf_status(digest: str) -> str:
    """'unknown', 'pending' (not sealed yet), 'sealed', 'submitted' or 'confirmed'."""
    try:
        digest = canonical.normalize_digest(digest)
    except ValueError:
        return "unknown"
    row = AnchorLeaf.objects.filter(digest=digest).values_list("batch__status", flat=True).first()
    if row is None and not AnchorLeaf.objects.filter(digest=digest).exists():
        return "unknown"
    return row or "pending"


def anchoring_dashboard() -> dict:
    """Figures for the admin's anchoring dashboard, in a few aggregate queries."""
    pending = AnchorLeaf.objects.filter(batch__isnull=True).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    batches = AnchorBatch.objects.aggregate(
        sealed=Count("pk", filter=Q(status=AnchorBatch.Status.SEALED)),
        submitted=Count("pk", filter=Q(status=AnchorBatch.Status.SUBMITTED)),
        confirmed=Count("pk", filter=Q(status=AnchorBatch.Status.CONFIRMED)),
        gas=Sum("gas_used", filter=Q(status=AnchorBatch.Status.CONFIRMED)),
        anchored_leaves=Sum("leaf_count", filter=Q(status=AnchorBatch.Status.CONFIRMED)),
    )
    last = (
        AnchorBatch.objects.filter(status=AnchorBatch.Status.CONFIRMED)
        .defer("tree", "raw_tx")
        .order_by("-confirmed_at")
        .first()
    )
    return {"pending": pending, "batches": batches, "last_confirmed": last}
