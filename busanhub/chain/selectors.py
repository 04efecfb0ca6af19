from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from busanhub.chain import canonical
from busanhub.chain.models import AnchorBatch, AnchorLeaf

DELAYED_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class AnchorState:
    """Where one record's digest is in the outbox, as citizens are told about it.

    `state` is "anchored" (its batch is confirmed on chain), "pending" (written, not confirmed
    yet: waiting for a batch, sealed or sent) or "failed" (no record has this digest, or it is
    not a digest at all). `step` details a pending leaf: "waiting", "sealed" or "submitted".
    """

    digest: str
    state: str
    step: str = ""
    block_number: int | None = None
    block_timestamp: datetime | None = None
    created_at: datetime | None = None

    @property
    def status(self) -> str:
        """The same state in the words of the receipt API's and CLI's "not anchored yet"
        answers: "unknown", "pending" (not sealed yet), "sealed", "submitted" or "confirmed"."""
        if self.state == "anchored":
            return "confirmed"
        if self.state == "failed":
            return "unknown"
        return "pending" if self.step == "waiting" else self.step

    @property
    def is_pending(self) -> bool:
        return self.state == "pending"

    @property
    def is_anchored(self) -> bool:
        return self.state == "anchored"

    @property
    def is_delayed(self) -> bool:
        """Pending for longer than anchoring normally takes (a batch a minute)."""
        return (
            self.is_pending
            and self.created_at is not None
            and timezone.now() - self.created_at > DELAYED_AFTER
        )


_STATE_FIELDS = (
    "digest",
    "created_at",
    "batch__status",
    "batch__block_number",
    "batch__block_timestamp",
)


def _state_of(row: dict) -> AnchorState:
    status = row["batch__status"]
    if status == AnchorBatch.Status.CONFIRMED:
        return AnchorState(
            digest=row["digest"],
            state="anchored",
            block_number=row["batch__block_number"],
            block_timestamp=row["batch__block_timestamp"],
            created_at=row["created_at"],
        )
    return AnchorState(
        digest=row["digest"],
        state="pending",
        step=status or "waiting",
        created_at=row["created_at"],
    )


def anchor_states(digests: Iterable[str]) -> dict[str, AnchorState]:
    """The anchoring state of each digest, in one query (a LEFT JOIN of leaf and batch).

    Keys are the digests as given; a digest that is malformed or unknown maps to "failed".
    """
    wanted: dict[str, str] = {}
    for given in digests:
        if not given:
            continue
        try:
            wanted[given] = canonical.normalize_digest(given)
        except ValueError:
            wanted[given] = ""
    found = (
        {
            row["digest"]: _state_of(row)
            for row in AnchorLeaf.objects.filter(
                digest__in={d for d in wanted.values() if d}
            ).values(*_STATE_FIELDS)
        }
        if any(wanted.values())
        else {}
    )
    return {
        given: found.get(normal) or AnchorState(digest=normal or given, state="failed")
        for given, normal in wanted.items()
    }


def anchor_state(digest: str) -> AnchorState:
    """The anchoring state of one digest, in one query (none for a malformed digest)."""
    return anchor_states([digest]).get(digest) or AnchorState(digest=digest, state="failed")


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
