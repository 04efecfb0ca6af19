"""The public `/verify/` pages: anyone checks a digest or a receipt against the chain."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from busanhub.chain import canonical, selectors, verify
from busanhub.chain.api import receipt_for_viewer
from busanhub.chain.chain_check import receipt_check
from busanhub.chain.forms import DigestForm, ReceiptForm
from busanhub.chain.qr import svg_data_uri
from busanhub.chain.templatetags.anchoring import TESTID

# Every step a full verification takes, in order, with what each one establishes.
STEP_LABELS = {
    "format": _("The receipt is well-formed"),
    "envelope": _("The record's data matches the digest"),
    "leaf": _("The digest makes the Merkle leaf"),
    "proof": _("The proof leads from the leaf to the root"),
    "chain": _("The node serves the receipt's chain"),
    "anchored": _("The contract anchored the root"),
    "contract-verify": _("The contract itself accepts the proof"),
    "block": _("The transaction and block match"),
}


# What a step found, as busanhub.chain.verify.DETAILS says it in English (same keys and texts:
# busanhub/chain/tests/test_verify_details.py keeps them in step), for the reader's language.
STEP_DETAILS = {
    "format-ok": _("a BusanAnchorReceipt, version 1"),
    "format-type": _("not a BusanAnchorReceipt (type)"),
    "format-version": _("unsupported receipt version"),
    "format-hex": _("%(key)s is not 0x + 64 lower-case hex digits"),
    "format-proof": _("proof is not a list of 0x + 64 hex digits"),
    "format-anchor": _("anchor is missing"),
    "format-contract": _("anchor.contract is not an address"),
    "format-tx": _("anchor.txHash is not a transaction hash"),
    "format-integer": _("anchor.%(key)s is not an integer"),
    "format-record": _("record (kind, ref, version) is missing"),
    "envelope-private": _("the record's data is not public; the digest stands alone"),
    "envelope-ok": _("sha256(JCS(envelope)) equals the digest"),
    "envelope-digest": _("the envelope hashes to %(computed)s, not %(digest)s"),
    "envelope-record": _("the envelope names another record than the receipt"),
    "leaf-ok": _("keccak256(keccak256(digest)) equals the leaf"),
    "leaf-mismatch": _("keccak256(keccak256(digest)) is %(computed)s, not the leaf"),
    "proof-ok": _("the %(steps)s-step proof leads from the leaf to the root"),
    "proof-mismatch": _("the proof leads to %(computed)s, not to the root"),
    "chain-id": _("the node serves chain %(chain_id)s"),
    "chain-unreachable": _("the chain node could not be reached (%(error)s)"),
    "chain-error": _("the node could not be asked: %(error)s"),
    "anchored-no-contract": _("there is no BusanAnchor contract at %(address)s"),
    "anchored-ok": _("contract %(address)s anchored the root at %(time)s UTC"),
    "anchored-missing": _("contract %(address)s has not anchored this root"),
    "contract-verify-ok": _("the contract's verify(proof, root, digest) returns true"),
    "contract-verify-false": _("the contract's verify(proof, root, digest) returns false"),
    "contract-verify-remembered": _(
        "the contract's verify accepted a proof to this root when the chain was checked, "
        "and this proof leads to the same root"
    ),
    "block-ok": _("transaction %(tx)s in block %(block)s emitted Anchored(root)"),
    "block-mismatch": _(
        "the transaction, its block or its Anchored event does not match the receipt"
    ),
}


def step_detail(step: verify.Step) -> str:
    """The step's finding in the active language (its English detail when it has no code)."""
    if step.code in STEP_DETAILS:
        return str(STEP_DETAILS[step.code]) % step.params
    return step.detail


@dataclass(frozen=True)
class ShownStep:
    number: int
    name: str
    label: str
    state: str  # "ok", "failed", "skipped" (nothing to check) or "not-reached"
    detail: str


@dataclass(frozen=True)
class Verdict:
    ok: bool
    steps: list[ShownStep]
    failed: ShownStep | None


def verdict_of(result: verify.Result) -> Verdict:
    """Every step, in order, for the page: those after the first failure are "not reached"
    (what they computed proves nothing once an earlier link of the chain is broken)."""
    ran = {step.name: step for step in result.steps}
    names = list(STEP_LABELS) + [s.name for s in result.steps if s.name not in STEP_LABELS]
    steps, failed = [], None
    for number, name in enumerate(names, start=1):
        step = ran.get(name)
        if failed is not None or step is None:
            state, detail = "not-reached", ""
        else:
            state = {True: "ok", False: "failed", None: "skipped"}[step.ok]
            detail = step_detail(step)
        shown = ShownStep(number, name, str(STEP_LABELS.get(name, name)), state, detail)
        if state == "failed":
            failed = shown
        steps.append(shown)
    return Verdict(ok=result.ok, steps=steps, failed=failed)


