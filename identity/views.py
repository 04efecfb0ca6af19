import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from busanhub.i18n import localized
from busanhub.pagination import page_of
from identity import credential_types, dids, jsonld, selectors, services, verification
from identity.forms import ApplicationForm, KeyExportForm, PresentationRequestForm
from identity.labels import CLAIM_LABELS, TYPE_LABELS, claims_in_words
from identity.models import Credential, IssuerKey, PresentationRequest, StatusList
from identity.qr import qr_data_uri

JSON_LD = "application/ld+json"


def _json(data, content_type="application/json", status=200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type=content_type, status=status
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _did_document(issuer: IssuerKey) -> dict:
    return dids.did_document(
        did=issuer.did,
        verification_method=issuer.verification_method,
        public_key_multibase=issuer.public_key_multibase,
    )


@require_GET
def did_json(request):
    """The city's did:web document (its key is generated once on first use)."""
    return _json(_did_document(services.city_issuer()), "application/did+ld+json")


@require_GET
def issuer_did_json(request, slug: str):
    issuer = get_object_or_404(IssuerKey, slug=slug)
    if slug == dids.CITY_SLUG:
        raise Http404
    return _json(_did_document(issuer), "application/did+ld+json")


@require_GET
@never_cache
def status_list(request, slug: str):
    """The signed BitstringStatusListCredential, always current."""
    status_list = get_object_or_404(StatusList, slug=slug)
    return _json(status_list.credential, "application/vc+ld+json")


@require_GET
def schema(request, name: str):
    if name not in credential_types.TYPES:
        raise Http404
    return _json(credential_types.schema(name), "application/schema+json")


@require_GET
def context(request):
    path = jsonld.CONTEXTS_DIR / jsonld.CONTEXT_FILES[jsonld.BUSAN_CONTEXT_URL]
    return HttpResponse(path.read_bytes(), content_type=JSON_LD)


def _claims_in_words(credential: Credential) -> list[tuple[str, str]]:
    return claims_in_words(credential.claims)


def _own_credential(request, public_id) -> Credential:
    return get_object_or_404(
        Credential.objects.select_related("issuer"), public_id=public_id, holder=request.user
    )


@login_required
def wallet(request):
    wallet = services.wallet_open(user=request.user)
    credentials = page_of(request, selectors.credentials_for_holder(user=request.user))
    for credential in credentials:
        credential.label = TYPE_LABELS.get(credential.credential_type, credential.credential_type)
        credential.display_status = selectors.credential_display_status(credential)
    applications = page_of(request, selectors.applications_for(user=request.user), param="apps")
    for application in applications:
        application.label = TYPE_LABELS.get(
            application.credential_type, application.credential_type
        )
    return render(
        request,
        "identity/wallet.html",
        {"wallet": wallet, "credentials": credentials, "applications": applications},
    )


@login_required
def credential_detail(request, public_id):
    credential = _own_credential(request, public_id)
    share_url = dids.site_url(
        reverse("identity:credential-check", kwargs={"public_id": credential.public_id})
    )
    return render(
        request,
        "identity/credential_detail.html",
        {
            "credential": credential,
            "label": TYPE_LABELS.get(credential.credential_type, credential.credential_type),
            "claims": _claims_in_words(credential),
            "status": selectors.credential_display_status(credential),
            "share_url": share_url,
            "qr": qr_data_uri(share_url),
            "anchor_digest": selectors.anchor_digest_for(credential),
        },
    )


@login_required
def credential_download(request, public_id):
    credential = _own_credential(request, public_id)
    response = _json(credential.document, "application/vc+ld+json")
    response["Content-Disposition"] = f'attachment; filename="bpass-{credential.public_id}.json"'
    return response


@require_GET
def credential_check(request, public_id):
    """What a verifier sees when the holder shows their QR: the credential checked now."""
    credential = get_object_or_404(Credential.objects.select_related("issuer"), public_id=public_id)
    result = verification.credential_verify(
        credential.document, checks=verification.PORTAL_CREDENTIAL_CHECKS
    )
    return render(
        request,
        "identity/credential_check.html",
        {
            "credential": credential,
            "label": TYPE_LABELS.get(credential.credential_type, credential.credential_type),
            "claims": _claims_in_words(credential),
            "result": result,
            "check_rows": _check_rows(result),
            "anchor_digest": selectors.anchor_digest_for(credential),
        },
    )


CHECK_LABELS = {
    "malformed": gettext_lazy("Well-formed credential"),
    "proof": gettext_lazy("Signature"),
    "issuer": gettext_lazy("Signed by the issuer"),
    "issuer-trusted": gettext_lazy("Known issuer"),
    "validity": gettext_lazy("Validity period"),
    "status": gettext_lazy("Not revoked or suspended"),
    "related-resource": gettext_lazy("Related resources unchanged"),
    "challenge": gettext_lazy("Challenge (no replay)"),
    "domain": gettext_lazy("Domain"),
    "holder": gettext_lazy("Signed by the presentation's holder"),
    "holder-is-subject": gettext_lazy("Signed by the credential holder"),
}


def _check_rows(result) -> list[dict]:
    rows = []
    checks = result.checks if hasattr(result, "checks") else result.get("checks", [])
    errors = result.errors if hasattr(result, "errors") else result.get("errors", [])
    for check in checks:
        failures = [e["message"] for e in errors if e["check"] == check]
        rows.append(
            {"label": CHECK_LABELS.get(check, check), "ok": not failures, "messages": failures}
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def apply(request):
    initial = selectors.application_initial_for(user=request.user)
    if request.GET.get("type") in credential_types.TYPES:
        initial["credential_type"] = request.GET["type"]
    form = ApplicationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_submit(
                applicant=request.user,
                credential_type=form.cleaned_data["credential_type"],
                claims=form.cleaned_data["claims"],
                evidence_details=form.cleaned_data["evidence_details"],
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your application was sent. Staff will review it."))
            return redirect("identity:wallet")
    return render(request, "identity/apply.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def key_export(request):
    form = KeyExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            jwk = services.wallet_export_jwk(
                user=request.user, password=form.cleaned_data["password"], request=request
            )
        except PermissionDenied as exc:
            form.add_error("password", str(exc))
        else:
            response = _json(jwk, "application/jwk+json")
            response["Content-Disposition"] = 'attachment; filename="bpass-key.jwk.json"'
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "identity/key_export.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def verifier(request):
    form = PresentationRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            presentation_request = services.presentation_request_create(
                verifier=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("identity:request-detail", public_id=presentation_request.public_id)
    return render(
        request,
        "identity/verifier.html",
        {"form": form, "requests": selectors.requests_for_verifier(user=request.user)[:20]},
    )


def _request_context(presentation_request: PresentationRequest) -> dict:
    return {
        "presentation_request": presentation_request,
        "types": [TYPE_LABELS.get(t, t) for t in presentation_request.credential_types],
        "claims": [CLAIM_LABELS.get(c, c) for c in presentation_request.claims],
        "check_rows": _check_rows(presentation_request.result or {}),
        "shared": [
            {
                "label": TYPE_LABELS.get(item["type"], item["type"]),
                "issuer": localized(item, "issuer"),
                "claims": claims_in_words(item["claims"]),
            }
            for item in (presentation_request.result or {}).get("credentials", [])
        ],
    }


@login_required
def request_detail(request, public_id):
    presentation_request = get_object_or_404(
        PresentationRequest, public_id=public_id, verifier=request.user
    )
    link = dids.site_url(reverse("identity:present", kwargs={"public_id": public_id}))
    context = _request_context(presentation_request)
    context.update({"link": link, "qr": qr_data_uri(link)})
    return render(request, "identity/request_detail.html", context)


@login_required
@never_cache
def request_result(request, public_id):
    """The result panel, polled by the verifier's page until the holder answers."""
    presentation_request = get_object_or_404(
        PresentationRequest, public_id=public_id, verifier=request.user
    )
    return render(request, "identity/_request_result.html", _request_context(presentation_request))


@login_required
@require_http_methods(["GET", "POST"])
def present(request, public_id):
    presentation_request = get_object_or_404(
        PresentationRequest.objects.select_related("verifier"), public_id=public_id
    )
    if request.method == "POST":
        consent = request.POST.get("decision") == "consent"
        try:
            services.presentation_respond(
                request=presentation_request, holder=request.user, consent=consent
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if consent:
                messages.success(request, _("Your credentials were presented."))
            else:
                messages.info(request, _("You declined the request. Nothing was shared."))
        return redirect("identity:present", public_id=public_id)
    from identity.services.presentations import matching_credentials

    services.wallet_open(user=request.user)
    credentials = matching_credentials(holder=request.user, request=presentation_request)
    return render(
        request,
        "identity/present.html",
        {
            **_request_context(presentation_request),
            "credentials": [
                {
                    "label": TYPE_LABELS.get(c.credential_type, c.credential_type),
                    "issuer": c.issuer.localized_name,
                    "claims": _claims_in_words(c),
                    "status": selectors.credential_display_status(c),
                }
                for c in credentials
            ],
            "has_all": len(credentials) == len(presentation_request.credential_types),
            "answered": presentation_request.status != PresentationRequest.Status.PENDING,
            "is_holder": presentation_request.holder_id == request.user.pk,
        },
    )
