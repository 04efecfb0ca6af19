import pytest
from django.core.exceptions import ValidationError
from web3 import Web3

from busanhub.chain import merkle
from busanhub.chain.models import AnchorLeaf
from education import labchain, services
from education.models import Enrollment, FaucetGrant, LabChallenge, LabContract
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
    truth = _truth(challenge)

    with pytest.raises(ValidationError) as error:
        services.lab_submit(challenge=challenge, answer={"valid": not truth})
    assert "valid" in error.value.message_dict
    challenge.refresh_from_db()
    assert challenge.is_passed is False
    assert not AnchorLeaf.objects.filter(kind="education.lab_result").exists()

    services.lab_submit(challenge=challenge, answer={"valid": truth})
    challenge.refresh_from_db()
    assert challenge.is_passed is True
    leaf = AnchorLeaf.objects.get(kind="education.lab_result")
    assert leaf.is_public is False


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
    services.lab_submit(challenge=first, answer={"valid": _truth(first)})
    second = services.lab_open(enrollment=enrollment, lesson=anchor)
    services.lab_submit(
        challenge=second,
        answer={"tx_hash": services.sandbox_anchor(sandbox=second.sandbox, text="done")},
    )
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
