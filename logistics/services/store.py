"""Capture's store: a checked document's new events in a few bulk statements (events, their
objects, their parties, new lots and their ILMD), each anchored; error declarations recorded
on the stored events they name; the lots' consumption updated."""

from django.db.models import Q
from django.utils import timezone

from busanhub.chain.services import anchor_record, anchor_records
from busanhub.db import insert_rows

from ..epcis import identifiers
from ..epcis.times import parse_time
from ..models import CaptureJob, Event, EventEPC, Lot, Party
from . import consumption
from .checks import Checker
from .event_names import event_identifiers, glns_of
from .refusal import CaptureError

DEFAULT_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _parties_by_gln(events: list[dict], checker: Checker) -> dict[str, set[int]]:
    """GLN → the parties it names (a location's owner, or a party's own GLN), as the checker
    locked and read them for every GLN of the document."""
    glns = set().union(*(glns_of(event) for event in events)) if events else set()
    return {gln: parties for gln in sorted(glns) if (parties := checker.parties_of(gln))}


def _lots_for(identifier_set: set[str], checker: Checker) -> dict[str, Lot]:
    """The Lot of every LGTIN named (created on first sight when its product is known)."""
    wanted = {identifier for identifier in identifier_set if "/10/" in identifier}
    lots = {lot.identifier: lot for lot in Lot.objects.filter(identifier__in=wanted)}
    missing = []
    for identifier in sorted(wanted - set(lots)):
        parsed = identifiers.parse(identifier)
        product = checker.products.get(parsed.gtin)
        if product is None:
            continue
        missing.append(Lot(product_id=product.pk, lot_code=parsed.lot[:20], identifier=identifier))
    # Uniqueness is held by the database constraints; per-row unique queries would dominate
    # bulk capture. The (product, lot code) constraint is checked for all the new lots in one
    # query: a lot that breaks it gets the full check, which raises its usual error. The
    # product needs no existence query either: the capture holds its row locked.
    taken: set[tuple[int, str]] = set()
    if missing:
        pairs = Q()
        for lot in missing:
            pairs |= Q(product_id=lot.product_id, lot_code=lot.lot_code)
        taken = set(Lot.objects.filter(pairs).values_list("product_id", "lot_code"))
    for lot in missing:
        if (lot.product_id, lot.lot_code) in taken:
            lot.full_clean(validate_unique=False)
        else:
            lot.full_clean(exclude=["product"], validate_unique=False, validate_constraints=False)
    for lot in Lot.objects.bulk_create(missing):
        lots[lot.identifier] = lot
    return lots


_ILMD_FIELDS = ("ilmd", "trace_number")


def _apply_ilmd(event: dict, rows, lots: dict[str, Lot]) -> list[Lot]:
    """Records the event's ILMD on its lots that have none yet; returns the lots changed."""
    ilmd = event.get("ilmd")
    if not ilmd:
        return []
    changed = []
    roles = {
        EventEPC.Role.OUTPUT,
        EventEPC.Role.OUTPUT_QUANTITY,
        EventEPC.Role.QUANTITY,
        EventEPC.Role.EPC,
    }
    for role, identifier, _, _ in rows:
        lot = lots.get(identifier)
        if lot is None or role not in roles or lot.ilmd:
            continue
        lot.ilmd = ilmd
        trace = next((str(v) for k, v in ilmd.items() if k.endswith("traceNumber")), "")
        lot.trace_number = trace[:40]
        # Only these two fields change (the others were checked when the lot was stored):
        # checking them alone spares the product and (product, lot code) queries.
        lot.full_clean(
            exclude=[f.name for f in Lot._meta.fields if f.name not in _ILMD_FIELDS],
            validate_unique=False,
        )
        changed.append(lot)
    return changed


def _anchor_record(event: Event, version: int) -> dict:
    """The `logistics.event` record of one event version, as `anchor_records` takes it."""
    return {
        "kind": "logistics.event",
        "ref": event.event_hash.split(";")[1].split("?")[0],
        "version": version,
        "data": {
            "eventID": event.event_id,
            "eventHash": event.event_hash,
            "eventType": event.event_type,
            "eventTime": event.data.get("eventTime"),
            "errorDeclared": bool(event.data.get("errorDeclaration")),
        },
        "public": True,
    }


def _anchor(event: Event, version: int) -> str:
    return anchor_record(**_anchor_record(event, version)).digest


def _new_row(event: dict, event_hash: str, event_id: str, context: list, job) -> Event:
    row = Event(
        event_id=event_id,
        event_hash=event_hash,
        event_type=event["type"],
        action=event.get("action", ""),
        event_time=parse_time(event["eventTime"]),
        biz_step=str(event.get("bizStep", ""))[:200],
        disposition=str(event.get("disposition", ""))[:200],
        read_point=identifiers.canonical((event.get("readPoint") or {}).get("id", ""))[:200],
        biz_location=identifiers.canonical((event.get("bizLocation") or {}).get("id", ""))[:200],
        data={**event, "eventID": event_id},
        context=[entry for entry in context if entry != DEFAULT_CONTEXT],
        job=job,
    )
    # No full_clean per row (it cost a tenth of capture): the schema has checked the type,
    # action and time, the checker the eventID's length and the time zone, the free-text
    # columns are cut to their length above, and uniqueness was checked in one query and is
    # held by the constraints.
    return row


