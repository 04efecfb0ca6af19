"""Top-ups left pending by the bank: the citizen sees theirs (and only theirs), staff see them
in the admin, and reconciliation against the bank credits or fails each exactly once."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from busanhub.bank.models import SandboxTransfer
from busanhub.bank.sandbox import sandbox_fault_add
from vouchers import selectors, services, tasks
from vouchers.models import Posting, TopUp
from vouchers.services.reconcile import GIVE_UP_AFTER, RECONCILE_AFTER
from vouchers.tests.factories import StaffFactory, UserFactory, verified_link

pytestmark = pytest.mark.django_db


def cash(user) -> int:
    return selectors.wallet_balances(wallet=selectors.wallet_for(user=user))["cash"]


def pending_topup(user, amount: int, *, kind: str) -> TopUp:
    """A top-up the bank did not answer about (`timeout`: it never took it; `timeout_after`:
    it made the transfer but the answer was lost)."""
    link = verified_link(user)
    sandbox_fault_add(kind=kind, account_ref=link.account_ref)
    topup = services.topup_create(user=user, bank_link=link, amount=amount)
    assert topup.status == TopUp.Status.PENDING and cash(user) == 0
    return topup


def age(topup: TopUp, by: timedelta) -> None:
    TopUp.objects.filter(pk=topup.pk).update(created_at=timezone.now() - by)


def transfers_in() -> int:
    return SandboxTransfer.objects.filter(direction="in").count()


@pytest.fixture
def staff(db):
    return StaffFactory(roles=["staff-vouchers"], preferred_language="en")


def test_the_citizen_sees_a_pending_topup_and_never_anothers(client, citizen):
    mine = pending_topup(citizen, 20_000, kind="timeout")
    other = UserFactory(email="jisoo@example.kr")
    theirs = pending_topup(other, 7_777, kind="timeout")
    client.force_login(citizen)
    page = client.get(reverse("vouchers:topups")).content.decode()
    assert "20,000 KRW" in page and "Waiting for the bank" in page
    assert "7,777" not in page and theirs.bank_link.account_ref[-4:] not in page
    home = client.get(reverse("vouchers:home")).content.decode()
    assert 'data-testid="pending-topups"' in home and "One top-up is waiting for the bank." in home
    api = APIClient()
    api.force_authenticate(citizen)
    listed = api.get(reverse("vouchers-api:topups")).json()
    assert [(row["id"], row["status"]) for row in listed] == [(str(mine.public_id), "pending")]


def test_the_topup_form_lands_on_the_topups_page_when_the_bank_is_silent(client, citizen):
    link = verified_link(citizen)
    sandbox_fault_add(kind="timeout", account_ref=link.account_ref)
    client.force_login(citizen)
    response = client.post(
        reverse("vouchers:topup"), {"amount": 3_000, "bank_account": str(link.public_id)}
    )
    assert response["Location"] == reverse("vouchers:topups")
    assert TopUp.objects.get().status == TopUp.Status.PENDING


def test_reconcile_credits_a_transfer_the_bank_made_without_a_second_one(citizen):
    topup = pending_topup(citizen, 20_000, kind="timeout_after")
    age(topup, RECONCILE_AFTER + timedelta(minutes=1))
    assert transfers_in() == 1
    # when the periodic task runs (twice: idempotent)
    counts = tasks.topups_reconcile()
    assert tasks.topups_reconcile() == {"pending": 0, "completed": 0, "declined": 0}
    # then
    assert counts == {"pending": 0, "completed": 1, "declined": 0}
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.COMPLETED and topup.journal is not None
    assert cash(citizen) == 20_000 and transfers_in() == 1


def test_reconcile_asks_again_with_the_same_key_when_the_bank_never_took_it(citizen):
    topup = pending_topup(citizen, 5_000, kind="timeout")
    age(topup, RECONCILE_AFTER + timedelta(minutes=1))
    assert transfers_in() == 0
    assert services.topup_reconcile(topup_pk=topup.pk).status == TopUp.Status.COMPLETED
    transfer = SandboxTransfer.objects.get(direction="in")
    assert transfer.idempotency_key == topup.bank_idempotency_key
    assert cash(citizen) == 5_000


def test_reconcile_gives_up_a_day_old_topup_the_bank_never_took(citizen):
    topup = pending_topup(citizen, 5_000, kind="timeout")
    age(topup, GIVE_UP_AFTER + timedelta(minutes=1))
    assert tasks.topups_reconcile() == {"pending": 0, "completed": 0, "declined": 1}
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.DECLINED
    assert transfers_in() == 0 and cash(citizen) == 0
    assert not Posting.objects.filter(transaction__kind="topup").exists()


def test_reconcile_leaves_young_ones_to_their_task_and_silent_banks_pending(citizen):
    young = pending_topup(citizen, 1_000, kind="timeout")
    assert tasks.topups_reconcile() == {"pending": 0, "completed": 0, "declined": 0}
    age(young, RECONCILE_AFTER + timedelta(minutes=1))
    sandbox_fault_add(kind="timeout", account_ref=young.bank_link.account_ref)
    assert tasks.topups_reconcile() == {"pending": 1, "completed": 0, "declined": 0}
    young.refresh_from_db()
    assert young.status == TopUp.Status.PENDING and cash(citizen) == 0


def test_staff_see_pending_topups_and_reconcile_them_in_the_admin(client, staff, citizen):
    topup = pending_topup(citizen, 9_000, kind="timeout_after")
    client.force_login(staff)
    url = reverse("admin:vouchers_topup_changelist")
    listed = client.get(url, {"status__exact": "pending"})
    assert listed.status_code == 200 and str(topup.public_id) in listed.content.decode()
    done = client.post(url, {"action": "reconcile", "_selected_action": [topup.pk]})
    assert done.status_code == 302
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.COMPLETED and cash(citizen) == 9_000
    assert transfers_in() == 1
    shown = [str(m) for m in get_messages(done.wsgi_request)]
    assert shown == ["Reconciled 1 top-ups with the bank."]


def test_admin_reconcile_reports_a_bank_still_silent(client, staff, citizen):
    topup = pending_topup(citizen, 9_000, kind="timeout")
    # the status lookup itself cannot fail in the sandbox, but the new transfer times out
    sandbox_fault_add(kind="timeout", account_ref=topup.bank_link.account_ref)
    client.force_login(staff)
    done = client.post(
        reverse("admin:vouchers_topup_changelist"),
        {"action": "reconcile", "_selected_action": [topup.pk]},
    )
    shown = [str(m) for m in get_messages(done.wsgi_request)]
    assert shown == [f"{topup}: The bank still does not answer; try again later."]
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PENDING and cash(citizen) == 0


def test_an_auditor_sees_topups_but_cannot_reconcile(client, citizen):
    topup = pending_topup(citizen, 2_000, kind="timeout_after")
    client.force_login(StaffFactory(roles=["auditor"]))
    url = reverse("admin:vouchers_topup_changelist")
    assert client.get(url).status_code == 200
    client.post(url, {"action": "reconcile", "_selected_action": [topup.pk]})
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PENDING and cash(citizen) == 0
