import pytest
from django.core.exceptions import ValidationError
from web3 import Web3

from busanhub.chain import merkle
from busanhub.chain.models import AnchorLeaf
from education import labchain, services
from education.models import Enrollment, FaucetGrant, LabChallenge, LabContract
from education.services import labs
from education.tests.factories import CourseFactory, LessonFactory, ModuleFactory, UserFactory


@pytest.fixture
def lab_course(chain):
    course = CourseFactory()
    module = ModuleFactory(course=course)
    verify = LessonFactory(module=module, kind="lab", lab_task="verify_receipt", body="")
    anchor = LessonFactory(module=module, kind="lab", lab_task="anchor_digest", body="")
    student = UserFactory()
    enrollment = services.enrollment_create(course=course, student=student)
    return enrollment, verify, anchor


def _truth(challenge) -> bool:
    receipt = challenge.data["receipt"]
    w3 = labchain.web3()
    lab = labchain.contract(w3, receipt["contract"])
    return lab.functions.verify(
        [merkle.to_bytes32(p) for p in receipt["proof"]],
        merkle.to_bytes32(receipt["root"]),
        merkle.to_bytes32(receipt["digest"]),
    ).call()


def _anchored_at(challenge) -> int:
    receipt = challenge.data["receipt"]
    lab = labchain.contract(labchain.web3(), receipt["contract"])
    return lab.functions.anchoredAt(merkle.to_bytes32(receipt["root"])).call()


def _root_the_proof_leads_to(challenge) -> str:
    # What a student computes by hand (OpenZeppelin's leaf and sorted pairs), not the portal's
    # merkle module.
    receipt = challenge.data["receipt"]
    node = Web3.keccak(Web3.keccak(bytes.fromhex(receipt["digest"][2:])))
    for step in receipt["proof"]:
        sibling = bytes.fromhex(step[2:])
        node = Web3.keccak(min(node, sibling) + max(node, sibling))
    return "0x" + bytes(node).hex()


def _right_answer(challenge) -> dict:
    answer = {"valid": _truth(challenge), "anchored_at": _anchored_at(challenge)}
    if not answer["valid"]:
        answer["proof_root"] = _root_the_proof_leads_to(challenge)
    return answer


def _codes(error: ValidationError) -> dict:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


@pytest.fixture
def tampered(monkeypatch):
    # The lab tampers with a receipt when secrets.randbelow(2) is 1.
    monkeypatch.setattr(labs.secrets, "randbelow", lambda n: 1)


@pytest.fixture
def honest(monkeypatch):
    monkeypatch.setattr(labs.secrets, "randbelow", lambda n: 0)


def test_a_lab_deploys_its_own_contract_and_funds_a_sandbox(lab_course, chain):
    enrollment, verify, _anchor = lab_course

    challenge = services.lab_open(enrollment=enrollment, lesson=verify)

    contract = LabContract.objects.get(is_active=True)
    assert contract.address.lower() != chain.deployment.address.lower()
    w3 = labchain.web3()
    assert w3.eth.get_balance(Web3.to_checksum_address(challenge.sandbox.address)) == 10**18
    assert (
        labchain.contract(w3, contract.address)
        .functions.isAnchorer(challenge.sandbox.address)
        .call()
        is True
    )
    assert services.lab_open(enrollment=enrollment, lesson=verify).pk == challenge.pk
    assert services.lab_contract_ensure().pk == contract.pk


def test_the_verify_receipt_lab_accepts_what_the_chain_says_and_refuses_the_rest(lab_course):
    enrollment, verify, _anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)
    right = _right_answer(challenge)

    with pytest.raises(ValidationError) as error:
        services.lab_submit(challenge=challenge, answer={**right, "valid": not right["valid"]})
    assert "valid" in error.value.message_dict or "proof_root" in error.value.message_dict
    challenge.refresh_from_db()
    assert challenge.is_passed is False
    assert not AnchorLeaf.objects.filter(kind="education.lab_result").exists()

    services.lab_submit(challenge=challenge, answer=right)
    challenge.refresh_from_db()
    assert challenge.is_passed is True
    leaf = AnchorLeaf.objects.get(kind="education.lab_result")
    assert leaf.is_public is False


def test_answering_true_then_false_does_not_pass_the_verify_lab(lab_course):
    # given a receipt, and a student who answers without verifying anything
    enrollment, verify, _anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)

    # when they answer valid, then not valid
    for guess in (True, False):
        with pytest.raises(ValidationError) as error:
            services.lab_submit(challenge=challenge, answer={"valid": guess})
        # then neither verdict is even checked without the evidence a verifier has
        assert _codes(error.value) == {"anchored_at": ["required"]}

    challenge.refresh_from_db()
    assert (challenge.is_passed, challenge.attempts, challenge.failed_attempts) == (False, 0, 0)
    assert not AnchorLeaf.objects.filter(kind="education.lab_result").exists()


