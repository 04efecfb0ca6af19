import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from eth_account import Account
from web3 import Web3

from busanhub.chain import merkle, node
from busanhub.chain.services import anchor_record
from education import labchain
from education.models import Enrollment, FaucetGrant, LabChallenge, LabContract, LabSandbox, Lesson

from .learning import _require_learner, enrollment_check_completion

FAUCET_AMOUNT_WEI = Web3.to_wei(1, "ether")
HEX32 = re.compile(r"^0x[0-9a-f]{64}$")


def _faucet_interval() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "EDUCATION_FAUCET_INTERVAL_S", 3600)))


def lab_max_failures() -> int:
    """Wrong answers allowed on one receipt of a verify_receipt lab before it locks."""
    return int(getattr(settings, "EDUCATION_LAB_MAX_FAILURES", 3))


def _lab_cooldown() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "EDUCATION_LAB_COOLDOWN_S", 3600)))


class _WrongAnswer(ValidationError):
    """An answer checked against the chain and found wrong: it counts as an attempt (an answer
    the lab cannot even read is a plain ValidationError and counts for nothing)."""


def lab_contract_ensure() -> LabContract:
    """The active lab contract; deploys BusanAnchor from the faucet account when there is none
    or the chain was reset (genesis changed or no code at the address). Idempotent."""
    w3 = labchain.checked_web3()
    active = LabContract.objects.filter(is_active=True).first()
    if active is not None:
        genesis = node.to_hex(w3.eth.get_block(0)["hash"])
        if (
            active.chain_id == w3.eth.chain_id
            and active.genesis_hash == genesis
            and w3.eth.get_code(Web3.to_checksum_address(active.address))
        ):
            return active
    faucet = labchain.faucet_account(w3.eth.chain_id)
    artifact = node.artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = labchain.send(
        w3, faucet, factory.constructor().build_transaction({"from": faucet.address})
    )
    with transaction.atomic():
        LabContract.objects.filter(is_active=True).update(is_active=False)
        return LabContract.objects.create(
            chain_id=w3.eth.chain_id,
            address=receipt["contractAddress"],
            genesis_hash=node.to_hex(w3.eth.get_block(0)["hash"]),
            deploy_tx_hash=node.to_hex(receipt["transactionHash"]),
        )


def _fund(sandbox: LabSandbox) -> FaucetGrant:
    w3 = labchain.checked_web3()
    faucet = labchain.faucet_account(w3.eth.chain_id)
    receipt = labchain.send(
        w3,
        faucet,
        {
            "to": Web3.to_checksum_address(sandbox.address),
            "value": FAUCET_AMOUNT_WEI,
            "gas": 21_000,
        },
    )
    grant = FaucetGrant(
        sandbox=sandbox,
        amount_wei=FAUCET_AMOUNT_WEI,
        tx_hash=node.to_hex(receipt["transactionHash"]),
    )
    grant.full_clean()
    grant.save()
    return grant


@transaction.atomic
def sandbox_open(*, student) -> LabSandbox:
    """The student's sandbox account on the active lab contract: created once, funded by the
    faucet and made an anchorer of the lab contract (never of the city's contract)."""
    contract_row = LabContract.objects.select_for_update().get(pk=lab_contract_ensure().pk)
    existing = LabSandbox.objects.filter(student=student, contract=contract_row).first()
    if existing is not None:
        return existing
    account = Account.create()
    sandbox = LabSandbox(
        student=student,
        contract=contract_row,
        address=account.address,
        private_key=node.to_hex(account.key),
    )
    sandbox.full_clean()
    sandbox.save()
    w3 = labchain.checked_web3()
    faucet = labchain.faucet_account(w3.eth.chain_id)
    lab = labchain.contract(w3, contract_row.address)
    labchain.send(
        w3,
        faucet,
        lab.functions.grantAnchorer(account.address).build_transaction({"from": faucet.address}),
    )
    _fund(sandbox)
    return sandbox


