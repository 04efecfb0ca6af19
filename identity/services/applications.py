from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from identity import credential_types, dids
from identity import evidence as evidence_rules
from identity.labels import type_label
from identity.models import Credential, CredentialApplication

from .credentials import credential_issue
from .keys import city_issuer, wallet_open


def _evidence_message(code: str) -> str:
    return {
        "required": _("This field is required for this credential."),
        "invalid": _("Choose one of the documents accepted for this credential."),
        "too_long": _("Keep this under %(max)d characters.") % {"max": evidence_rules.MAX_LENGTH},
        "unknown": _("This credential does not use this field."),
    }[code]


def check_evidence(*, credential_type: str, evidence_details) -> dict:
    """The evidence, its text stripped; ValidationError naming each bad field otherwise."""
    errors = evidence_rules.evidence_errors(credential_type, evidence_details)
    if errors:
        raise ValidationError({field: [_evidence_message(code)] for field, code in errors.items()})
    return {key: value.strip() for key, value in evidence_details.items()}


@transaction.atomic
def application_submit(
    *,
    applicant,
    credential_type: str,
    claims: dict,
    evidence_details: dict,
    evidence: str = "",
) -> CredentialApplication:
    """A citizen's application for a B Pass credential, pending staff review.

    Claims are validated against the type's JSON Schema and the evidence against what the type
    asks for (identity.evidence); one pending application per type.
    """
    if credential_type not in credential_types.TYPES:
        raise ValidationError({"credential_type": _("Choose a credential type.")})
    try:
        credential_types.validate_claims(credential_type, claims)
    except credential_types.ClaimsError as exc:
        raise ValidationError({exc.field: [str(exc)]}) from exc
    evidence_details = check_evidence(
        credential_type=credential_type, evidence_details=evidence_details
    )
    if CredentialApplication.objects.filter(
        applicant=applicant,
        credential_type=credential_type,
        status=CredentialApplication.Status.PENDING,
    ).exists():
        raise ValidationError(
            {"credential_type": _("You already have a pending application for this credential.")}
        )
    application = CredentialApplication(
        applicant=applicant,
        credential_type=credential_type,
        claims=claims,
        evidence_details=evidence_details,
        evidence=evidence,
    )
    application.full_clean()
    application.save()
    return application


def _locked_pending(application: CredentialApplication) -> CredentialApplication:
    application = CredentialApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != CredentialApplication.Status.PENDING:
        raise ValidationError({"status": _("This application has already been decided.")})
    return application


def _notify(application: CredentialApplication) -> None:
    user = application.applicant
    with translation.override(user.preferred_language):
        if application.status == CredentialApplication.Status.APPROVED:
            subject = _("Your B Pass credential is ready")
            body = _("Your %(type)s is now in your B Pass wallet: %(url)s") % {
                "type": type_label(application.credential_type),
                "url": dids.site_url(reverse("identity:wallet")),
            }
        else:
            subject = _("Your B Pass application was not approved")
            body = _("Your application for %(type)s was not approved: %(reason)s") % {
                "type": type_label(application.credential_type),
                "reason": application.decision_reason,
            }
    send_mail(subject, body, None, [user.email], fail_silently=True)


@transaction.atomic
def application_approve(*, application: CredentialApplication, by) -> Credential:
    """Approves: issues the credential (signed by the city, anchored) into the applicant's
    wallet and e-mails them after commit. Refused unless pending."""
    application = _locked_pending(application)
    wallet = wallet_open(user=application.applicant)
    credential = credential_issue(
        issuer=city_issuer(),
        subject_did=wallet.did,
        types=[application.credential_type],
        claims=application.claims,
        holder=application.applicant,
    )
    application.status = CredentialApplication.Status.APPROVED
    application.decided_by = by
    application.decided_at = timezone.now()
    application.credential = credential
    application.full_clean()
    application.save(update_fields=["status", "decided_by", "decided_at", "credential"])
    transaction.on_commit(lambda: _notify(application))
    return credential


@transaction.atomic
def application_reject(
    *, application: CredentialApplication, by, reason: str
) -> CredentialApplication:
    """Rejects with a reason and e-mails the applicant after commit. Refused unless pending."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    application = _locked_pending(application)
    application.status = CredentialApplication.Status.REJECTED
    application.decided_by = by
    application.decided_at = timezone.now()
    application.decision_reason = reason.strip()[:500]
    application.full_clean()
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    transaction.on_commit(lambda: _notify(application))
    return application
