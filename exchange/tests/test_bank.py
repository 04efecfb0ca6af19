"""KRW through the platform bank gateway (the sandbox bank), including its failure modes."""

from busanhub.bank.models import SandboxTransfer
from busanhub.bank.sandbox import sandbox_fault_add
from exchange import selectors, services, tasks
from exchange.models import BankTransfer
from exchange.tests.factories import verified_link


def test_timeout_after_the_bank_took_it_is_booked_once_on_retry(market, alice):
    account = verified_link(alice)
    # Given the bank records the transfer but the answer times out
    sandbox_fault_add(kind="timeout_after")
    transfer = services.krw_deposit(user=alice, bank_link=account, amount=30_000)
    assert transfer.status == BankTransfer.Status.PENDING
    assert selectors.balances_for(user=alice) == {}
    # When the periodic task asks again (same idempotency key), twice
    assert tasks.settle_bank_transfers.apply().get() == 1
    assert tasks.settle_bank_transfers.apply().get() == 0
    # Then the deposit is credited once and the bank holds one transfer
    assert selectors.balances_for(user=alice)["KRW"]["available"] == 30_000
    assert SandboxTransfer.objects.filter(direction="in").count() == 1


def test_declined_deposit_credits_nothing(market, alice):
    account = verified_link(alice)
    sandbox_fault_add(kind="decline")
    transfer = services.krw_deposit(user=alice, bank_link=account, amount=30_000)
    assert transfer.status == BankTransfer.Status.FAILED
    assert selectors.balances_for(user=alice) == {
        "KRW": {"available": 0, "held": 0, "frozen": False}
    }


def test_withdrawal_timeout_keeps_the_hold_until_settled(market, alice, fund):
    fund(alice, market, krw=100_000)
    account = verified_link(alice)
    sandbox_fault_add(kind="timeout")
    transfer = services.krw_withdraw(user=alice, bank_link=account, amount=40_000)
    assert transfer.status == BankTransfer.Status.PENDING
    assert selectors.balances_for(user=alice)["KRW"] == {
        "available": 60_000,
        "held": 40_000,
        "frozen": False,
    }
    tasks.settle_bank_transfers.apply()
    transfer.refresh_from_db()
    assert transfer.status == BankTransfer.Status.COMPLETED
    assert selectors.balances_for(user=alice)["KRW"] == {
        "available": 60_000,
        "held": 0,
        "frozen": False,
    }
    assert selectors.ledger_matches_balances()
