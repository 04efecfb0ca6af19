"""EPCIS capture: a document (or one event) validated, stored whole or not at all, anchored.

Provenance: a partner's events name only its own places (`readPoint`, `bizLocation`), and
another party only on the far side of a transfer (the destination of a shipping, the source of a
receiving); see `provenance.py`. The master-data rows a capture names are locked `FOR SHARE`
before they are checked (`locks.py`), so a deactivation racing a capture either comes first
(capture refused) or waits for it (events stored while the rows were active). The capturing
party itself is locked and re-checked the same way: a deactivated party captures nothing.

This module holds the entry points and the capture job; the rules are `checks.py`, the bulk
writes `store.py`, what an event names `event_names.py`.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..epcis import schema
from ..models import CaptureJob, Event, Party
from . import provenance
from .checks import Checker
from .refusal import CaptureError
from .store import store_all

MAX_EVENTS_PER_DOCUMENT = 10_000  # announced as GS1-EPCIS-Capture-Limit


@dataclass
class CaptureResult:
    job: CaptureJob
    created: list[Event]
    duplicates: int


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
        except IntegrityError as exc:
            # A concurrent capture stored some of these lots first (two captures of one event
            # wait for each other: checks.CAPTURE_CLAIM): run again, and they are now there.
            if attempt == attempts - 1:
                errors = [
                    {
                        "path": base_path,
                        "code": "concurrent_capture",
                        "message": "a concurrent capture stored the same records; send it again",
                    }
                ]
                _failed_job(party=party, user=user, errors=errors)
                raise CaptureError(errors, status=409) from exc
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
    checker = Checker(events, base_path, context, capturer=party)
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
    created, duplicates = store_all(events, checker.hashes, context, job, checker, party)
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
