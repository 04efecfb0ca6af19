"""What a report anchors: one version per meaningful change, public facts and digests of the
text and photos, never personal data."""

import hashlib
from datetime import UTC
from typing import Any

from busanhub.chain.services import anchor_leaf_columns, anchor_record
from safety.models import Report, ReportUpdate

ANCHOR_KIND = "safety.report"


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _timestamp(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def report_envelope_data(*, report: Report, update: ReportUpdate, photo_hashes: list[str]) -> dict:
    """The anchored data of one version: public facts and digests, never personal data."""
    return {
        "service_request_id": report.service_request_id,
        "service_code": report.category.service_code,
        "status": update.to_status,
        "submitted_at": _timestamp(report.created_at),
        "changed_at": _timestamp(update.created_at),
        "location": (
            {"lat": round(report.lat, 6), "long": round(report.long, 6)}
            if report.lat is not None
            else None
        ),
        "description_sha256": _text_digest(report.description),
        "answers_sha256": _text_digest(
            "\n".join(f"{key}={report.answers[key]}" for key in sorted(report.answers))
        ),
        "photos_sha256": photo_hashes,
        "public_note": update.public_note,
        "internal_note_sha256": _text_digest(update.internal_note),
        "duplicate_of": str(report.duplicate_of.public_id) if report.duplicate_of_id else None,
    } | ({"reward": update.reward} if update.reward else {})


def report_anchor(*, report: Report, update: ReportUpdate) -> None:
    """Anchors `update` as the report's next version (public) and stores its digest on both
    rows. Inside the caller's transaction, with the report's row locked or new."""
    hashes = list(report.photos.order_by("position").values_list("sha256", flat=True))
    leaf = anchor_record(
        kind=ANCHOR_KIND,
        ref=report.service_request_id,
        version=update.version,
        data=report_envelope_data(report=report, update=update, photo_hashes=hashes),
        public=True,
    )
    update.digest = leaf.digest
    update.full_clean()
    update.save()
    report.version = update.version
    report.digest = leaf.digest
    report.save(update_fields=["version", "digest"])


def report_anchor_columns_new(
    *, report: Report, update: ReportUpdate, photo_hashes: list[str]
) -> dict[str, Any]:
    """The anchor leaf of version 1 of a report not saved yet (its public id is a fresh UUID),
    as the columns `anchor_record_new` would insert (`anchor_leaf_columns`: validated, with its
    digest), and sets that digest on both unsaved rows. The caller inserts the leaf with them,
    in one transaction (`safety.services.report_rows`)."""
    leaf = anchor_leaf_columns(
        kind=ANCHOR_KIND,
        ref=report.service_request_id,
        version=update.version,
        data=report_envelope_data(report=report, update=update, photo_hashes=photo_hashes),
        public=True,
    )
    update.digest = leaf["digest"]
    report.version = update.version
    report.digest = leaf["digest"]
    return leaf