@transaction.atomic
def faucet_request(*, sandbox: LabSandbox) -> FaucetGrant:
    """Sends the sandbox 1 test ether; at most once per EDUCATION_FAUCET_INTERVAL_S (default an
    hour). Refused (ValidationError naming `faucet`, nothing sent) sooner."""
    sandbox = LabSandbox.objects.select_for_update().get(pk=sandbox.pk)
    last = sandbox.grants.order_by("-created_at").first()
    if last is not None and timezone.now() - last.created_at < _faucet_interval():
        wait = last.created_at + _faucet_interval() - timezone.now()
        raise ValidationError(
            {
                "faucet": _("The faucet gives once an hour; try again in %(minutes)d minutes.")
                % {"minutes": max(1, int(wait.total_seconds() // 60))}
            }
        )
    return _fund(sandbox)


def _challenge_receipt(contract_row: LabContract) -> dict:
    """Anchors a fresh two-leaf tree on the lab contract and returns one leaf's receipt; about
    half the time the proof is tampered with, so the student must really check it."""
    w3 = labchain.checked_web3()
    faucet = labchain.faucet_account(w3.eth.chain_id)
    values = [secrets.token_bytes(32), secrets.token_bytes(32)]
    tree = merkle.MerkleTree.from_values(values)
    lab = labchain.contract(w3, contract_row.address)
    labchain.send(
        w3, faucet, lab.functions.anchor(tree.root, 2).build_transaction({"from": faucet.address})
    )
    proof = [merkle.to_hex(p) for p in tree.proof(values[0])]
    if secrets.randbelow(2):
        tampered = bytearray(bytes.fromhex(proof[0][2:]))
        tampered[0] ^= 0x01
        proof = ["0x" + tampered.hex()]
    return {
        "digest": merkle.to_hex(values[0]),
        "proof": proof,
        "root": merkle.to_hex(tree.root),
        "chainId": contract_row.chain_id,
        "contract": contract_row.address,
    }


@transaction.atomic
def lab_open(*, enrollment: Enrollment, lesson: Lesson) -> LabChallenge:
    """The student's lab for this lesson, created once: sandbox account, and for
    `verify_receipt` a receipt anchored on the lab contract to check. A lab locked by wrong
    answers whose cool-down is over gets a new receipt here (and its tries back)."""
    _require_learner(enrollment, lesson)
    if lesson.kind != Lesson.Kind.LAB:
        raise ValidationError({"lesson": _("This lesson is not a chain lab.")})
    existing = (
        LabChallenge.objects.select_for_update()
        .filter(enrollment=enrollment, lesson=lesson)
        .first()
    )
    if existing is not None:
        if existing.locked_until is not None and existing.locked_until <= timezone.now():
            # The cool-down is over: a fresh receipt (tampered or not, anew) and fresh tries,
            # so the wrong answers given on the old one tell nothing about the new one.
            existing.data = {"receipt": _challenge_receipt(existing.sandbox.contract)}
            existing.failed_attempts = 0
            existing.locked_until = None
            existing.save(update_fields=["data", "failed_attempts", "locked_until"])
        return existing
    sandbox = sandbox_open(student=enrollment.student)
    data = {}
    if lesson.lab_task == Lesson.LabTask.VERIFY_RECEIPT:
        data = {"receipt": _challenge_receipt(sandbox.contract)}
    challenge = LabChallenge(enrollment=enrollment, lesson=lesson, sandbox=sandbox, data=data)
    challenge.full_clean()
    challenge.save()
    return challenge


def _digest_of(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


@transaction.atomic
def sandbox_anchor(*, sandbox: LabSandbox, text: str) -> str:
    """Anchors sha256(text) on the lab contract, sent from the student's sandbox account (what a
    student with a wallet tool would do); returns the transaction hash to submit to the lab."""
    if not isinstance(text, str) or not text.strip() or len(text) > 10_000:
        raise ValidationError({"text": _("Write some text to anchor (at most 10,000 characters).")})
    w3 = labchain.checked_web3()
    account = Account.from_key(sandbox.private_key)
    lab = labchain.contract(w3, sandbox.contract.address)
    root = merkle.leaf_hash(_digest_of(text))
    if lab.functions.anchoredAt(root).call():
        raise ValidationError({"text": _("This text is already anchored; write another.")})
    receipt = labchain.send(
        w3, account, lab.functions.anchor(root, 1).build_transaction({"from": account.address})
    )
    return node.to_hex(receipt["transactionHash"])


def _refusal(field: str, message: str, code: str, kind=ValidationError) -> ValidationError:
    return kind({field: ValidationError(message, code=code)})


def _check_verify_receipt(challenge: LabChallenge, answer: dict) -> None:
    """The answer is the verdict *and* the evidence only a verifier has: `anchored_at`, what the
    contract's anchoredAt(root) returns (a block time; the root is anchored in every receipt,
    only some proofs are tampered), and for a receipt that does not verify, `proof_root`, the
    root its proof really leads to. Guessing the verdict gives neither."""
    given = answer.get("valid")
    if not isinstance(given, bool):
        raise _refusal(
            "valid", _("Answer whether the receipt is valid (true or false)."), "required"
        )
    anchored_at = answer.get("anchored_at")
    if not isinstance(anchored_at, int) or isinstance(anchored_at, bool) or anchored_at < 1:
        raise _refusal(
            "anchored_at", _("Give what the contract's anchoredAt(root) returns."), "required"
        )
    proof_root = answer.get("proof_root")
    if not given and not (isinstance(proof_root, str) and HEX32.match(proof_root.lower())):
        raise _refusal(
            "proof_root", _("Give the root this proof leads to (0x and 64 hex digits)."), "required"
        )
    receipt = challenge.data["receipt"]
    w3 = labchain.checked_web3()
    lab = labchain.contract(w3, receipt["contract"])
    root = merkle.to_bytes32(receipt["root"])
    digest = merkle.to_bytes32(receipt["digest"])
    proof = [merkle.to_bytes32(p) for p in receipt["proof"]]
    # The truth is what the chain answers, not what the portal computes.
    chain_anchored_at = lab.functions.anchoredAt(root).call()
    on_chain = bool(chain_anchored_at) and bool(lab.functions.verify(proof, root, digest).call())
    if anchored_at != chain_anchored_at:
        raise _refusal(
            "anchored_at",
            _("That is not what anchoredAt(root) returns. Ask the contract."),
            "wrong_evidence",
            _WrongAnswer,
        )
    if given != on_chain:
        raise _refusal(
            "valid",
            _("That is not what the chain says. Call verify again."),
            "wrong_answer",
            _WrongAnswer,
        )
    if not given and proof_root.lower() != merkle.to_hex(
        merkle.process_proof(merkle.leaf_hash(digest), proof)
    ):
        raise _refusal(
            "proof_root",
            _("This proof does not lead to that root. Hash it again."),
            "wrong_evidence",
            _WrongAnswer,
        )


def _check_anchor_digest(challenge: LabChallenge, answer: dict) -> None:
    tx_hash = answer.get("tx_hash")
    if not isinstance(tx_hash, str) or len(tx_hash) != 66 or not tx_hash.startswith("0x"):
        raise _refusal(
            "tx_hash", _("Give the transaction hash (0x and 64 hex digits)."), "required"
        )
    w3 = labchain.checked_web3()
    try:
        receipt = w3.eth.get_transaction_receipt(tx_hash)
    except Exception as exc:  # web3 raises TransactionNotFound or a value error for bad hex
        raise _refusal(
            "tx_hash", _("No such transaction on the lab chain."), "wrong_evidence", _WrongAnswer
        ) from exc
    sandbox = challenge.sandbox
    lab = labchain.contract(w3, sandbox.contract.address)
    if (
        receipt["status"] != 1
        or (receipt["to"] or "").lower() != sandbox.contract.address.lower()
        or receipt["from"].lower() != sandbox.address.lower()
    ):
        raise _refusal(
            "tx_hash",
            _("This transaction is not an anchoring from your sandbox account."),
            "wrong_evidence",
            _WrongAnswer,
        )
    events = lab.events.Anchored().process_receipt(receipt)
    if not events or not lab.functions.anchoredAt(events[0]["args"]["root"]).call():
        raise _refusal(
            "tx_hash", _("This transaction anchored nothing."), "wrong_evidence", _WrongAnswer
        )


def lab_submit(*, challenge: LabChallenge, answer: dict) -> LabChallenge:
    """Checks a lab submission against the chain. Passing marks the lab passed, anchors the
    result (no personal data leaves the database) and may complete the course.

    Every answer checked against the chain counts in `attempts`. A wrong one is refused with a
    ValidationError (code `wrong_answer` or `wrong_evidence`) and changes nothing but the
    counters, which it commits: for `verify_receipt`, the EDUCATION_LAB_MAX_FAILURES-th (3)
    wrong answer locks the lab for EDUCATION_LAB_COOLDOWN_S (an hour), during which answers are
    refused unchecked (code `lab_locked`); `lab_open` then hands out a new receipt. An answer
    the lab cannot read is refused and counts for nothing. Holds the challenge's row lock."""
    with transaction.atomic():
        challenge = (
            LabChallenge.objects.select_for_update(of=("self",))
            .select_related("lesson", "sandbox__contract", "enrollment")
            .get(pk=challenge.pk)
        )
        _require_learner(challenge.enrollment, challenge.lesson)
        if challenge.is_passed:
            return challenge
        now = timezone.now()
        if challenge.locked_until is not None:
            raise _refusal(
                "answer",
                _(
                    "Too many wrong answers: this lab is locked until %(time)s; then ask for a "
                    "new receipt."
                )
                % {"time": timezone.localtime(challenge.locked_until).strftime("%H:%M")},
                "lab_locked",
            )
        if not isinstance(answer, dict):
            raise _refusal("answer", _("The answer is an object."), "invalid")
        is_verify = challenge.lesson.lab_task == Lesson.LabTask.VERIFY_RECEIPT
        try:
            if is_verify:
                _check_verify_receipt(challenge, answer)
            else:
                _check_anchor_digest(challenge, answer)
        except _WrongAnswer as wrong:
            refusal = wrong
            challenge.attempts += 1
            challenge.failed_attempts += 1
            challenge.last_result = "; ".join(wrong.messages)[:500]
            # The anchor lab cannot be guessed (the transaction must be the student's own): it
            # counts wrong answers but never locks.
            if is_verify and challenge.failed_attempts >= lab_max_failures():
                challenge.locked_until = now + _lab_cooldown()
            challenge.save(
                update_fields=["attempts", "failed_attempts", "locked_until", "last_result"]
            )
        else:
            return _lab_pass(challenge, answer, now)
    # Raised once the block has committed: the refused answer still counts.
    raise refusal


def _lab_pass(challenge: LabChallenge, answer: dict, now) -> LabChallenge:
    challenge.is_passed = True
    challenge.passed_at = now
    challenge.attempts += 1
    challenge.last_result = "passed"
    challenge.save(update_fields=["is_passed", "passed_at", "attempts", "last_result"])
    anchor_record(
        kind="education.lab_result",
        ref=f"{challenge.enrollment.public_id}:{challenge.lesson.public_id}",
        version=1,
        data={"task": challenge.lesson.lab_task, "answer": answer, "passed": True},
        public=False,
    )
    enrollment_check_completion(enrollment=challenge.enrollment)
    return challenge
