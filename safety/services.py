"""Every write of the safety app: reports, their timeline, followers, partner API keys.

Each service is atomic, validates before it saves and anchors what must stay provable in the
same transaction (`safety.report`, one version per meaningful change). Anchored data holds no
personal data: no reporter, no contact, no free text — only digests of the text and photos.
"""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from busanhub.chain.services import anchor_record
from vouchers import services as vouchers_services

from . import attributes, geo, photos, selectors
from .models import ApiKey, Category, Follower, Report, ReportPhoto, ReportUpdate

ANCHOR_KIND = "safety.report"
REWARD_SOURCE = "safety.report"
MAX_DESCRIPTION = 4000  # Open311's limit for `description`

# Which status may follow which; closed states are final.
TRANSITIONS: dict[str, set[str]] = {
    Report.Status.SUBMITTED: {
        Report.Status.ACKNOWLEDGED,
        Report.Status.IN_PROGRESS,
        Report.Status.REJECTED,
        Report.Status.DUPLICATE,
    },
    Report.Status.ACKNOWLEDGED: {
        Report.Status.IN_PROGRESS,
        Report.Status.RESOLVED,
        Report.Status.REJECTED,
        Report.Status.DUPLICATE,
    },
    Report.Status.IN_PROGRESS: {
        Report.Status.RESOLVED,
        Report.Status.REJECTED,
        Report.Status.DUPLICATE,
    },
    Report.Status.RESOLVED: set(),
    Report.Status.REJECTED: set(),
    Report.Status.DUPLICATE: set(),
}


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


def _anchor(*, report: Report, update: ReportUpdate) -> None:
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


def reward_policy() -> tuple[int, int]:
    """(KRW points per valid report, monthly cap per reporter), read when used."""
    return (
        int(getattr(settings, "SAFETY_REWARD_PER_REPORT", 1_000)),
        int(getattr(settings, "SAFETY_REWARD_MONTHLY_CAP", 10_000)),
    )


def _reward_reporter(report: Report) -> int:
    """Credits the reporter's voucher wallet for a resolved (valid) report; returns the points
    credited. Nothing for anonymous reports, partner reports without a citizen account, or
    reports staff filed themselves. Idempotent on the report (vouchers' unique key)."""
    reporter = report.reporter
    amount, monthly_cap = reward_policy()
    if reporter is None or reporter.is_staff or not reporter.is_active or amount <= 0:
        return 0
    reward = vouchers_services.reward_credit(
        user=reporter,
        amount=amount,
        source=REWARD_SOURCE,
        reference=report.service_request_id,
        idempotency_key=f"{REWARD_SOURCE}:{report.public_id}",
        monthly_cap=monthly_cap,
    )
    return reward.amount


def _schedule_notification(update: ReportUpdate) -> None:
    from .tasks import report_update_notify

    transaction.on_commit(lambda: report_update_notify.delay(update.pk))


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def location_check(*, lat, long) -> tuple[float, float]:
    """Parses coordinates and refuses those outside Busan's boundary (ValidationError)."""
    try:
        lat_value, long_value = float(lat), float(long)
    except (TypeError, ValueError):
        raise ValidationError(
            {"lat": _("Latitude and longitude must be numbers.")}, code="invalid"
        ) from None
    if not geo.is_in_busan(lat=lat_value, long=long_value):
        raise ValidationError(
            {"lat": _("This location is outside Busan. Only places in Busan can be reported.")},
            code="outside",
        )
    return lat_value, long_value


def photo_policy() -> tuple[int, int, float]:
    """(pixel budget per photo, decodes at once per process, seconds to wait for a decode
    slot), read when used."""
    return (
        int(getattr(settings, "SAFETY_PHOTO_MAX_PIXELS", photos.MAX_PIXELS)),
        int(getattr(settings, "SAFETY_PHOTO_DECODES", 2)),
        float(getattr(settings, "SAFETY_PHOTO_DECODE_WAIT_S", 10)),
    )


def _photo_error(index: int, error: photos.PhotoError) -> ValidationError:
    problem = gettext(error.message)
    if error.params:
        problem = problem % error.params
    message = gettext("Photo %(number)s: %(problem)s") % {"number": index, "problem": problem}
    return ValidationError({"photos": ValidationError(message, code=error.code)})


