"""Capture's checks: the business rules of a document's events, with the master data they
name loaded (and locked FOR SHARE, `locks.py`) once: times, numbers that must fit their
columns, eventIDs that would be lost or name two events, known and active GLNs, GTINs and
company prefixes, provenance (`provenance.py`) and what is left of the lots consumed
(`consumption.py`)."""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import connection

from busanhub.db import PreparedStatement, execute_together, sql_file

from ..epcis import hashing, identifiers
from ..epcis.times import parse_time
from ..models import Event, EventEPC, Party, Reading
from . import consumption, locks, provenance
from .coldchain import TEMPERATURE_TYPES, _celsius
from .event_names import QUANTITY_LISTS, event_identifiers, glns_of, raw_identifiers

FUTURE_TOLERANCE = timedelta(minutes=5)
_EVENT_ID_MAX = Event._meta.get_field("event_id").max_length


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
    for key in QUANTITY_LISTS:
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


CAPTURE_CLAIM = PreparedStatement(
    "logistics_capture_claim",
    sql_file(Path(__file__).resolve().parent.parent / "sql" / "capture_claim.sql"),
    params=[("hashes", "text[]"), ("event_ids", "text[]")],
)

CAPTURE_STORED = PreparedStatement(
    "logistics_capture_stored",
    sql_file(Path(__file__).resolve().parent.parent / "sql" / "capture_stored.sql"),
    params=[("hashes", "text[]"), ("event_ids", "text[]")],
    generic_plan=True,
)


class Checker:
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
        # The stored events this document names, by hash or by eventID: their keys in one
        # prepared statement, whole rows only for those found (duplicates are rare); nothing
        # stores events between the check and the store of one capture (one transaction):
        # the claim makes a concurrent capture of the same events wait for this one's commit.
        hashes, event_ids = set(self.hashes), set(self.event_ids)
        self.by_hash: dict[str, Event] = {}
        self.by_id: dict[str, Event] = {}
        with connection.cursor() as cursor:
            # One round trip, two statements: the lookup's snapshot is taken after the claim.
            found = execute_together(
                cursor,
                [
                    CAPTURE_CLAIM.bind(hashes=hashes, event_ids=event_ids),
                    CAPTURE_STORED.bind(hashes=hashes, event_ids=event_ids),
                ],
            )
        for row in Event.objects.filter(pk__in=[pk for (pk,) in found]) if found else []:
            if row.event_hash in hashes:
                self.by_hash[row.event_hash] = row
            if row.event_id in event_ids:
                self.by_id[row.event_id] = row
        self.stored_hashes = set(self.by_hash)
        # Every GLN the events name (read points and business locations are checked; sources
        # and destinations too are loaded: the store links the events to their parties).
        glns, gtins, prefixes = set(), set(), set()
        for event in events:
            glns |= glns_of(event)
            for _, raw in raw_identifiers(event):
                parsed = identifiers.parse(raw)
                if parsed.gtin and parsed.scheme != "grai":
                    gtins.add(parsed.gtin)
                prefixes |= company_prefixes(parsed)
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
        # Locked and read in one statement: a concurrent deactivation comes wholly before or
        # after, and whether each row is active is read as locked (a deactivated row, or a
        # location of a deactivated party, may not be named by new events).
        master = locks.master_data_lock(
            glns=glns,
            gtins=gtins,
            party_pks=[capturer.pk] if capturer is not None else [],
            prefixes=prefixes,
            lots=taken,
        )
        self.capturer_is_active = capturer is None or master.party_is_active.get(capturer.pk, False)
        self.locations = master.locations
        # Parties by their own GLN (PGLN sources and destinations): GLN → (pk, active).
        self.parties = master.parties
        self.products = master.products
        # GS1 company prefix → whether its party is active (SSCC, GIAI and GRAI owners).
        self.company_prefixes = master.company_prefixes
        self._load_balances(new, taken)
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
        for where, raw in raw_identifiers(event):
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
                event, path=path, capturer_pk=self.capturer.pk, parties_of=self.parties_of
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

    def _load_balances(self, new: list[dict], taken: set[str]) -> None:
        """What is left of every lot and object (`taken`) the document's new transformations
        take. Stored events this document declares erroneous release what they consumed. The
        lots' rows are locked (`locks.py`) before this reads them.
        """
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
            self.company_prefixes[p] for p in company_prefixes(parsed) if p in self.company_prefixes
        ]
        key = parsed.serial if parsed.scheme != "grai" else parsed.gtin + parsed.serial
        if not found:
            return f"{parsed.scheme.upper()} {key}: no registered party has its company prefix"
        if not any(found):
            return f"{parsed.scheme.upper()} {key}: its company prefix's party is inactive"
        return ""

    def parties_of(self, gln: str) -> set[int]:
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


def company_prefixes(parsed: identifiers.Parsed) -> set[str]:
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
