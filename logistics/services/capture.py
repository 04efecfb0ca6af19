"""EPCIS capture: a document (or one event) validated, stored whole or not at all, anchored.

Provenance: a partner's events name only its own places (`readPoint`, `bizLocation`), and
another party only on the far side of a transfer (the destination of a shipping, the source of a
receiving); see `provenance.py`. The master-data rows a capture names are locked `FOR SHARE`
before they are checked (`locks.py`), so a deactivation racing a capture either comes first
(capture refused) or waits for it (events stored while the rows were active). The capturing
party itself is locked and re-checked the same way: a deactivated party captures nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from busanhub.chain.services import anchor_record, anchor_records
from busanhub.db import insert_rows

from ..epcis import hashing, identifiers, schema
from ..models import CaptureJob, Event, EventEPC, Location, Lot, Party, Product, Reading
from . import consumption, locks, provenance
from .coldchain import TEMPERATURE_TYPES, _celsius

FUTURE_TOLERANCE = timedelta(minutes=5)
_EVENT_ID_MAX = Event._meta.get_field("event_id").max_length
MAX_EVENTS_PER_DOCUMENT = 10_000  # announced as GS1-EPCIS-Capture-Limit
DEFAULT_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

_EPC_LISTS = {
    "epcList": EventEPC.Role.EPC,
    "childEPCs": EventEPC.Role.CHILD,
    "inputEPCList": EventEPC.Role.INPUT,
    "outputEPCList": EventEPC.Role.OUTPUT,
}
_QUANTITY_LISTS = {
    "quantityList": EventEPC.Role.QUANTITY,
    "childQuantityList": EventEPC.Role.CHILD_QUANTITY,
    "inputQuantityList": EventEPC.Role.INPUT_QUANTITY,
    "outputQuantityList": EventEPC.Role.OUTPUT_QUANTITY,
}


class CaptureError(Exception):
    """The document is refused; `errors` name the JSON path of each problem."""

    def __init__(self, errors: list[dict], status: int = 422):
        super().__init__(errors[0]["message"] if errors else "capture refused")
        self.errors = errors
        self.status = status


@dataclass
class CaptureResult:
    job: CaptureJob
    created: list[Event]
    duplicates: int


def parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a time zone is required")
    return moment


def event_identifiers(event: dict) -> list[tuple[str, str, Decimal | None, str]]:
    """(role, canonical identifier, quantity, uom) for every object the event names."""
    rows: list[tuple[str, str, Decimal | None, str]] = []
    for key, role in _EPC_LISTS.items():
        for epc in event.get(key) or []:
            rows.append((role, identifiers.canonical(epc), None, ""))
    if event.get("parentID"):
        rows.append((EventEPC.Role.PARENT, identifiers.canonical(event["parentID"]), None, ""))
    for key, role in _QUANTITY_LISTS.items():
        for element in event.get(key) or []:
            quantity = element.get("quantity")
            try:
                amount = Decimal(str(quantity)) if quantity is not None else None
            except InvalidOperation:
                amount = None
            rows.append(
                (role, identifiers.canonical(element["epcClass"]), amount, element.get("uom", ""))
            )
    return rows


def _raw_identifiers(event: dict) -> list[tuple[str, str]]:
    found = []
    for key in _EPC_LISTS:
        for index, epc in enumerate(event.get(key) or []):
            found.append((f"{key}[{index}]", epc))
    if event.get("parentID"):
        found.append(("parentID", event["parentID"]))
    for key in _QUANTITY_LISTS:
        for index, element in enumerate(event.get(key) or []):
            found.append((f"{key}[{index}].epcClass", element.get("epcClass", "")))
    return found


def _column_max(model, name: str) -> Decimal:
    """The largest magnitude a numeric(max_digits, decimal_places) column stores."""
    field = model._meta.get_field(name)
    places = field.decimal_places
    return Decimal(10) ** (field.max_digits - places) - Decimal(10) ** -places


_QUANTITY_MAX = _column_max(EventEPC, "quantity")
_CELSIUS_MAX = _column_max(Reading, "celsius")


def _number_errors(event: dict, path: str) -> list[dict]:
    """Numbers stored in columns (quantities, temperatures) must fit them: PostgreSQL refuses
    a numeric field overflow, which would otherwise end the capture with a 500."""
    errors = []
    for key in _QUANTITY_LISTS:
        for index, element in enumerate(event.get(key) or []):
            quantity = element.get("quantity") if isinstance(element, dict) else None
            if quantity is None or isinstance(quantity, bool):
                continue
            try:
                amount = Decimal(str(quantity))
            except InvalidOperation:
                continue  # the JSON schema names what is not a number
            if not amount.is_finite() or abs(amount) > _QUANTITY_MAX:
                errors.append(
                    {
                        "path": f"{path}.{key}[{index}].quantity",
                        "code": "out_of_range",
                        "message": f"quantity must lie between -{_QUANTITY_MAX} and "
                        f"{_QUANTITY_MAX}",
                    }
                )
    for position, element in enumerate(event.get("sensorElementList") or []):
        reports = element.get("sensorReport") if isinstance(element, dict) else None
        for index, report in enumerate(reports or []):
            if not isinstance(report, dict) or report.get("type") not in TEMPERATURE_TYPES:
                continue
            try:
                celsius = _celsius(report["value"], report.get("uom", "CEL"))
            except (InvalidOperation, KeyError, TypeError):
                continue  # not a reading the cold chain stores
            if not celsius.is_finite() or abs(celsius) > _CELSIUS_MAX:
                errors.append(
                    {
                        "path": f"{path}.sensorElementList[{position}].sensorReport[{index}].value",
                        "code": "out_of_range",
                        "message": f"a temperature must lie between -{_CELSIUS_MAX} and "
                        f"{_CELSIUS_MAX} degrees Celsius",
                    }
                )
    return errors


class _Checker:
    """Checks the business rules of a document's events, with master data loaded once."""

    def __init__(
        self, events: list[dict], base_path: str, context: list, capturer: Party | None = None
    ):
        self.base_path = base_path
        self.capturer = capturer
        self.hashes = [hashing.event_hash_id(event, context=context) for event in events]
        self.event_ids = [
            event.get("eventID") or event_hash
            for event, event_hash in zip(events, self.hashes, strict=True)
        ]
        # The stored events this document names, by hash or by eventID, in one query; nothing
        # stores events between the check and the store of one capture (one transaction).
        hashes, event_ids = set(self.hashes), set(self.event_ids)
        self.by_hash: dict[str, Event] = {}
        self.by_id: dict[str, Event] = {}
        for row in Event.objects.filter(Q(event_hash__in=hashes) | Q(event_id__in=event_ids)):
            if row.event_hash in hashes:
                self.by_hash[row.event_hash] = row
            if row.event_id in event_ids:
                self.by_id[row.event_id] = row
        self.stored_hashes = set(self.by_hash)
        # Every GLN the events name (read points and business locations are checked; sources
        # and destinations too are loaded: the store links the events to their parties).
        glns, gtins, prefixes = set(), set(), set()
        for event in events:
            glns |= _glns_of(event)
            for _, raw in _raw_identifiers(event):
                parsed = identifiers.parse(raw)
                if parsed.gtin and parsed.scheme != "grai":
                    gtins.add(parsed.gtin)
                prefixes |= _company_prefixes(parsed)
        # Locked before they are read: a concurrent deactivation comes wholly before or after.
        locks.master_data_share(
            glns=glns, gtins=gtins, party_pks=[capturer.pk] if capturer is not None else []
        )
        self.capturer_is_active = capturer is None or (
            Party.objects.filter(pk=capturer.pk, is_active=True).exists()
        )
        # Whether each is active comes with the same queries (a deactivated row, or a location
        # of a deactivated party, may not be named by new events).
        self.locations = {
            loc.gln: loc
            for loc in Location.objects.filter(gln__in=glns).annotate(
                party_is_active=F("party__is_active")
            )
        }
        # Parties named by their own GLN (PGLN sources and destinations): GLN → (pk, active).
        self.parties = {
            gln: (pk, is_active)
            for gln, pk, is_active in Party.objects.filter(gln__in=glns).values_list(
                "gln", "pk", "is_active"
            )
        }
        self.products = {prod.gtin: prod for prod in Product.objects.filter(gtin__in=gtins)}
        # GS1 company prefix → whether its party is active (SSCC, GIAI and GRAI owners).
        self.company_prefixes = dict(
            Party.objects.filter(company_prefix__in=prefixes).values_list(
                "company_prefix", "is_active"
            )
            if prefixes
            else []
        )
        self._load_balances(events)
        # eventIDs that would be lost or name two events: refused with 409 (see capture docs).
        self.conflicts: list[dict] = []
        self._ids_here: dict[str, str] = {}  # hash → the ID it is stored under by this capture
        self._hashes_here: dict[str, str] = {}  # eventID → the hash it names in this capture

    def check(self, event: dict, index: int, now: datetime) -> list[dict]:
        path = f"{self.base_path}[{index}]" if index >= 0 else self.base_path
        errors = []
        try:
            moment = parse_time(event.get("eventTime"))
            if moment > now + FUTURE_TOLERANCE:
                errors.append(
                    {"path": f"{path}.eventTime", "message": "eventTime is in the future"}
                )
        except ValueError:
            errors.append(
                {"path": f"{path}.eventTime", "message": "eventTime is not an ISO 8601 date-time"}
            )
        errors += _number_errors(event, path)
        event_id = event.get("eventID")
        if isinstance(event_id, str) and len(event_id) > _EVENT_ID_MAX:
            errors.append(
                {
                    "path": f"{path}.eventID",
                    "message": f"eventID is over {_EVENT_ID_MAX} characters",
                }
            )
        if conflict := self._event_id_conflict(event, max(index, 0)):
            self.conflicts.append({"path": f"{path}.eventID", "message": conflict})
        for key in ("readPoint", "bizLocation"):
            raw = (event.get(key) or {}).get("id")
            if not raw:
                continue
            parsed = identifiers.parse(raw)
            if parsed.scheme != "sgln":
                continue
            if parsed.gln not in self.locations:
                errors.append({"path": f"{path}.{key}.id", "message": f"unknown GLN {parsed.gln}"})
            elif inactive := self._inactive_gln(parsed.gln):
                errors.append({"path": f"{path}.{key}.id", "message": inactive})
        for key, field in (("sourceList", "source"), ("destinationList", "destination")):
            for position, entry in enumerate(event.get(key) or []):
                parsed = identifiers.parse(entry.get(field, ""))
                if parsed.scheme == "pgln" and parsed.gln not in self.parties:
                    message = f"unknown party GLN {parsed.gln}"
                    errors.append({"path": f"{path}.{key}[{position}].{field}", "message": message})
                elif parsed.gln and (inactive := self._inactive_gln(parsed.gln)):
                    errors.append(
                        {"path": f"{path}.{key}[{position}].{field}", "message": inactive}
                    )
        for where, raw in _raw_identifiers(event):
            parsed = identifiers.parse(raw)
            if parsed.scheme in ("sgtin", "lgtin"):
                product = self.products.get(parsed.gtin)
                if product is None:
                    message = f"unknown GTIN {parsed.gtin}"
                    errors.append({"path": f"{path}.{where}", "message": message})
                elif not product.is_active:
                    message = f"GTIN {parsed.gtin} is inactive"
                    errors.append({"path": f"{path}.{where}", "message": message})
            elif parsed.scheme in ("sscc", "giai", "grai") and (
                message := self._unknown_company(parsed)
            ):
                errors.append({"path": f"{path}.{where}", "message": message})
        if self.capturer is not None:
            errors += provenance.event_foreign_names(
                event, path=path, capturer_pk=self.capturer.pk, parties_of=self._parties_of
            )
        if self._is_new(index, event) and event.get("type") == "TransformationEvent":
            errors += self._consume(event, path)
        return errors

    def _event_id_conflict(self, event: dict, index: int) -> str:
        """Why the event's eventID cannot be kept, or "".

        An event is stored under one ID. Content already stored (or earlier in the document)
        under another ID than the eventID given would drop the caller's ID; an eventID that
        already names other content would name two events. Both are refused, naming both.
        """
        event_hash, event_id = self.hashes[index], self.event_ids[index]
        stored = self.by_hash.get(event_hash)
        stored_id = stored.event_id if stored is not None else self._ids_here.get(event_hash)
        named = self.by_id.get(event_id)
        named_hash = named.event_hash if named is not None else self._hashes_here.get(event_id)
        self._ids_here.setdefault(event_hash, stored_id or event_id)
        self._hashes_here.setdefault(event_id, named_hash or event_hash)
        if event.get("eventID") and stored_id and stored_id != event_id:
            return f"this event is already stored as {stored_id}; eventID {event_id} is refused"
        if named_hash and named_hash != event_hash:
            return f"eventID {event_id} already names another event ({named_hash})"
        return ""

    def _is_new(self, index: int, event: dict) -> bool:
        """Whether the event is stored by this capture and counts (not declared erroneous)."""
        is_stored = self.hashes[max(index, 0)] in self.stored_hashes
        return not is_stored and not event.get("errorDeclaration")

    def _load_balances(self, events: list[dict]) -> None:
        """What is left of every lot and object the document's new transformations take.

        Stored events this document declares erroneous release what they consumed. The lots'
        rows are locked first: two transformations of one lot are serialised, and the second
        reads the first's consumption once it commits.
        """
        self.released = {
            stored.pk
            for event, event_hash in zip(events, self.hashes, strict=True)
            if event.get("errorDeclaration")
            and (stored := self.by_hash.get(event_hash)) is not None
            and not stored.data.get("errorDeclaration")
        }
        new = [event for index, event in enumerate(events) if self._is_new(index, event)]
        taken = {
            identifier
            for event in new
            if event.get("type") == "TransformationEvent"
            for role, identifier, _, _ in event_identifiers(event)
            if role in (EventEPC.Role.INPUT, EventEPC.Role.INPUT_QUANTITY)
        }
        if taken:
            list(Lot.objects.select_for_update().filter(identifier__in=taken).values_list("pk"))
        self.balances = consumption.balances_stored(taken, released_event_pks=self.released)
        # What this document's own new events produce counts, whatever their order.
        for event in new:
            is_add = event.get("type") == "ObjectEvent" and event.get("action") == "ADD"
            for role, identifier, quantity, uom in event_identifiers(event):
                produces = role == EventEPC.Role.OUTPUT_QUANTITY or (
                    is_add and role == EventEPC.Role.QUANTITY
                )
                if produces and identifier in taken and quantity is not None:
                    self.balances[identifier].produced[uom] += quantity

    def _consume(self, event: dict, path: str) -> list[dict]:
        """Takes a new transformation's inputs from what is left; errors name each input."""
        errors = []
        inputs = [
            (f"inputEPCList[{position}]", epc, None, "")
            for position, epc in enumerate(event.get("inputEPCList") or [])
        ] + [
            (
                f"inputQuantityList[{position}]",
                element.get("epcClass", ""),
                _quantity(element.get("quantity")),
                element.get("uom", ""),
            )
            for position, element in enumerate(event.get("inputQuantityList") or [])
        ]
        for where, raw, quantity, uom in inputs:
            identifier = identifiers.canonical(raw)
            refusal = self.balances[identifier].take(quantity, uom)
            if refusal:
                errors.append({"path": f"{path}.{where}", "message": f"{identifier}: {refusal}"})
        return errors

    def _unknown_company(self, parsed: identifiers.Parsed) -> str:
        """Why an SSCC, GIAI or GRAI may not be named (no active party has its prefix), or ""."""
        found = [
            self.company_prefixes[p]
            for p in _company_prefixes(parsed)
            if p in self.company_prefixes
        ]
        key = parsed.serial if parsed.scheme != "grai" else parsed.gtin + parsed.serial
        if not found:
            return f"{parsed.scheme.upper()} {key}: no registered party has its company prefix"
        if not any(found):
            return f"{parsed.scheme.upper()} {key}: its company prefix's party is inactive"
        return ""

    def _parties_of(self, gln: str) -> set[int]:
        """The parties a GLN of the document belongs to: a location's owner, a party's own."""
        found = set()
        if gln in self.locations:
            found.add(self.locations[gln].party_id)
        if gln in self.parties:
            found.add(self.parties[gln][0])
        return found

    def _inactive_gln(self, gln: str) -> str:
        """Why new events may not name this GLN (a deactivated location or party), or ""."""
        location = self.locations.get(gln)
        if location is not None and not location.is_active:
            return f"location GLN {gln} is inactive"
        if location is not None and not location.party_is_active:
            return f"GLN {gln} belongs to an inactive party"
        if gln in self.parties and not self.parties[gln][1]:
            return f"party GLN {gln} is inactive"
        return ""


