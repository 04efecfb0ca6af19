"""Staff retry of a settlement the bank declined or did not answer about: reconciled with the
bank first (never paid twice), idempotent, audited, and shown on the merchant's dashboard."""

import threading

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from busanhub.bank.gateway import BankUnavailable
from busanhub.bank.models import SandboxTransfer
from busanhub.bank.sandbox import sandbox_fault_add
from vouchers import services
from vouchers.models import Account, Settlement, SettlementAttempt
from vouchers.services.settlement import settlement_bank_key
from vouchers.tests.factories import StaffFactory, approved_merchant, fund_pool, topped_up

pytestmark = pytest.mark.django_db


def settle(citizen, merchant, amount: int) -> Settlement:
    topped_up(citizen, amount)
    services.payment_create(payer=citizen, merchant_code=merchant.code, amount=amount)
    return services.settlement_create(merchant=merchant, business_date=timezone.localdate())


def paid_out(merchant) -> list[SandboxTransfer]:
    return list(
        SandboxTransfer.objects.filter(
            direction="out", account_ref=merchant.bank_account_ref, status="completed"
        )
    )


def clearing() -> int:
    return services.system_account(Account.Kind.CLEARING).balance


@pytest.fixture
def staff(db):
    return StaffFactory(roles=["staff-vouchers"], preferred_language="en")


@pytest.fixture
def declined(citizen, merchant):
    settlement = settle(citizen, merchant, 8_000)
    sandbox_fault_add(kind="decline", account_ref=merchant.bank_account_ref)
    assert services.settlement_pay(settlement_pk=settlement.pk).status == "failed"
    assert clearing() == 8_000
    return settlement


def test_retry_of_a_declined_settlement_pays_once_under_a_new_key(declined, merchant, staff):
    # when staff retry with a reason
    attempt = services.settlement_retry(settlement=declined, reason="account reopened", by=staff)
    # then it is paid with the next attempt's key, and the retry is on record
    declined.refresh_from_db()
    assert (declined.status, declined.attempt) == ("paid", 1)
    [transfer] = paid_out(merchant)
    assert transfer.amount == 8_000
    assert transfer.idempotency_key == f"{declined.bank_idempotency_key}-retry-1"
    assert declined.transfer_id == transfer.transfer_id and clearing() == 0
    assert (attempt.by, attempt.reason, attempt.outcome, attempt.attempt) == (
        staff,
        "account reopened",
        "paid",
        1,
    )
    # a retry of a paid settlement is a no-op (audited as such)
    again = services.settlement_retry(settlement=declined, reason="double click", by=staff)
    assert again.outcome == SettlementAttempt.Outcome.UNCHANGED
    assert len(paid_out(merchant)) == 1 and clearing() == 0
    assert SettlementAttempt.objects.filter(settlement=declined).count() == 2


def test_retry_needs_a_reason_and_changes_nothing_without_one(declined, staff):
    with pytest.raises(ValidationError) as refused:
        services.settlement_retry(settlement=declined, reason="  ", by=staff)
    assert refused.value.message_dict == {"reason": ["Give the reason for retrying the payment."]}
    declined.refresh_from_db()
    assert (declined.status, declined.attempt) == ("failed", 0)
    assert not SettlementAttempt.objects.exists() and clearing() == 8_000


def test_declined_again_stays_failed_with_the_money_in_clearing(declined, merchant, staff):
    sandbox_fault_add(kind="decline", account_ref=merchant.bank_account_ref)
    attempt = services.settlement_retry(settlement=declined, reason="try again", by=staff)
    assert attempt.outcome == SettlementAttempt.Outcome.FAILED and attempt.attempt == 1
    declined.refresh_from_db()
    assert declined.status == "failed" and clearing() == 8_000 and paid_out(merchant) == []
    # the next retry takes the next key and pays
    assert services.settlement_retry(settlement=declined, reason="fixed", by=staff).outcome == (
        "paid"
    )
    declined.refresh_from_db()
    assert declined.attempt == 2 and len(paid_out(merchant)) == 1


def test_a_timeout_after_the_bank_paid_is_reconciled_not_paid_again(citizen, merchant, staff):
    settlement = settle(citizen, merchant, 6_000)
    sandbox_fault_add(kind="timeout_after", account_ref=merchant.bank_account_ref)
    with pytest.raises(BankUnavailable):
        services.settlement_pay(settlement_pk=settlement.pk)
    settlement.refresh_from_db()
    assert settlement.status == "pending" and len(paid_out(merchant)) == 1
    # when staff retry
    attempt = services.settlement_retry(settlement=settlement, reason="bank timeout", by=staff)
    # then the transfer the bank made is recorded; none is made again
    assert attempt.outcome == SettlementAttempt.Outcome.ALREADY_PAID
    settlement.refresh_from_db()
    assert settlement.status == "paid" and settlement.attempt == 0
    assert len(paid_out(merchant)) == 1 and clearing() == 0
    assert settlement.transfer_id == paid_out(merchant)[0].transfer_id


