"""Emails about a report's progress, each in its recipient's preferred language."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .models import ReportUpdate


def recipients_of(*, update: ReportUpdate) -> list:
    """The reporter and every follower, once each, active accounts only."""
    report = update.report
    users = {follower.user for follower in report.followers.select_related("user")}
    if report.reporter is not None:
        users.add(report.reporter)
    return sorted((user for user in users if user.is_active), key=lambda user: user.pk)


def send_update_emails(*, update: ReportUpdate) -> int:
    sent = 0
    url = settings.SITE_URL.rstrip("/") + update.report.get_absolute_url()
    for user in recipients_of(update=update):
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            context = {"update": update, "report": update.report, "url": url, "user": user}
            subject = render_to_string("safety/email/update_subject.txt", context).strip()
            body = render_to_string("safety/email/update_body.txt", context)
        sent += send_mail(subject, body, None, [user.email])
    return sent