def photos_check(uploads: Sequence[bytes]) -> list[photos.ProcessedPhoto]:
    """Checks every photo's header, then decodes them one by one, each in one of the process's
    decode slots (`photo_policy`).

    Every header is read before any pixel is decoded, so a report with one photo over the pixel
    budget, not an image or damaged is refused (ValidationError on `photos`, code of the first
    bad photo) without decoding the others. Raises photos.DecodeSlotsBusy when no slot came
    free within the wait (the door answers 503). Opens no transaction and writes nothing.
    """
    if len(uploads) > photos.MAX_PHOTOS:
        raise ValidationError({"photos": _("At most 5 photos per report.")})
    max_pixels, decodes, wait_s = photo_policy()
    headers = []
    for index, data in enumerate(uploads, start=1):
        try:
            headers.append(photos.photo_check(data, max_pixels=max_pixels))
        except photos.PhotoError as exc:
            raise _photo_error(index, exc) from None
    slots = photos.decode_slots(decodes)
    processed = []
    for index, header in enumerate(headers, start=1):
        try:
            with slots.hold(timeout=wait_s):
                processed.append(photos.photo_decode(header))
        except photos.PhotoError as exc:
            raise _photo_error(index, exc) from None
    return processed


def answers_check(*, category: Category, raw: dict[str, list[str]]) -> dict:
    """The category's answers, normalised; ValidationError keyed `attribute[code]` otherwise."""
    try:
        return attributes.clean_answers(selectors.category_definitions(category=category), raw)
    except attributes.AnswerErrors as exc:
        raise ValidationError(
            {f"attribute[{code}]": gettext(message) for code, message in exc.errors.items()}
        ) from None


def report_create(
    *,
    category: Category,
    lat,
    long,
    description: str = "",
    answers: dict[str, list[str]] | None = None,
    photo_uploads: Sequence[bytes] = (),
    address: str = "",
    reporter=None,
    api_key: ApiKey | None = None,
    contact_email: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    media_url: str = "",
) -> Report:
    """Files a report with its photos and anchors version 1 (status `submitted`).

    Refuses (ValidationError naming the field, nothing stored) an inactive category,
    coordinates that are not numbers or lie outside Busan's boundary, bad answers and bad
    photos. Without coordinates (Open311 `address_string`) the address must name Busan.
    The envelope holds the SHA-256 of every original photo and of the text, so the evidence
    and the submission time are provable without publishing either. The reporter follows
    their own report.

    Photos are checked and decoded (`photos_check`) before the transaction opens, so no
    connection sits idle in a transaction while a photo waits for a decode slot; the rows are
    then written in one transaction. photos.DecodeSlotsBusy (nothing stored) when the process
    had no decode slot free within `SAFETY_PHOTO_DECODE_WAIT_S`.
    """
    if not category.is_active:
        raise ValidationError({"service_code": _("This category is not accepting reports.")})
    address = address.strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError({"description": _("Write at most 4000 characters.")})
    if _blank(lat) and _blank(long):
        if not address:
            raise ValidationError({"lat": _("Choose the place on the map or give an address.")})
        if not geo.address_names_busan(address):
            raise ValidationError(
                {"address": _("Without coordinates, the address must name Busan (부산).")}
            )
        lat_value = long_value = None
        district = geo.district_from_address(address)
    else:
        lat_value, long_value = location_check(lat=lat, long=long)
        district = geo.district_of(lat=lat_value, long=long_value)
    cleaned_answers = answers_check(category=category, raw=answers or {})
    processed = photos_check(photo_uploads)
    now = timezone.now()
    report = Report(
        category=category,
        reporter=reporter,
        api_key=api_key,
        contact_email=contact_email,
        contact_name=contact_name,
        contact_phone=contact_phone,
        lat=lat_value,
        long=long_value,
        address=address,
        district=district,
        media_url=media_url,
        description=description.strip(),
        answers=cleaned_answers,
        created_at=now,
        updated_at=now,
        due_at=Report.due_for(now, category.target_hours),
    )
    return _report_store(report=report, processed=processed)


@transaction.atomic
def _report_store(*, report: Report, processed: list[photos.ProcessedPhoto]) -> Report:
    """Saves a checked new report, its decoded photos and version 1, anchored; one transaction."""
    report.full_clean()
    report.save()
    for position, photo in enumerate(processed, start=1):
        row = ReportPhoto(
            report=report,
            position=position,
            original=photo.original,
            original_content_type=photo.original_content_type,
            sha256=photo.sha256,
            public_image=photo.public,
            width=photo.width,
            height=photo.height,
        )
        row.full_clean()
        row.save()
    update = ReportUpdate(
        report=report,
        version=1,
        to_status=Report.Status.SUBMITTED,
        created_at=report.created_at,
        digest="-",
    )
    _anchor(report=report, update=update)
    if report.reporter_id is not None:
        Follower.objects.create(report=report, user=report.reporter)
    return report


