import hashlib
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


def _faucet_interval() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "EDUCATION_FAUCET_INTERVAL_S", 3600)))


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
    `verify_receipt` a receipt anchored on the lab contract to check."""
    _require_learner(enrollment, lesson)
    if lesson.kind != Lesson.Kind.LAB:
        raise ValidationError({"lesson": _("This lesson is not a chain lab.")})
    existing = LabChallenge.objects.filter(enrollment=enrollment, lesson=lesson).first()
    if existing is not None:
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


def _check_verify_receipt(challenge: LabChallenge, answer: dict) -> None:
    given = answer.get("valid")
    if not isinstance(given, bool):
        raise ValidationError({"valid": _("Answer whether the receipt is valid (true or false).")})
    receipt = challenge.data["receipt"]
    w3 = labchain.checked_web3()
    lab = labchain.contract(w3, receipt["contract"])
    root = merkle.to_bytes32(receipt["root"])
    proof = [merkle.to_bytes32(p) for p in receipt["proof"]]
    # The truth is what the chain answers, not what the portal computes.
    on_chain = bool(
        lab.functions.verify(proof, root, merkle.to_bytes32(receipt["digest"])).call()
    ) and bool(lab.functions.anchoredAt(root).call())
    if given != on_chain:
        raise ValidationError({"valid": _("That is not what the chain says. Call verify again.")})


def _check_anchor_digest(challenge: LabChallenge, answer: dict) -> None:
    tx_hash = answer.get("tx_hash")
    if not isinstance(tx_hash, str) or len(tx_hash) != 66 or not tx_hash.startswith("0x"):
        raise ValidationError({"tx_hash": _("Give the transaction hash (0x and 64 hex digits).")})
    w3 = labchain.checked_web3()
    try:
        receipt = w3.eth.get_transaction_receipt(tx_hash)
    except Exception as exc:  # web3 raises TransactionNotFound or a value error for bad hex
        raise ValidationError({"tx_hash": _("No such transaction on the lab chain.")}) from exc
    sandbox = challenge.sandbox
    lab = labchain.contract(w3, sandbox.contract.address)
    if (
        receipt["status"] != 1
        or (receipt["to"] or "").lower() != sandbox.contract.address.lower()
        or receipt["from"].lower() != sandbox.address.lower()
    ):
        raise ValidationError(
            {"tx_hash": _("This transaction is not an anchoring from your sandbox account.")}
        )
    events = lab.events.Anchored().process_receipt(receipt)
    if not events or not lab.functions.anchoredAt(events[0]["args"]["root"]).call():
        raise ValidationError({"tx_hash": _("This transaction anchored nothing.")})


@transaction.atomic
def lab_submit(*, challenge: LabChallenge, answer: dict) -> LabChallenge:
    """Checks a lab submission against the chain. Passing marks the lab passed, anchors the
    result (no personal data leaves the database) and may complete the course; a submission
    that does not verify is refused with a ValidationError and changes nothing."""
    challenge = (
        LabChallenge.objects.select_for_update(of=("self",))
        .select_related("lesson", "sandbox__contract", "enrollment")
        .get(pk=challenge.pk)
    )
    _require_learner(challenge.enrollment, challenge.lesson)
    if challenge.is_passed:
        return challenge
    if not isinstance(answer, dict):
        raise ValidationError({"answer": _("The answer is an object.")})
    if challenge.lesson.lab_task == Lesson.LabTask.VERIFY_RECEIPT:
        _check_verify_receipt(challenge, answer)
    else:
        _check_anchor_digest(challenge, answer)
    challenge.is_passed = True
    challenge.passed_at = timezone.now()
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
