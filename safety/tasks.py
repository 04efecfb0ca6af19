"""Celery tasks of the safety app: take primary keys, load rows, call services."""

from celery import shared_task

from . import notifications, services
from .models import ReportUpdate
from .services.photo_sweep import photo_files_sweep as sweep_photo_files


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def report_update_notify(update_pk: int) -> int:
    """Emails the reporter and followers about one timeline entry; a re-run sends nothing."""
    update = ReportUpdate.objects.filter(pk=update_pk).select_related("report__category").first()
    if update is None or not services.update_mark_notified(update=update):
        return 0
    return notifications.send_update_emails(update=update)


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def photo_files_sweep() -> int:
    """Deletes photo files no row names, older than an hour (safety.services.photo_sweep)."""
    return len(sweep_photo_files().removed)
