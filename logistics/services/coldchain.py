"""Cold chain: temperature readings in, breaches out (detected by the pure `coldchain` module)."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from busanhub.chain.services import anchor_record

from .. import coldchain, selectors
from ..epcis import identifiers
from ..epcis.times import parse_time
from ..models import Alert, Breach, Device, Event, Lot, Party, Reading
from ..notifications import send_breach_emails

TEMPERATURE_TYPES = {"Temperature", "gs1:Temperature", "https://gs1.org/voc/Temperature"}


def _celsius(value, uom: str) -> Decimal:
    number = Decimal(str(value))
    if uom == "FAR":
        return ((number - 32) * 5 / 9).quantize(Decimal("0.01"))
    if uom == "KEL":
        return (number - Decimal("273.15")).quantize(Decimal("0.01"))
    return number.quantize(Decimal("0.01"))


def lots_under(identifier_set: set[str], *, at: datetime | None) -> list[Lot]:
    """The lots named directly or aggregated (at time `at`) into the given identifiers."""
    wanted = set(identifier_set)
    for identifier in identifier_set:
        wanted |= selectors.contents_of(identifier, at=at)
    return list(Lot.objects.filter(identifier__in=wanted).select_related("product"))


def lots_aggregated_with(lot: Lot, *, at: datetime) -> list[Lot]:
    """The lots sharing a box or pallet with `lot` at time `at` (they shared its air)."""
    containers = {
        identifier
        for identifier, _depth in selectors.trace(lot.identifier, forward=True, max_depth=3)
        if "/00/" in identifier or "/21/" in identifier
    }
    inside = set()
    for container in containers:
        contents = selectors.contents_of(container, at=at)
        if lot.identifier in contents:
            inside |= contents
    return list(Lot.objects.filter(identifier__in=inside - {lot.identifier}))


def sensor_lots_refused(*, events: list[Event], party: Party) -> list[tuple[Event, Lot]]:
    """The (event, lot) pairs where events just captured by `party` carry temperature readings
    for a lot the party neither holds nor took part in before this capture
    (`selectors.party_may_monitor`): the EPCIS twin of a data logger on another party's goods."""
    refused = []
    verdicts: dict[int, bool] = {}
    for event in events:
        if not any(
            report.get("type") in TEMPERATURE_TYPES
            for element in event.data.get("sensorElementList") or []
            for report in element.get("sensorReport") or []
        ):
            continue
        named = {row.identifier for row in event.epcs.all()}
        for lot in lots_under(named, at=event.event_time):
            if lot.pk not in verdicts:
                verdicts[lot.pk] = selectors.party_may_monitor(
                    party=party, identifier=lot.identifier, ignore_job_pk=event.job_id
                )
            if not verdicts[lot.pk]:
                refused.append((event, lot))
    return refused


def readings_from_events(*, events: list[Event]) -> list[Breach]:
    """Stores the temperature readings of the events' sensorElementLists and checks the lots.

    Runs inside the capture's transaction. Idempotent (one reading per lot, time and device).
    """
    touched: dict[int, Lot] = {}
    for event in events:
        elements = event.data.get("sensorElementList") or []
        if not elements:
            continue
        named = {row.identifier for row in event.epcs.all()}
        lots = lots_under(named, at=event.event_time)
        if not lots:
            continue
        rows = []
        for element in elements:
            metadata = element.get("sensorMetadata") or {}
            for report in element.get("sensorReport") or []:
                if report.get("type") not in TEMPERATURE_TYPES or "value" not in report:
                    continue
                try:
                    moment = parse_time(report.get("time") or metadata.get("time"))
                except ValueError:
                    moment = event.event_time
                try:
                    celsius = _celsius(report["value"], report.get("uom", "CEL"))
                except (InvalidOperation, TypeError):
                    continue
                device = report.get("deviceID") or metadata.get("deviceID") or ""
                for lot in lots:
                    rows.append(
                        Reading(
                            lot=lot, time=moment, celsius=celsius, device_id=device, event=event
                        )
                    )
                    touched[lot.pk] = lot
        Reading.objects.bulk_create(rows, ignore_conflicts=True)
    return [breach for lot in touched.values() if (breach := lot_breach_check(lot=lot))]


