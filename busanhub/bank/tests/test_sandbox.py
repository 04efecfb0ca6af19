"""The sandbox bank keeps a real bank's contract: idempotency, final declines, timeouts."""

import pytest

from busanhub.bank.gateway import BankDeclined, BankUnavailable, gateway
from busanhub.bank.models import SandboxTransfer
from busanhub.bank.sandbox import SandboxGateway, sandbox_fault_add

pytestmark = pytest.mark.django_db


def test_configured_gateway_is_the_sandbox():
    assert isinstance(gateway(), SandboxGateway)


def test_transfer_is_recorded_and_idempotent():
    bank = gateway()
    first = bank.transfer_in(
        account_ref="088-01-12345", amount=50_000, reference="top-up", idempotency_key="k1"
    )
    again = bank.transfer_in(
        account_ref="088-01-12345", amount=50_000, reference="top-up", idempotency_key="k1"
    )
    assert first == again and first.status == "completed" and first.direction == "in"
    assert SandboxTransfer.objects.count() == 1
    assert bank.transfer_status(idempotency_key="k1") == first
    assert bank.transfer_status(idempotency_key="unknown") is None


def test_same_key_for_another_transfer_is_refused():
    bank = gateway()
    bank.transfer_out(account_ref="a", amount=10, reference="", idempotency_key="k")
    with pytest.raises(BankDeclined):
        bank.transfer_out(account_ref="a", amount=11, reference="", idempotency_key="k")
    assert SandboxTransfer.objects.get().amount == 10


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "100"])
def test_bad_amounts_are_declined(amount):
    with pytest.raises(BankDeclined):
        gateway().transfer_in(account_ref="a", amount=amount, reference="", idempotency_key="k")
    assert not SandboxTransfer.objects.exists()


def test_decline_is_final_and_remembered():
    sandbox_fault_add(kind="decline", account_ref="poor")
    bank = gateway()
    with pytest.raises(BankDeclined):
        bank.transfer_in(account_ref="poor", amount=1000, reference="", idempotency_key="d")
    # Retrying the same key gives the same answer, even though the fault is used up.
    with pytest.raises(BankDeclined):
        bank.transfer_in(account_ref="poor", amount=1000, reference="", idempotency_key="d")
    assert bank.transfer_status(idempotency_key="d").status == "declined"
    # Other accounts are not affected.
    assert bank.transfer_in(account_ref="rich", amount=1, reference="", idempotency_key="r")


def test_timeout_before_recording_then_retry_succeeds_once():
    sandbox_fault_add(kind="timeout")
    bank = gateway()
    with pytest.raises(BankUnavailable):
        bank.transfer_out(account_ref="m", amount=700, reference="", idempotency_key="t")
    assert bank.transfer_status(idempotency_key="t") is None
    done = bank.transfer_out(account_ref="m", amount=700, reference="", idempotency_key="t")
    assert done.status == "completed" and SandboxTransfer.objects.count() == 1


def test_timeout_after_recording_the_retry_returns_the_recorded_transfer():
    sandbox_fault_add(kind="timeout_after", times=1)
    bank = gateway()
    with pytest.raises(BankUnavailable):
        bank.transfer_out(account_ref="m", amount=700, reference="", idempotency_key="t2")
    assert bank.transfer_status(idempotency_key="t2").status == "completed"
    again = bank.transfer_out(account_ref="m", amount=700, reference="", idempotency_key="t2")
    assert again.status == "completed" and SandboxTransfer.objects.count() == 1
