"""A report's workflow: the allowed moves, each anchored as a new version, and the e-mail
notifications they schedule."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safety.models import Report, ReportUpdate

from .anchoring import report_anchor
from .map_cells import map_cells_move
from .rewards import reporter_reward

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


def _schedule_notification(update: ReportUpdate) -> None:
    from safety.tasks import report_update_notify

    transaction.on_commit(lambda: report_update_notify.delay(update.pk))


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
    from_status = report.status
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
    map_cells_move(report=report, from_status=from_status, to_status=to_status)
    if to_status == Report.Status.RESOLVED:
        update.reward = reporter_reward(report)
    if to_status == Report.Status.DUPLICATE:
        # The original inherits the duplicate's weight: the same problem, more people.
        Report.objects.filter(pk=duplicate_of.pk).update(weight=F("weight") + report.weight)
    report_anchor(report=report, update=update)
    _schedule_notification(update)
    return update


@transaction.atomic
def update_mark_notified(*, update: ReportUpdate) -> bool:
    """Marks a timeline entry as notified; False when it already was (makes the task idempotent)."""
    return bool(
        ReportUpdate.objects.filter(pk=update.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
    )