def test_a_tampered_receipt_is_not_passed_by_guessing_both_verdicts(lab_course, tampered):
    # given a tampered receipt, and a student who asked anchoredAt but never checked the proof
    enrollment, verify, _anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)
    anchored_at = _anchored_at(challenge)
    root = challenge.data["receipt"]["root"]

    # when they guess valid, then not valid with the receipt's own root as the proof's root
    with pytest.raises(ValidationError) as first:
        services.lab_submit(challenge=challenge, answer={"valid": True, "anchored_at": anchored_at})
    with pytest.raises(ValidationError) as second:
        services.lab_submit(
            challenge=challenge,
            answer={"valid": False, "anchored_at": anchored_at, "proof_root": root},
        )

    # then both are refused, and both count
    assert _codes(first.value) == {"valid": ["wrong_answer"]}
    assert _codes(second.value) == {"proof_root": ["wrong_evidence"]}
    challenge.refresh_from_db()
    assert (challenge.is_passed, challenge.attempts, challenge.failed_attempts) == (False, 2, 2)
    assert challenge.locked_until is None
    assert not AnchorLeaf.objects.filter(kind="education.lab_result").exists()


def test_a_made_up_anchoring_time_is_refused_and_counted(lab_course, honest):
    enrollment, verify, _anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)

    with pytest.raises(ValidationError) as error:
        services.lab_submit(
            challenge=challenge, answer={"valid": True, "anchored_at": _anchored_at(challenge) - 7}
        )

    assert _codes(error.value) == {"anchored_at": ["wrong_evidence"]}
    challenge.refresh_from_db()
    assert (challenge.is_passed, challenge.attempts, challenge.failed_attempts) == (False, 1, 1)


def test_the_proof_passes_a_tampered_receipt(lab_course, tampered):
    enrollment, verify, _anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)
    answer = _right_answer(challenge)
    assert answer["valid"] is False and answer["proof_root"] != challenge.data["receipt"]["root"]

    services.lab_submit(challenge=challenge, answer=answer)

    challenge.refresh_from_db()
    assert (challenge.is_passed, challenge.attempts, challenge.failed_attempts) == (True, 1, 0)


def test_the_evidence_passes_an_honest_receipt(lab_course, honest):
    enrollment, verify, _anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)
    answer = _right_answer(challenge)
    assert answer == {"valid": True, "anchored_at": answer["anchored_at"]}

    services.lab_submit(challenge=challenge, answer=answer)

    challenge.refresh_from_db()
    assert (challenge.is_passed, challenge.attempts) == (True, 1)


def test_three_wrong_answers_lock_the_lab_even_against_the_right_one(lab_course, tampered):
    enrollment, verify, _anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)
    wrong = {"valid": True, "anchored_at": _anchored_at(challenge)}
    for _ in range(3):
        with pytest.raises(ValidationError):
            services.lab_submit(challenge=challenge, answer=wrong)
    challenge.refresh_from_db()
    assert challenge.failed_attempts == 3 and challenge.locked_until is not None

    with pytest.raises(ValidationError) as error:
        services.lab_submit(challenge=challenge, answer=_right_answer(challenge))

    assert _codes(error.value) == {"answer": ["lab_locked"]}
    challenge.refresh_from_db()
    assert (challenge.is_passed, challenge.attempts, challenge.failed_attempts) == (False, 3, 3)
    assert services.lab_open(enrollment=enrollment, lesson=verify).data == challenge.data
    assert not AnchorLeaf.objects.filter(kind="education.lab_result").exists()


def test_after_the_cool_down_a_new_receipt_and_fresh_tries(lab_course, tampered, settings):
    enrollment, verify, _anchor = lab_course
    settings.EDUCATION_LAB_COOLDOWN_S = 0
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)
    old_receipt = challenge.data["receipt"]
    for _ in range(3):
        with pytest.raises(ValidationError):
            services.lab_submit(
                challenge=challenge, answer={"valid": True, "anchored_at": _anchored_at(challenge)}
            )

    renewed = services.lab_open(enrollment=enrollment, lesson=verify)

    assert renewed.pk == challenge.pk
    assert renewed.data["receipt"]["digest"] != old_receipt["digest"]
    assert (renewed.failed_attempts, renewed.locked_until, renewed.attempts) == (0, None, 3)
    services.lab_submit(challenge=renewed, answer=_right_answer(renewed))
    renewed.refresh_from_db()
    assert (renewed.is_passed, renewed.attempts) == (True, 4)