def store_all(
    events: list[dict],
    hashes: list[str],
    context: list,
    job: CaptureJob,
    checker: Checker,
    capturer: Party | None,
) -> tuple[list[Event], int]:
    """Stores the new events of a document in a few bulk statements; returns (new, duplicates)."""
    event_ids = checker.event_ids
    by_hash, by_id = dict(checker.by_hash), dict(checker.by_id)
    new_rows: list[Event] = []
    new_events: list[dict] = []
    duplicates = 0
    released: set[str] = set()  # what events declared erroneous here named
    for event, event_hash, event_id in zip(events, hashes, event_ids, strict=True):
        existing = by_hash.get(event_hash) or by_id.get(event_id)
        if existing is not None:
            if existing.event_hash != event_hash:
                raise CaptureError(
                    [{"path": "eventID", "message": f"eventID {event_id} names another event"}]
                )
            if (
                existing.pk
                and event.get("errorDeclaration")
                and not existing.data.get("errorDeclaration")
            ):
                existing.data = {**existing.data, "errorDeclaration": event["errorDeclaration"]}
                existing.anchor_digest = _anchor(existing, 2)
                existing.save(update_fields=["data", "anchor_digest"])
                released.update(i for _, i, _, _ in event_identifiers(existing.data))
            duplicates += 1
            continue
        row = _new_row(event, event_hash, event_id, context, job)
        by_hash[event_hash] = by_id[event_id] = row
        new_rows.append(row)
        new_events.append(event)
    if not new_rows:
        _lots_consumption_update(released)
        return [], duplicates
    # The anchor leaves need only what the rows already hold: queued before the rows are
    # inserted, so the rows go in with their digest (no second UPDATE of every row).
    leaves = anchor_records([_anchor_record(row, 1) for row in new_rows])
    now = timezone.now()
    for row, leaf in zip(new_rows, leaves, strict=True):
        row.anchor_digest = leaf.digest
        row.record_time = now
    ids = insert_rows(
        Event,
        list(_EVENT_COLUMNS),
        [tuple(getattr(row, column) for column in _EVENT_COLUMNS) for row in new_rows],
        returning=True,
    )
    for row, pk in zip(new_rows, ids, strict=True):
        row.pk = row.id = pk
        row._state.adding = False
    identifier_rows = [event_identifiers(event) for event in new_events]
    insert_rows(
        EventEPC,
        ["event_id", "role", "identifier", "quantity", "uom"],
        [
            (row.pk, role, identifier[:300], quantity, uom[:10])
            for row, rows in zip(new_rows, identifier_rows, strict=True)
            for role, identifier, quantity, uom in rows
        ],
    )
    parties = _parties_by_gln(new_events, checker)
    links = []
    for row, event in zip(new_rows, new_events, strict=True):
        party_ids = {capturer.pk} if capturer else set()
        for gln in glns_of(event):
            party_ids |= parties.get(gln, set())
        links += [(row.pk, party_id) for party_id in party_ids]
    insert_rows(Event.parties.through, ["event_id", "party_id"], links)
    lots = _lots_for({i for rows in identifier_rows for _, i, _, _ in rows}, checker)
    with_ilmd: dict[int, Lot] = {}
    for event, rows in zip(new_events, identifier_rows, strict=True):
        with_ilmd.update((lot.pk, lot) for lot in _apply_ilmd(event, rows, lots))
    if with_ilmd:
        Lot.objects.bulk_update(list(with_ilmd.values()), list(_ILMD_FIELDS))
    _lots_consumption_update(released | {i for event in new_events for i in _inputs_of(event)})
    return new_rows, duplicates


def _inputs_of(event: dict) -> set[str]:
    if event.get("type") != "TransformationEvent":
        return set()
    return {
        identifier
        for role, identifier, _, _ in event_identifiers(event)
        if role in (EventEPC.Role.INPUT, EventEPC.Role.INPUT_QUANTITY)
    }


def _lots_consumption_update(identifier_set: set[str]) -> None:
    """Sets `is_consumed` of these lots from the stored events (after they are stored)."""
    lots = {i for i in identifier_set if identifiers.parse(i).lot}
    if not lots:
        return
    balances = consumption.balances_stored(lots)
    consumed = {identifier for identifier in lots if balances[identifier].is_consumed}
    Lot.objects.filter(identifier__in=consumed, is_consumed=False).update(is_consumed=True)
    Lot.objects.filter(identifier__in=lots - consumed, is_consumed=True).update(is_consumed=False)


# The columns of an Event row as the capture writes them (the primary key comes back).
_EVENT_COLUMNS = (
    "event_id",
    "event_hash",
    "event_type",
    "action",
    "event_time",
    "record_time",
    "biz_step",
    "disposition",
    "read_point",
    "biz_location",
    "data",
    "context",
    "job_id",
    "anchor_digest",
)