def verdict_key(verdict: Verdict, checked_at: datetime | None, remembered_s: int) -> str:
    """Names a record page's rendered verdict and steps (`{% shared %}`, busanhub/fragments.py):
    everything they show, hashed (the language is the fragment store's own key). Every record
    of a remembered batch shows the same ones."""
    shown = (
        verdict.ok,
        [(step.number, step.name, step.state, step.detail) for step in verdict.steps],
        checked_at.timestamp() if checked_at else None,
        remembered_s,
    )
    return hashlib.sha256(repr(shown).encode()).hexdigest()


def _wants_json(request) -> bool:
    if request.GET.get("format") == "json":
        return True
    preferred = request.get_preferred_type(["text/html", "application/json"])
    return preferred == "application/json"


@require_http_methods(["GET", "POST"])
def verify_index(request):
    digest_form = DigestForm(request.GET or None)
    receipt_form = ReceiptForm()
    result = receipt = checked_at = None
    if request.method == "GET" and digest_form.is_bound and digest_form.is_valid():
        return redirect("chain:verify-digest", digest=digest_form.cleaned_data["digest"])
    if request.method == "POST":
        receipt_form = ReceiptForm(request.POST, request.FILES)
        if receipt_form.is_valid():
            receipt = receipt_form.cleaned_data["receipt"]
            # A receipt someone brings is checked against the node now, every time.
            checked = receipt_check(receipt, remember=False)
            result, checked_at = checked.result, checked.checked_at
    status = 400 if receipt_form.errors or (digest_form.is_bound and digest_form.errors) else 200
    return render(
        request,
        "chain/verify.html",
        {
            "digest_form": digest_form,
            "receipt_form": receipt_form,
            "result": result,
            "verdict": verdict_of(result) if result else None,
            "receipt": receipt,
            "chain_checked_at": checked_at,
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
    state = None if receipt else selectors.anchor_state(digest)
    status = state.status if state else "confirmed"
    checked = receipt_check(receipt) if receipt else None
    result = checked.result if checked else None
    checked_at = checked.checked_at if checked else None
    if _wants_json(request):
        if receipt is None or result is None:
            return JsonResponse(
                {"digest": digest, "status": status, "detail": "not anchored yet"}, status=404
            )
        return JsonResponse(
            {
                "digest": digest,
                "status": status,
                **result.as_dict(),
                # When the node was asked for the chain steps (they may be up to
                # CHAIN_CHECK_REMEMBER_S old); null when it was not reached.
                "chainCheckedAt": f"{checked_at:%Y-%m-%dT%H:%M:%SZ}" if checked_at else None,
                "receipt": receipt,
            }
        )
    url = request.build_absolute_uri(reverse("chain:verify-digest", args=[digest]))
    verdict = verdict_of(result) if result else None
    remembered_s = settings.CHAIN_CHECK_REMEMBER_S
    return render(
        request,
        "chain/verify_digest.html",
        {
            "digest": digest,
            "status": status,
            "state": state,
            "receipt": receipt,
            "result": result,
            "verdict": verdict,
            # Only a remembered check is shown alike on many views (a live one has its own time).
            "verdict_key": verdict_key(verdict, checked_at, remembered_s)
            if verdict and checked and checked.is_remembered
            else "",
            "anchored_at": _block_time(receipt),
            "chain_checked_at": checked_at,
            "chain_remembered_s": remembered_s,
            "receipt_json": json.dumps(receipt, indent=2) if receipt else "",
            "qr": svg_data_uri(url),
            "url": url,
        },
        # A record BusanHub knows is a page even before its batch is anchored (it says
        # "pending" and updates in place); only a digest nobody recorded is not found.
        status=404 if receipt is None and status == "unknown" else 200,
    )


def _block_time(receipt: dict | None) -> datetime | None:
    """The receipt's block time (UTC, "…Z"), to show in Asia/Seoul."""
    if receipt is None:
        return None
    try:
        return datetime.fromisoformat(receipt["anchor"]["timestamp"].replace("Z", "+00:00"))
    except (TypeError, KeyError, ValueError, AttributeError):
        return None


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


@require_GET
@never_cache
def anchor_status(request, digest: str):
    """The anchoring state of one digest, for the `anchor_status` component's polling: its HTML
    fragment, or JSON (`?format=json` or Accept). Public like /verify/: a digest reveals nothing,
    and the state says no more than /verify/<digest> does."""
    state = selectors.anchor_state(digest)
    if _wants_json(request):
        return JsonResponse(
            {
                "digest": state.digest,
                "state": state.state,
                "step": state.step,
                "blockNumber": state.block_number,
                "blockTimestamp": state.block_timestamp.isoformat()
                if state.block_timestamp
                else None,
                "verifyUrl": reverse("chain:verify-digest", args=[state.digest])
                if state.state != "failed"
                else None,
            },
            status=200 if state.state != "failed" else 404,
        )
    testid = request.GET.get("testid", "")
    # htmx swaps only 2xx answers: a failed state is a 200 fragment that stops the polling.
    return render(
        request,
        "chain/_anchor_status.html",
        {"state": state, "testid": testid if TESTID.match(testid) else ""},
    )
