"""A lab lesson: the learner's challenge and sandbox, and the lab's actions (faucet, anchor,
verify a receipt, submit a transaction)."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from education import labchain, services
from education.forms import LabTxForm, LabVerifyForm, SandboxAnchorForm
from education.models import Enrollment, LabChallenge, Lesson


def _last_tx_key(challenge: LabChallenge) -> str:
    return f"education_last_tx:{challenge.pk}"


def lab_context(lesson: Lesson, enrollment: Enrollment | None, session=None) -> dict:
    challenge = (
        LabChallenge.objects.select_related("sandbox__contract")
        .filter(enrollment=enrollment, lesson=lesson)
        .first()
        if enrollment
        else None
    )
    context = {
        "challenge": challenge,
        "verify_form": LabVerifyForm(),
        # The transaction the student just sent from the sandbox is the one to hand in.
        "tx_form": LabTxForm(
            initial={"tx_hash": (session or {}).get(_last_tx_key(challenge)) if challenge else None}
        ),
        "anchor_form": SandboxAnchorForm(),
        "rpc_url": labchain.rpc_url(),
    }
    if challenge and challenge.data.get("receipt"):
        context["receipt_json"] = json.dumps(challenge.data["receipt"], indent=2)
    if challenge and lesson.lab_task == Lesson.LabTask.VERIFY_RECEIPT:
        context["tries_left"] = max(0, services.lab_max_failures() - challenge.failed_attempts)
        context["can_renew"] = bool(
            challenge.locked_until and challenge.locked_until <= timezone.now()
        )
    return context


def lab_action(request, action: str, challenge: LabChallenge) -> None:
    if action == "lab-faucet":
        services.faucet_request(sandbox=challenge.sandbox)
        messages.success(request, _("The faucet sent 1 test ether to your sandbox account."))
    elif action == "lab-anchor":
        form = SandboxAnchorForm(request.POST)
        if not form.is_valid():
            raise ValidationError(
                form.errors.get_json_data()
                and {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        tx_hash = services.sandbox_anchor(sandbox=challenge.sandbox, text=form.cleaned_data["text"])
        messages.success(request, _("Anchored in transaction %(tx)s.") % {"tx": tx_hash})
        request.session[_last_tx_key(challenge)] = tx_hash
    else:
        form = LabVerifyForm(request.POST) if action == "lab-verify" else LabTxForm(request.POST)
        if not form.is_valid():
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        services.lab_submit(challenge=challenge, answer=form.cleaned_data)
        messages.success(request, _("Lab passed: the chain confirms your work."))
