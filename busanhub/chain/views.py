"""The public `/verify/` pages: anyone checks a digest or a receipt against the chain."""

import json

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from busanhub.chain import canonical, node, selectors, verify
from busanhub.chain.api import receipt_for_viewer
from busanhub.chain.forms import DigestForm, ReceiptForm
from busanhub.chain.qr import svg_data_uri


def check_receipt(receipt: dict) -> verify.Result:
    """Offline steps, then the chain steps against the portal's node (if it answers)."""
    result = verify.verify_offline(receipt)
    if not result.ok:
        return result
    try:
        return verify.verify_on_chain(receipt, node.web3(), result)
    except node.TRANSIENT_ERRORS as exc:
        result.add("chain", False, f"the chain node could not be reached ({type(exc).__name__})")
        return result


def _wants_json(request) -> bool:
    if request.GET.get("format") == "json":
        return True
    preferred = request.get_preferred_type(["text/html", "application/json"])
    return preferred == "application/json"


@require_http_methods(["GET", "POST"])
def verify_index(request):
    digest_form = DigestForm(request.GET or None)
    receipt_form = ReceiptForm()
    result = receipt = None
    if request.method == "GET" and digest_form.is_bound and digest_form.is_valid():
        return redirect("chain:verify-digest", digest=digest_form.cleaned_data["digest"])
    if request.method == "POST":
        receipt_form = ReceiptForm(request.POST, request.FILES)
        if receipt_form.is_valid():
            receipt = receipt_form.cleaned_data["receipt"]
            result = check_receipt(receipt)
    status = 400 if receipt_form.errors or (digest_form.is_bound and digest_form.errors) else 200
    return render(
        request,
        "chain/verify.html",
        {
            "digest_form": digest_form,
            "receipt_form": receipt_form,
            "result": result,
            "receipt": receipt,
        },
        status=status,
    )


def verify_digest(request, digest: str):
    try:
        digest = canonical.normalize_digest(digest)
    except ValueError as exc:
        if _wants_json(request):
            return JsonResponse({"digest": [str(exc)]}, status=400)
        return render(
            request,
            "chain/verify.html",
            {"digest_form": DigestForm({"digest": digest}), "receipt_form": ReceiptForm()},
            status=400,
        )
    receipt = receipt_for_viewer(digest, request.user)
    status = "confirmed" if receipt else selectors.leaf_status(digest)
    result = check_receipt(receipt) if receipt else None
    if _wants_json(request):
        if receipt is None or result is None:
            return JsonResponse(
                {"digest": digest, "status": status, "detail": "not anchored yet"}, status=404
            )
        return JsonResponse(
            {"digest": digest, "status": status, **result.as_dict(), "receipt": receipt}
        )
    url = request.build_absolute_uri(reverse("chain:verify-digest", args=[digest]))
    return render(
        request,
        "chain/verify_digest.html",
        {
            "digest": digest,
            "status": status,
            "receipt": receipt,
            "result": result,
            "receipt_json": json.dumps(receipt, indent=2) if receipt else "",
            "qr": svg_data_uri(url),
            "url": url,
        },
        status=200 if receipt else 404,
    )


def receipt_download(request, digest: str):
    try:
        digest = canonical.normalize_digest(digest)
    except ValueError:
        return JsonResponse({"digest": ["not 64 hexadecimal digits"]}, status=400)
    receipt = receipt_for_viewer(digest, request.user)
    if receipt is None:
        return JsonResponse({"detail": "not anchored yet"}, status=404)
    response = HttpResponse(json.dumps(receipt, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="receipt-{digest[2:14]}.json"'
    return response