def _company_prefixes(parsed: identifiers.Parsed) -> set[str]:
    """The GS1 company prefixes (6 to 12 digits) an SSCC, GIAI or GRAI may begin with."""
    if parsed.scheme == "sscc":
        digits = parsed.serial[1:]  # after the extension digit
    elif parsed.scheme == "grai":
        digits = parsed.gtin[1:]  # after the leading zero
    elif parsed.scheme == "giai":
        digits = parsed.serial
    else:
        return set()
    return {
        digits[:size] for size in range(6, 13) if digits[:size].isdigit() and len(digits) > size
    }


def _quantity(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _glns_of(event: dict) -> set[str]:
    glns = set()
    for key in ("readPoint", "bizLocation"):
        parsed = identifiers.parse((event.get(key) or {}).get("id", ""))
        if parsed.gln:
            glns.add(parsed.gln)
    for key, field in (("sourceList", "source"), ("destinationList", "destination")):
        for entry in event.get(key) or []:
            parsed = identifiers.parse(entry.get(field, ""))
            if parsed.gln:
                glns.add(parsed.gln)
    return glns


def _parties_by_gln(events: list[dict], checker: _Checker) -> dict[str, set[int]]:
    """GLN → the parties it names (a location's owner, or a party's own GLN).

    The checker loaded the locations and parties of every GLN of the document at once.
    """
    glns = set().union(*(_glns_of(event) for event in events)) if events else set()
    found: dict[str, set[int]] = {}
    for gln in sorted(glns):
        if gln in checker.locations:
            found.setdefault(gln, set()).add(checker.locations[gln].party_id)
        if gln in checker.parties:
            found.setdefault(gln, set()).add(checker.parties[gln][0])
    return found


def _lots_for(identifier_set: set[str], checker: _Checker) -> dict[str, Lot]:
    """The Lot of every LGTIN named (created on first sight when its product is known)."""
    wanted = {identifier for identifier in identifier_set if "/10/" in identifier}
    lots = {lot.identifier: lot for lot in Lot.objects.filter(identifier__in=wanted)}
    missing = []
    for identifier in sorted(wanted - set(lots)):
        parsed = identifiers.parse(identifier)
        product = checker.products.get(parsed.gtin)
        if product is None:
            continue
        missing.append(Lot(product=product, lot_code=parsed.lot[:20], identifier=identifier))
    # Uniqueness is held by the database constraints; per-row unique queries would dominate
    # bulk capture. The (product, lot code) constraint is checked for all the new lots in one
    # query: a lot that breaks it gets the full check, which raises its usual error. The
    # product needs no existence query either: it was just read from the database.
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


def _store_all(
    events: list[dict],
    hashes: list[str],
    context: list,
    job: CaptureJob,
    checker: _Checker,
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
        for gln in _glns_of(event):
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


def _context_list(document: dict) -> list:
    context = document.get("@context", [])
    return context if isinstance(context, list) else [context]


def epcis_document_capture(
    *, document: object, party: Party | None = None, user=None
) -> CaptureResult:
    """Captures an EPCIS 2.0 document whole or not at all.

    Validates it against the GS1 JSON schema (errors name the JSON path), then the business
    rules (known GLNs, GTINs, party GLNs and company prefixes, no event in the future, no more
    of a lot consumed than is left: `consumption.py`) and, for a capturing party, the provenance
    rules (`provenance.py`: only its own places; 403). The master data named is locked FOR SHARE
    first (`locks.py`). Idempotent per event: an event already stored (same event hash and
    eventID) is stored once; the same content under another eventID, or an eventID naming other
    content, is refused with 409. An error declaration for a stored event is recorded on it,
    releases what it consumed, and is anchored as its version 2. Each new
    event is anchored (`logistics.event`, its hash, version 1) in the same transaction. A refused
    document leaves a FAILED capture job with the errors and nothing else.
    """
    body = document.get("epcisBody") if isinstance(document, dict) else None
    listed = body.get("eventList") if isinstance(body, dict) else None
    if isinstance(listed, list) and len(listed) > MAX_EVENTS_PER_DOCUMENT:
        errors = [
            {
                "path": "$.epcisBody.eventList",
                "message": f"at most {MAX_EVENTS_PER_DOCUMENT} events per capture",
            }
        ]
        _failed_job(party=party, user=user, errors=errors)
        raise CaptureError(errors, status=413)
    errors = schema.errors(document)
    if not errors and (not isinstance(document, dict) or document.get("type") != "EPCISDocument"):
        errors = [{"path": "$.type", "message": "capture takes an EPCISDocument"}]
    if errors:
        _failed_job(party=party, user=user, errors=errors)
        raise CaptureError(errors, status=400)
    events = document["epcisBody"].get("eventList", [])
    return _capture_events(
        events=events,
        context=_context_list(document),
        base_path="$.epcisBody.eventList",
        party=party,
        user=user,
    )


def epcis_event_capture(*, event: object, party: Party | None = None, user=None) -> CaptureResult:
    """Captures one event (`POST /epcis/events`), with the same guarantees as a document."""
    errors = schema.errors(event)
    if not errors and (not isinstance(event, dict) or event.get("type") not in Event.Type.values):
        errors = [{"path": "$.type", "message": "not an EPCIS event type"}]
    if errors:
        _failed_job(party=party, user=user, errors=errors)
        raise CaptureError(errors, status=400)
    context = _context_list(event)
    body = {key: value for key, value in event.items() if key != "@context"}
    return _capture_events(events=[body], context=context, base_path="$", party=party, user=user)


def _capture_events(*, events, context, base_path, party, user) -> CaptureResult:
    now = timezone.now()
    attempts = 3
    for attempt in range(attempts):
        try:
            return _capture_once(events, context, base_path, party, user, now)
        except IntegrityError:
            # A concurrent capture stored some of these events (or lots) first: run again,
            # and they are now duplicates (or, for a consumed lot, refused).
            if attempt == attempts - 1:
                raise
        except CaptureError as exc:
            _failed_job(party=party, user=user, errors=exc.errors)
            raise
        except ValidationError as exc:
            errors = [
                {"path": field, "message": " ".join(messages)}
                for field, messages in exc.message_dict.items()
            ]
            _failed_job(party=party, user=user, errors=errors)
            raise CaptureError(errors) from exc
    raise AssertionError("unreachable")


@transaction.atomic
def _capture_once(events, context, base_path, party, user, now) -> CaptureResult:
    job = CaptureJob.objects.create(party=party, user=user)
    checker = _Checker(events, base_path, context, capturer=party)
    if not checker.capturer_is_active:
        # Deactivated after its key or login was checked: nothing of the document is stored.
        message = "the capturing party is deactivated"
        raise CaptureError(
            [{"path": "$", "code": provenance.INACTIVE_CAPTURER, "message": message}], status=403
        )
    errors = []
    for index, event in enumerate(events):
        errors += checker.check(event, index if base_path != "$" else -1, now)
    if errors:
        # Naming another party's place is refused as forbidden, whatever else is wrong.
        forbidden = any(error.get("code") in provenance.FORBIDDEN_CODES for error in errors)
        raise CaptureError(errors + checker.conflicts, status=403 if forbidden else 422)
    if checker.conflicts:
        raise CaptureError(checker.conflicts, status=409)
    created, duplicates = _store_all(events, checker.hashes, context, job, checker, party)
    job.status = CaptureJob.Status.SUCCESS
    job.event_count = len(created)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "event_count", "finished_at"])
    from .coldchain import readings_from_events, sensor_lots_refused

    if party is not None and (refused := sensor_lots_refused(events=created, party=party)):
        # Rolls the whole capture back: readings on another party's goods declare nothing.
        raise CaptureError(
            [
                {
                    "path": _event_path(base_path, checker.hashes.index(event.event_hash))
                    + ".sensorElementList",
                    "code": provenance.FOREIGN_GOODS,
                    "message": f"{lot.identifier} is another party's goods: sensor data "
                    "reports only on goods the capturing party holds or took part in",
                }
                for event, lot in refused
            ],
            status=403,
        )
    readings_from_events(events=created)
    return CaptureResult(job=job, created=created, duplicates=duplicates)


def _event_path(base_path: str, index: int) -> str:
    return base_path if base_path == "$" else f"{base_path}[{index}]"


def _failed_job(*, party, user, errors) -> CaptureJob:
    return CaptureJob.objects.create(
        party=party,
        user=user,
        status=CaptureJob.Status.FAILED,
        errors=errors,
        finished_at=timezone.now(),
    )