def test_the_anchor_lab_checks_the_students_own_transaction(lab_course):
    enrollment, _verify, anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=anchor)
    tx_hash = services.sandbox_anchor(sandbox=challenge.sandbox, text="my first anchor")

    services.lab_submit(challenge=challenge, answer={"tx_hash": tx_hash})

    challenge.refresh_from_db()
    assert challenge.is_passed is True


def test_a_transaction_of_someone_else_does_not_pass_the_anchor_lab(lab_course):
    enrollment, _verify, anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=anchor)
    other = services.enrollment_create(course=enrollment.course, student=UserFactory())
    other_challenge = services.lab_open(enrollment=other, lesson=anchor)
    foreign_tx = services.sandbox_anchor(sandbox=other_challenge.sandbox, text="not yours")

    for answer, field in [
        ({"tx_hash": foreign_tx}, "tx_hash"),
        ({"tx_hash": "0x" + "00" * 32}, "tx_hash"),
        ({"tx_hash": "nonsense"}, "tx_hash"),
        ({"valid": True}, "tx_hash"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.lab_submit(challenge=challenge, answer=answer)
        assert field in error.value.message_dict
    challenge.refresh_from_db()
    assert challenge.is_passed is False
    # the two transactions looked up on chain count; the anchor lab cannot be guessed, so it
    # never locks
    assert (challenge.attempts, challenge.failed_attempts) == (2, 2)
    assert challenge.locked_until is None


def test_the_faucet_is_rate_limited(lab_course):
    enrollment, verify, _anchor = lab_course
    sandbox = services.lab_open(enrollment=enrollment, lesson=verify).sandbox
    assert FaucetGrant.objects.filter(sandbox=sandbox).count() == 1

    with pytest.raises(ValidationError) as error:
        services.faucet_request(sandbox=sandbox)

    assert "faucet" in error.value.message_dict
    assert FaucetGrant.objects.filter(sandbox=sandbox).count() == 1


def test_the_faucet_gives_again_after_the_interval(lab_course, settings):
    enrollment, verify, _anchor = lab_course
    sandbox = services.lab_open(enrollment=enrollment, lesson=verify).sandbox
    settings.EDUCATION_FAUCET_INTERVAL_S = 0
    services.faucet_request(sandbox=sandbox)
    assert FaucetGrant.objects.filter(sandbox=sandbox).count() == 2
    balance = labchain.web3().eth.get_balance(Web3.to_checksum_address(sandbox.address))
    assert balance == 2 * 10**18


def test_the_lab_refuses_a_chain_that_is_not_a_lab_chain(lab_course, settings):
    enrollment, verify, _anchor = lab_course
    settings.EDUCATION_LAB_CHAIN_IDS = [1]
    with pytest.raises(labchain.LabChainError):
        services.lab_open(enrollment=enrollment, lesson=verify)
    assert LabChallenge.objects.count() == 0 and LabContract.objects.count() == 0


def test_passing_the_labs_completes_a_lab_only_course(lab_course):
    enrollment, verify, anchor = lab_course
    first = services.lab_open(enrollment=enrollment, lesson=verify)
    services.lab_submit(challenge=first, answer=_right_answer(first))
    second = services.lab_open(enrollment=enrollment, lesson=anchor)
    services.lab_submit(
        challenge=second,
        answer={"tx_hash": services.sandbox_anchor(sandbox=second.sandbox, text="done")},
    )
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED


def test_the_lab_page_asks_for_the_evidence_and_shows_the_lock(client, lab_course, tampered):
    enrollment, verify, _anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)
    client.force_login(enrollment.student)
    url = verify.get_absolute_url()
    guess = {"action": "lab-verify", "valid": "true", "anchored_at": _anchored_at(challenge)}

    for _ in range(3):
        assert client.post(url, guess).status_code == 302
    html = client.get(url).content.decode()

    assert 'id="lab-locked"' in html and 'name="anchored_at"' not in html
    challenge.refresh_from_db()
    assert (challenge.is_passed, challenge.failed_attempts) == (False, 3)


def test_the_lab_page_passes_the_proof(client, lab_course, tampered):
    enrollment, verify, _anchor = lab_course
    challenge = services.lab_open(enrollment=enrollment, lesson=verify)
    client.force_login(enrollment.student)
    url = verify.get_absolute_url()
    html = client.get(url).content.decode()
    assert 'name="anchored_at"' in html and 'name="proof_root"' in html

    client.post(
        url,
        {
            "action": "lab-verify",
            "valid": "false",
            "anchored_at": _anchored_at(challenge),
            "proof_root": _root_the_proof_leads_to(challenge),
        },
    )

    challenge.refresh_from_db()
    assert challenge.is_passed is True
    assert 'id="lab-result"' in client.get(url).content.decode()
