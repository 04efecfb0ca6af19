"""Recalls: choose lots, find every affected lot and holder, notify them, export the KDEs."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub import spreadsheet
from busanhub.chain.services import anchor_record

from .. import selectors
from ..models import Alert, Lot, Recall


@transaction.atomic
def recall_create(*, lots: list[Lot], reason: str, reason_ko: str = "", user=None) -> Recall:
    """Opens a recall of the chosen lots; every lot downstream of them is affected.

    The affected lots are marked recalled. Anchored as `logistics.recall` version 1.
    """
    if not lots:
        raise ValidationError({"lots": _("Choose at least one lot.")})
    recall = Recall(reason=reason.strip(), reason_ko=reason_ko.strip(), created_by=user)
    recall.full_clean()
    recall.save()
    recall.lots.set(lots)
    affected = selectors.lots_affected(lots)
    recall.affected_lots.set(affected)
    Lot.objects.filter(pk__in=[lot.pk for lot in affected]).update(status=Lot.Status.RECALLED)
    recall.anchor_digest = _anchor(recall, 1)
    recall.save(update_fields=["anchor_digest"])
    return recall


def _anchor(recall: Recall, version: int) -> str:
    return anchor_record(
        kind="logistics.recall",
        ref=str(recall.public_id),
        version=version,
        data={
            "reason": recall.reason,
            "status": recall.status,
            "lots": sorted(recall.lots.values_list("identifier", flat=True)),
            "affected": sorted(recall.affected_lots.values_list("identifier", flat=True)),
        },
        public=True,
    ).digest


def recall_holders(recall: Recall) -> list[dict]:
    """Each affected lot with its current holder and location."""
    rows = []
    for lot in recall.affected_lots.select_related("product").order_by("identifier"):
        party, location = selectors.lot_holder(lot)
        rows.append({"lot": lot, "party": party, "location": location})
    return rows


@transaction.atomic
def recall_notify(*, recall: Recall) -> int:
    """Alerts every holder of an affected lot once; anchored as the recall's version 2.

    Idempotent: a notified recall is not notified again (returns 0).
    """
    recall = Recall.objects.select_for_update().get(pk=recall.pk)
    if recall.status != Recall.Status.DRAFT:
        return 0
    count = 0
    for row in recall_holders(recall):
        if row["party"] is None:
            continue
        Alert.objects.create(
            party=row["party"],
            lot=row["lot"],
            message=_("Recall of %(lot)s: %(reason)s")
            % {"lot": row["lot"], "reason": recall.reason},
        )
        count += 1
    recall.status = Recall.Status.NOTIFIED
    recall.notified_at = timezone.now()
    recall.full_clean()
    recall.save(update_fields=["status", "notified_at"])
    recall.anchor_digest = _anchor(recall, 2)
    recall.save(update_fields=["anchor_digest"])
    return count


KDE_COLUMNS = [
    "Traceability Lot Code",
    "Product GTIN",
    "Product Description",
    "Quantity",
    "Unit of Measure",
    "Critical Tracking Event",
    "Event Date Time (UTC)",
    "Location GLN",
    "Location Description",
    "Source",
    "Destination",
    "Reference Document",
    "EPCIS Event ID",
]


def recall_kde_rows(recall: Recall) -> list[list]:
    """FDA FSMA 204 style key data elements: one row per critical tracking event per lot."""
    from ..epcis import identifiers
    from ..models import Event, Location

    lots = {lot.identifier: lot for lot in recall.affected_lots.select_related("product")}
    events = (
        Event.objects.filter(epcs__identifier__in=lots)
        .distinct()
        .order_by("event_time", "pk")
        .prefetch_related("epcs")
    )
    glns = set()
    events = list(events)
    for event in events:
        glns.add(identifiers.parse(event.biz_location or event.read_point).gln)
    names = dict(Location.objects.filter(gln__in=glns).values_list("gln", "name"))
    rows = []
    for event in events:
        gln = identifiers.parse(event.biz_location or event.read_point).gln
        data = event.data
        sources = "; ".join(s.get("source", "") for s in data.get("sourceList") or [])
        destinations = "; ".join(
            d.get("destination", "") for d in data.get("destinationList") or []
        )
        documents = "; ".join(
            t.get("bizTransaction", "") for t in data.get("bizTransactionList") or []
        )
        for row in event.epcs.all():
            lot = lots.get(row.identifier)
            if lot is None:
                continue
            rows.append(
                [
                    lot.lot_code,
                    lot.product.gtin,
                    lot.product.name,
                    None if row.quantity is None else row.quantity.normalize(),
                    row.uom,
                    str(event.biz_step).rsplit("-", 1)[-1] or event.event_type,
                    event.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    gln,
                    names.get(gln, ""),
                    sources,
                    destinations,
                    documents,
                    event.event_id,
                ]
            )
    return rows


def recall_export_csv(recall: Recall) -> bytes:
    return spreadsheet.rows_to_csv(KDE_COLUMNS, recall_kde_rows(recall)).encode("utf-8")


def recall_export_xlsx(recall: Recall) -> bytes:
    return spreadsheet.rows_to_xlsx(
        KDE_COLUMNS, recall_kde_rows(recall), title="KDEs", is_filtered=True
    )