def test_a_timeout_before_the_bank_took_it_is_paid_with_the_same_key(citizen, merchant, staff):
    settlement = settle(citizen, merchant, 6_000)
    sandbox_fault_add(kind="timeout", account_ref=merchant.bank_account_ref)
    with pytest.raises(BankUnavailable):
        services.settlement_pay(settlement_pk=settlement.pk)
    assert paid_out(merchant) == []
    attempt = services.settlement_retry(settlement=settlement, reason="bank timeout", by=staff)
    assert attempt.outcome == "paid"
    [transfer] = paid_out(merchant)
    assert transfer.idempotency_key == settlement_bank_key(settlement)
    assert clearing() == 0


def test_a_bank_still_silent_is_reported_and_audited(citizen, merchant, staff):
    settlement = settle(citizen, merchant, 6_000)
    sandbox_fault_add(kind="timeout", account_ref=merchant.bank_account_ref, times=2)
    with pytest.raises(BankUnavailable):
        services.settlement_pay(settlement_pk=settlement.pk)
    with pytest.raises(ValidationError) as refused:
        services.settlement_retry(settlement=settlement, reason="bank timeout", by=staff)
    assert list(refused.value.message_dict) == ["settlement"]
    assert SettlementAttempt.objects.get().outcome == SettlementAttempt.Outcome.PENDING
    settlement.refresh_from_db()
    assert settlement.status == "pending" and paid_out(merchant) == [] and clearing() == 6_000


def test_staff_retry_in_the_admin_and_the_dashboard_shows_the_status(
    client, declined, merchant, staff
):
    client.force_login(merchant.owner)
    dashboard = reverse("vouchers:merchant-dashboard", args=[merchant.code])
    page = client.get(dashboard).content.decode()
    assert "Declined by the bank — city staff will retry the payment" in page
    client.force_login(staff)
    url = reverse("admin:vouchers_settlement_changelist")
    listed = client.get(url, {"status__exact": "failed"})
    assert listed.status_code == 200 and merchant.code in listed.content.decode()
    # without a reason: refused, nothing changes
    refused = client.post(url, {"action": "retry", "_selected_action": [declined.pk]})
    assert [str(m) for m in get_messages(refused.wsgi_request)] == [
        f"{declined}: Give the reason for retrying the payment."
    ]
    declined.refresh_from_db()
    assert declined.status == "failed"
    done = client.post(
        url, {"action": "retry", "_selected_action": [declined.pk], "reason": "account reopened"}
    )
    # (the refusal above is still in the session's messages)
    assert [str(m) for m in get_messages(done.wsgi_request)][-1] == (
        "Retried 1 settlements: paid or already paid."
    )
    declined.refresh_from_db()
    assert declined.status == "paid" and len(paid_out(merchant)) == 1
    change = client.get(reverse("admin:vouchers_settlement_change", args=[declined.pk]))
    assert change.status_code == 200 and "account reopened" in change.content.decode()
    client.force_login(merchant.owner)
    page = client.get(dashboard).content.decode()
    assert "city staff will retry" not in page and ">Paid<" in page.replace(" ", "")


def test_admin_reports_a_second_decline(client, declined, merchant, staff):
    sandbox_fault_add(kind="decline", account_ref=merchant.bank_account_ref)
    client.force_login(staff)
    done = client.post(
        reverse("admin:vouchers_settlement_changelist"),
        {"action": "retry", "_selected_action": [declined.pk], "reason": "once more"},
    )
    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        f"{declined}: The bank declined the payment again."
    ]
    assert SettlementAttempt.objects.get().outcome == "failed"


def test_an_auditor_cannot_retry(client, declined, merchant):
    client.force_login(StaffFactory(roles=["auditor"]))
    url = reverse("admin:vouchers_settlement_changelist")
    assert client.get(url).status_code == 200
    client.post(url, {"action": "retry", "_selected_action": [declined.pk], "reason": "x"})
    declined.refresh_from_db()
    assert declined.status == "failed" and paid_out(merchant) == []
    assert not SettlementAttempt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_pay_once():
    from vouchers.tests.factories import UserFactory

    fund_pool()
    citizen = UserFactory(email="minji@example.kr")
    merchant = approved_merchant(owner=UserFactory(email="shop@example.kr"))
    staff = StaffFactory(roles=["staff-vouchers"])
    settlement = settle(citizen, merchant, 4_000)
    sandbox_fault_add(kind="decline", account_ref=merchant.bank_account_ref)
    services.settlement_pay(settlement_pk=settlement.pk)
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def retry():
        try:
            barrier.wait()
            outcomes.append(
                services.settlement_retry(settlement=settlement, reason="race", by=staff).outcome
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    settlement.refresh_from_db()
    assert settlement.status == "paid" and len(paid_out(merchant)) == 1
    assert clearing() == 0
    assert len(outcomes) == 4 and "paid" in outcomes
    assert set(outcomes) <= {"already_paid", "paid", "unchanged"}
