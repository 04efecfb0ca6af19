"""Filing a report (with its photos, version 1 anchored), following one ("me too") and
assigning one to staff."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safety import geo, photo_files, photos
from safety.models import ApiKey, Category, Follower, Report, ReportPhoto, ReportUpdate

from .anchoring import report_anchor_columns_new
from .checks import answers_check, location_check, photos_check
from .map_cells import map_cells_move
from .photo_rows import photo_rows_insert
from .report_rows import report_rows_insert

MAX_DESCRIPTION = 4000  # Open311's limit for `description`


# Checks of full_clean() that cost a query each and cannot fail for a new report's rows: the
# category and reporter (or API key) were loaded by the caller, the report's public_id and
# token and its photos' public_id are fresh UUIDs, positions and version 1 are new under a new
# report, and location_check and the address rule have checked what the location constraint
# asks. The database enforces every one of them again in the INSERTs (the transaction then
# rolls back whole).
_CHECKED = {"validate_unique": False, "validate_constraints": False}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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
    connection sits idle in a transaction while a photo waits for a decode slot. Their files
    (original and public copy, `safety.photo_files`) are written next, then the rows in one
    transaction; when that fails, the files are removed before the error propagates (called
    inside a caller's transaction that later rolls back, the files stay: the web and Open311
    doors call it outside any). photos.DecodeSlotsBusy (nothing stored) when the process had
    no decode slot free within `SAFETY_PHOTO_DECODE_WAIT_S`.
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
    # Before any file is written: a refused report writes nothing (no query: see _CHECKED).
    report.full_clean(exclude=["category", "reporter", "api_key"], **_CHECKED)
    photo_rows = _photo_files_write(processed)
    try:
        return _report_store(report=report, photo_rows=photo_rows)
    except BaseException:
        # Nothing of the filing was stored, so none of its files may stay.
        photo_files.photo_files_remove(_file_names(photo_rows))
        raise


def _file_names(rows: Sequence[ReportPhoto]) -> list[str]:
    return [name for row in rows for name in (row.original_name, row.public_name)]


def _photo_files_write(processed: Sequence[photos.ProcessedPhoto]) -> list[ReportPhoto]:
    """Writes each photo's original and public copy as files, before the report's transaction
    opens (no connection waits in a transaction for the storage); returns the unsaved rows that
    name them. A failed write removes the files written before it."""
    rows: list[ReportPhoto] = []
    try:
        for position, photo in enumerate(processed, start=1):
            row = ReportPhoto(
                position=position,
                original_content_type=photo.original_content_type,
                sha256=photo.sha256,
                width=photo.width,
                height=photo.height,
            )
            rows.append(row)
            row.original_name = photo_files.photo_file_write(
                photo_files.original_name_for(row.public_id), photo.original
            )
            row.public_name = photo_files.photo_file_write(
                photo_files.public_name_for(row.public_id), photo.public
            )
    except BaseException:
        photo_files.photo_files_remove(_file_names(rows))
        raise
    return rows


@transaction.atomic
def _report_store(*, report: Report, photo_rows: list[ReportPhoto]) -> Report:
    """Saves a checked new report, the rows of its photos (their files written already),
    version 1 (anchored) and the reporter as follower, in one transaction and three
    statements: the anchor leaf, the report (inserted with the leaf's digest), the timeline
    entry and the follower in one (`report_rows_insert`), the photo rows (one COPY), the map
    cells."""
    update = ReportUpdate(
        report=report,
        version=1,
        to_status=Report.Status.SUBMITTED,
        created_at=report.created_at,
        digest="-",
    )
    leaf = report_anchor_columns_new(
        report=report, update=update, photo_hashes=[row.sha256 for row in photo_rows]
    )
    update.full_clean(exclude=["report", "actor"], **_CHECKED)
    report_rows_insert(report=report, update=update, leaf=leaf, followed_at=timezone.now())
    for row in photo_rows:
        row.report = report
        row.full_clean(exclude=["report"], **_CHECKED)
    photo_rows_insert(photo_rows)
    map_cells_move(report=report, from_status=None, to_status=report.status)
    return report


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