@transaction.atomic
def readings_ingest(*, device_id: str, readings: list[dict], party: Party | None) -> dict:
    """Stores a data logger's batch of readings for the lots it is attached to, then checks them.

    `readings` = [{"time": ISO 8601, "celsius": number}]. Refuses (nothing stored) an unknown
    device, a device of another party, a device attached to goods its party neither holds nor
    took part in (`selectors.party_may_monitor`), or a malformed reading. Idempotent per
    (lot, time, device).
    """
    device = Device.objects.filter(device_id=device_id).first() if device_id else None
    if device is None:
        raise ValidationError({"device_id": _("Unknown data logger.")})
    if party is not None and device.party_id != party.pk:
        raise ValidationError({"device_id": _("This data logger belongs to another party.")})
    # Checked again at each batch: an attachment made before the rule, or to goods that were
    # never the party's, declares nothing about another party's lot.
    if device.attached_to and not selectors.party_may_monitor(
        party=device.party, identifier=device.attached_to
    ):
        raise ValidationError(
            {
                "device_id": _(
                    "This data logger is attached to goods its party neither holds nor took "
                    "part in."
                )
            }
        )
    if not readings:
        raise ValidationError({"readings": _("Send at least one reading.")})
    parsed = []
    for index, reading in enumerate(readings):
        try:
            moment = parse_time(reading.get("time"))
            celsius = Decimal(str(reading["celsius"])).quantize(Decimal("0.01"))
        except (ValueError, KeyError, InvalidOperation, TypeError, AttributeError) as exc:
            raise ValidationError(
                {f"readings[{index}]": _("Each reading has a time with zone and a celsius value.")}
            ) from exc
        parsed.append((moment, celsius))
    attached = {identifiers.canonical(device.attached_to)} if device.attached_to else set()
    stored, touched = 0, {}
    for moment, celsius in parsed:
        for lot in lots_under(attached, at=moment):
            _reading, created = Reading.objects.get_or_create(
                lot=lot, time=moment, device_id=device.device_id, defaults={"celsius": celsius}
            )
            stored += int(created)
            touched[lot.pk] = lot
    breaches = [breach for lot in touched.values() if (breach := lot_breach_check(lot=lot))]
    return {"stored": stored, "lots": len(touched), "breaches": len(breaches)}


@transaction.atomic
def lot_breach_check(*, lot: Lot) -> Breach | None:
    """Runs the breach rule of the lot's storage class over its readings.

    A new breach marks the lot compromised (and every lot aggregated with it), alerts staff
    and the current holder (an Alert row each, and an email once the transaction commits), and
    is anchored (`logistics.breach`). Idempotent: a breach with the
    same start is recorded once.
    """
    rule = coldchain.RULES.get(lot.product.storage_class)
    if rule is None:
        return None
    series = [
        coldchain.Reading(time=time, celsius=celsius)
        for time, celsius in Reading.objects.filter(lot=lot).values_list("time", "celsius")
    ]
    finding = coldchain.detect(series, rule)
    if finding is None:
        return None
    existing = Breach.objects.filter(lot=lot, started_at=finding.started_at).first()
    if existing is not None:
        return None
    breach = Breach(
        lot=lot,
        started_at=finding.started_at,
        ended_at=finding.ended_at,
        minutes_out_of_range=finding.minutes_out_of_range,
        extreme_celsius=finding.extreme_celsius,
        reason=finding.reason,
    )
    breach.full_clean()
    breach.save()
    leaf = anchor_record(
        kind="logistics.breach",
        ref=str(breach.public_id),
        version=1,
        data={
            "lot": lot.identifier,
            "startedAt": finding.started_at.isoformat(),
            "endedAt": finding.ended_at.isoformat(),
            "minutesOutOfRange": finding.minutes_out_of_range,
            "extremeCelsius": str(finding.extreme_celsius),
            "reason": finding.reason,
        },
        public=True,
    )
    breach.anchor_digest = leaf.digest
    breach.save(update_fields=["anchor_digest"])
    companions = {lot.pk} | {other.pk for other in lots_aggregated_with(lot, at=finding.started_at)}
    Lot.objects.filter(pk__in=companions, status=Lot.Status.ACTIVE).update(
        status=Lot.Status.COMPROMISED
    )
    holder, _location = selectors.lot_holder(lot)
    message = _(
        "Cold chain breached for %(lot)s: %(minutes)s min out of range, extreme %(c)s °C."
    ) % {
        "lot": lot,
        "minutes": finding.minutes_out_of_range,
        "c": finding.extreme_celsius,
    }
    Alert.objects.create(party=None, lot=lot, message=message)
    if holder is not None:
        Alert.objects.create(party=holder, lot=lot, message=message)
    # After commit: a rolled-back breach mails nobody, and a breach is recorded (so mailed) once.
    breach_pk, holder_pk = breach.pk, holder.pk if holder is not None else None
    transaction.on_commit(lambda: send_breach_emails(breach_pk=breach_pk, holder_pk=holder_pk))
    return breach
