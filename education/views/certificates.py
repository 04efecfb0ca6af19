"""A certificate's public page (verified now), its signed credential as JSON, and revocation."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from education import selectors, services
from education.forms import RevokeForm
from education.models import Certificate
from education.permissions import can_teach
from education.qr import qr_data_uri
from identity import selectors as identity_selectors

from .errors import flash_errors

CHECK_LABELS = {
    "malformed": gettext_lazy("Well-formed credential"),
    "proof": gettext_lazy("Signature of the university"),
    "issuer": gettext_lazy("Signed by the issuer"),
    "issuer-trusted": gettext_lazy("Known issuer"),
    "validity": gettext_lazy("Validity period"),
    "status": gettext_lazy("Not revoked"),
}


def _certificate(public_id) -> Certificate:
    certificate = selectors.certificate_public(public_id)
    if certificate is None:
        raise Http404
    return certificate


@require_GET
def certificate(request, public_id):
    """The public page of a certificate: verified now, issuer, achievement, anchored receipt."""
    certificate = _certificate(public_id)
    credential = certificate.credential
    result = identity_selectors.credential_verification(credential.document)
    rows = [
        {
            "label": CHECK_LABELS.get(check, check),
            "ok": not any(e["check"] == check for e in result["errors"]),
            "messages": [e["message"] for e in result["errors"] if e["check"] == check],
        }
        for check in result["checks"]
    ]
    share_url = request.build_absolute_uri(certificate.get_absolute_url())
    subject = credential.document["credentialSubject"]
    return render(
        request,
        "education/certificate.html",
        {
            "certificate": certificate,
            "course": certificate.enrollment.course,
            "result": result,
            "rows": rows,
            "achievement": subject.get("achievement", {}),
            "subject_did": subject.get("id", ""),
            # The name given at sign-up, else the e-mail's local part (User.get_short_name).
            "student_name": certificate.enrollment.student.get_short_name(),
            # The VC carries the English name; the page names the university in its language.
            "issuer": {
                **credential.document["issuer"],
                "name": certificate.enrollment.course.university.localized_name,
            },
            "share_url": share_url,
            "qr": qr_data_uri(share_url),
            "anchor_digest": identity_selectors.anchor_digest_for(credential),
            "can_revoke": can_teach(request.user, certificate.enrollment.course.university_id)
            and certificate.status == Certificate.Status.ISSUED,
            "revoke_form": RevokeForm(),
        },
    )


@require_GET
def certificate_json(request, public_id):
    """The signed OpenBadgeCredential, as /vc-api/credentials/verify accepts it."""
    certificate = _certificate(public_id)
    response = HttpResponse(
        json.dumps(certificate.credential.document, ensure_ascii=False, indent=2),
        content_type="application/vc+ld+json",
    )
    response["Content-Disposition"] = f'attachment; filename="certificate-{public_id}.json"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_required
@require_POST
def certificate_revoke(request, public_id):
    certificate = _certificate(public_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect(certificate.get_absolute_url())
    try:
        services.certificate_revoke(
            certificate=certificate, reason=form.cleaned_data["reason"], by=request.user
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("The certificate was revoked."))
    return redirect(certificate.get_absolute_url())


# --- teaching -----------------------------------------------------------------------------