@transaction.atomic
def report_transition(
    *,
    report: Report,
    to_status: str,
    actor,
    public_note: str = "",
    internal_note: str = "",
    duplicate_of: Report | None = None,
) -> ReportUpdate:
    """Moves a report along its workflow and anchors the new version.

    Staff only; the allowed moves are TRANSITIONS. `duplicate` needs the original report
    (another, not itself a duplicate). Notifies the reporter and followers by email, each in
    their language, once the transaction commits. Refused moves change nothing.

    Resolving (a valid report; not rejecting or marking duplicate) credits the citizen reporter
    voucher points in the same transaction (`reward_policy`: per report, capped per calendar
    month and by the wallet's holding cap); the version records and anchors only the amount.
    """
    report = Report.objects.select_for_update().select_related("category").get(pk=report.pk)
    if actor is None or not actor.is_staff:
        raise ValidationError({"actor": _("Only staff can change a report's status.")})
    if to_status not in TRANSITIONS:
        raise ValidationError({"to_status": _("Unknown status.")})
    if to_status not in TRANSITIONS[report.status]:
        raise ValidationError(
            {
                "to_status": gettext("A report that is %(current)s cannot become %(new)s.")
                % {
                    "current": Report.Status(report.status).label,
                    "new": Report.Status(to_status).label,
                }
            }
        )
    if to_status == Report.Status.DUPLICATE:
        if duplicate_of is None:
            raise ValidationError({"duplicate_of": _("Name the report this one duplicates.")})
        if duplicate_of.pk == report.pk or duplicate_of.status == Report.Status.DUPLICATE:
            raise ValidationError(
                {"duplicate_of": _("A report cannot duplicate itself or another duplicate.")}
            )
        report.duplicate_of = duplicate_of
    elif duplicate_of is not None:
        raise ValidationError({"duplicate_of": _("Only a duplicate names another report.")})
    now = timezone.now()
    update = ReportUpdate(
        report=report,
        version=report.version + 1,
        from_status=report.status,
        to_status=to_status,
        public_note=public_note.strip(),
        internal_note=internal_note.strip(),
        actor=actor,
        created_at=now,
        digest="-",
    )
    report.status = to_status
    report.status_notes = update.public_note
    report.updated_at = now
    report.closed_at = now if to_status in Report.CLOSED_STATUSES else None
    report.full_clean()
    report.save(update_fields=["status", "status_notes", "updated_at", "closed_at", "duplicate_of"])
    if to_status == Report.Status.RESOLVED:
        update.reward = _reward_reporter(report)
    if to_status == Report.Status.DUPLICATE:
        # The original inherits the duplicate's weight: the same problem, more people.
        Report.objects.filter(pk=duplicate_of.pk).update(weight=F("weight") + report.weight)
    _anchor(report=report, update=update)
    _schedule_notification(update)
    return update


@transaction.atomic
def report_follow(*, report: Report, user) -> bool:
    """ "Me too": the user follows an open report and adds one to its weight.

    Idempotent: following again changes nothing and returns False. Closed reports refuse.
    """
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not report.is_open:
        raise ValidationError({"report": _("This report is closed.")})
    _follower, created = Follower.objects.get_or_create(report=report, user=user)
    if created:
        Report.objects.filter(pk=report.pk).update(weight=F("weight") + 1)
    return created


@transaction.atomic
def report_assign(*, report: Report, assignee, actor) -> Report:
    """Assigns a report to a staff member (or nobody); not anchored: internal routing only."""
    if actor is None or not actor.is_staff:
        raise ValidationError({"actor": _("Only staff can assign reports.")})
    if assignee is not None and not assignee.is_staff:
        raise ValidationError({"assigned_to": _("Reports are assigned to staff members only.")})
    report = Report.objects.select_for_update().get(pk=report.pk)
    report.assigned_to = assignee
    report.updated_at = timezone.now()
    report.save(update_fields=["assigned_to", "updated_at"])
    return report


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


@transaction.atomic
def api_key_create(*, name: str) -> tuple[ApiKey, str]:
    """Issues a partner key; returns the row and the key, which is shown this once only."""
    raw_key = "o311_" + secrets.token_urlsafe(30)
    key = ApiKey(name=name.strip(), key_hash=api_key_hash(raw_key), prefix=raw_key[:8])
    key.full_clean()
    key.save()
    return key, raw_key


@transaction.atomic
def update_mark_notified(*, update: ReportUpdate) -> bool:
    """Marks a timeline entry as notified; False when it already was (makes the task idempotent)."""
    return bool(
        ReportUpdate.objects.filter(pk=update.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
    )
