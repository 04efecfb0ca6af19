"""Emails about cold-chain breaches, each in its recipient's language where it is known."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .auth import CAPTURE_GROUPS
from .models import Breach, Party


def _recipients(*, breach: Breach, holder: Party | None) -> list[tuple[str, str, bool]]:
    """(email, language, is_staff) of logistics staff and the holder's people, once per address.

    Staff come first: an address that is both staff and holder gets the staff mail (it has the
    admin link). The holder's contact address, with no account, gets the site's language.
    """
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    found: dict[str, tuple[str, str, bool]] = {}
    for user in users.filter(groups__name__in=CAPTURE_GROUPS).distinct().order_by("pk"):
        found.setdefault(user.email.lower(), (user.email, user.preferred_language, True))
    if holder is not None:
        for user in users.filter(logistics_parties=holder).order_by("pk"):
            found.setdefault(user.email.lower(), (user.email, user.preferred_language, False))
        if holder.contact_email:
            found.setdefault(
                holder.contact_email.lower(), (holder.contact_email, settings.LANGUAGE_CODE, False)
            )
    return list(found.values())


def send_breach_emails(*, breach_pk: int, holder_pk: int | None) -> int:
    """Mails staff and the lot's holder about one breach; returns the number of mails sent.

    Called once per breach, after the transaction that recorded it commits (a breach is
    recorded once, so re-ingested readings send nothing).
    """
    breach = Breach.objects.select_related("lot__product").get(pk=breach_pk)
    holder = Party.objects.filter(pk=holder_pk).first() if holder_pk else None
    lot = breach.lot
    site = settings.SITE_URL.rstrip("/")
    lot_url = site + reverse("logistics:provenance", args=[lot.product.gtin, lot.lot_code])
    admin_url = site + reverse("admin:logistics_lot_change", args=[lot.pk])
    sent = 0
    for email, language, is_staff in _recipients(breach=breach, holder=holder):
        with translation.override(language or settings.LANGUAGE_CODE):
            context = {
                "breach": breach,
                "lot": lot,
                "holder": holder,
                "lot_url": lot_url,
                "admin_url": admin_url if is_staff else "",
            }
            subject = render_to_string("logistics/email/breach_subject.txt", context).strip()
            body = render_to_string("logistics/email/breach_body.txt", context)
        sent += send_mail(subject, body, None, [email])
    return sent
