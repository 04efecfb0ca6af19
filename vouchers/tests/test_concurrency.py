"""Real concurrent threads on PostgreSQL: row locks, unique keys and the ledger triggers."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from busanhub.testing import run_threads
from vouchers import selectors, services
from vouchers.models import Account, JournalTransaction, Payment, Posting
from vouchers.tests.factories import UserFactory, approved_merchant, fund_pool, topped_up

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_simultaneous_payments_against_a_wallet_that_affords_ten():
    fund_pool()
    merchant = approved_merchant()
    payer = UserFactory()
    topped_up(payer, 10_000)

    def pay(_index):
        return services.payment_create(payer=payer, merchant_code=merchant.code, amount=1_000)

    results = run_threads(50, pay)
    succeeded = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if not isinstance(r, Payment)]
    assert len(succeeded) == 10
    assert len(refused) == 40
    assert all("Insufficient balance" in str(r) for r in refused)
    balances = selectors.wallet_balances(wallet=selectors.wallet_for(user=payer))
    assert balances["total"] == 0
    totals = selectors.ledger_totals()
    assert totals["sum"] == 0 and totals["mismatched"] == [] and totals["negative"] == 0
    assert Payment.objects.count() == 10


def test_the_same_idempotency_key_sent_concurrently_makes_one_payment():
    fund_pool()
    merchant = approved_merchant()
    payer = UserFactory()
    topped_up(payer, 50_000)
    url = reverse("vouchers-api:payments")

    def post(_index):
        client = APIClient()
        client.force_authenticate(payer)
        return client.post(
            url,
            {"merchant": merchant.code, "amount": 1_000},
            format="json",
            HTTP_IDEMPOTENCY_KEY="same-key",
        ).status_code

    codes = run_threads(10, post)
    assert Payment.objects.count() == 1
    assert codes.count(201) >= 1 and set(codes) <= {201, 409}
    assert selectors.wallet_balances(wallet=selectors.wallet_for(user=payer))["cash"] == 49_000


def test_concurrent_gifts_both_ways_do_not_deadlock():
    alice, bob = UserFactory(), UserFactory()
    topped_up(alice, 20_000)
    topped_up(bob, 20_000)

    def gift(index):
        sender, recipient = (alice, bob) if index % 2 else (bob, alice)
        return services.gift_send(sender=sender, recipient_email=recipient.email, amount=1_000)

    results = run_threads(20, gift)
    assert not [r for r in results if isinstance(r, Exception)]
    total = sum(
        selectors.wallet_balances(wallet=selectors.wallet_for(user=u))["total"]
        for u in (alice, bob)
    )
    assert total == 40_000


def test_database_refuses_an_unbalanced_transaction_at_commit():
    treasury = services.system_account(Account.Kind.TREASURY)
    entry = JournalTransaction.objects.create(kind="funding", business_date="2026-01-01")
    with pytest.raises(IntegrityError, match="does not sum to zero"), transaction.atomic():
        Posting.objects.create(transaction=entry, account=treasury, amount=-5)
    assert not Posting.objects.exists()


def test_rewards_sent_concurrently_pay_once_per_key_and_keep_the_monthly_cap():
    # Given a citizen without a wallet yet
    citizen = UserFactory()

    def reward(index):
        return services.reward_credit(
            user=citizen,
            amount=1_000,
            source="safety.report",
            reference=f"report-{index % 10}",
            idempotency_key=f"safety.report:{index % 10}",  # every key sent three times
            monthly_cap=5_000,
        )

    # When thirty rewards arrive at once for ten reports
    results = run_threads(30, reward)

    # Then no call failed, each key was paid at most once, and the cap held
    assert not [r for r in results if isinstance(r, Exception)]
    assert len({r.pk for r in results}) == 10
    assert sorted(r.amount for r in {r.pk: r for r in results}.values()) == [0] * 5 + [1_000] * 5
    assert selectors.wallet_balances(wallet=selectors.wallet_for(user=citizen))["total"] == 5_000
    assert JournalTransaction.objects.filter(kind="reward").count() == 5
    totals = selectors.ledger_totals()
    assert (
        totals["sum"] == 0 and totals["mismatched"] == [] and totals["unbalanced_transactions"] == 0
    )


def test_a_wallet_opened_by_many_calls_at_once_is_one_wallet_with_two_accounts():
    # Given a citizen without a wallet yet
    citizen = UserFactory()

    # When twenty calls open their wallet at the same moment
    results = run_threads(20, lambda _index: services.wallet_open(user=citizen))

    # Then every call got the same wallet, and it has exactly its two accounts
    assert not [r for r in results if isinstance(r, Exception)]
    assert len({wallet.pk for wallet in results}) == 1
    assert Account.objects.filter(wallet_id=results[0].pk).count() == 2
