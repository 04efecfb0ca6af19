"""The PL/pgSQL payment (vouchers_payment_pay) against its specification, the pure
vouchers.ledger, and against busanhub.chain's digest: the same cases run through both."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from busanhub.chain.models import AnchorLeaf
from busanhub.chain.services import anchor_leaf_columns
from vouchers import ledger, selectors, services
from vouchers.models import Account, Payment, PaymentGrantShare, Posting
from vouchers.tests.factories import UserFactory, approved_merchant, topped_up

pytestmark = pytest.mark.django_db


def holdings(user) -> dict:
    accounts = Account.objects.filter(wallet__user=user)
    return {
        "cash": accounts.get(kind="cash").balance,
        "cashback": accounts.get(kind="cashback").balance,
        "grants": [
            (account.pk, account.balance)
            for account in accounts.filter(kind="grant", balance__gt=0).order_by(
                "programme__valid_until", "pk"
            )
        ],
        "earned": accounts.get(kind="cashback").cashback_month_earned,
    }


def python_leaf(payment: Payment) -> dict:
    """The anchor leaf busanhub.chain makes of the payment's journal transaction."""
    entry = payment.journal
    postings = Posting.objects.filter(transaction=entry).order_by("account_id")
    data = {
        "kind": "payment",
        "businessDate": entry.business_date.isoformat(),
        "postings": [
            {"account": str(posting.account.public_id), "amount": posting.amount}
            for posting in postings
        ],
    }
    return anchor_leaf_columns(
        kind="vouchers.journal", ref=str(entry.public_id), version=1, data=data
    )


def test_payments_split_earn_and_anchor_as_the_ledger_and_the_chain_say(resident):
    # Given a resident with cash, two grants expiring at different times (the later one
    # created first), a small shop where both grants may be spent, and a monthly cashback cap
    # that the payments reach
    services.policy_publish(monthly_cashback_cap=3_000)
    market = approved_merchant(
        owner=UserFactory(email="market@example.kr"), category="traditional_market"
    )
    for days, amount in ((60, 7_000), (10, 3_000)):
        programme = services.programme_create(
            name=f"Relief {days}",
            amount=amount,
            eligible_categories=["traditional_market"],
            valid_until=timezone.now() + timedelta(days=days),
        )
        services.grants_award_csv(programme=programme, text="email\nminji@example.kr\n")
    topped_up(resident, 200_000)
    policy = services.policy_current()
    rng = random.Random(7)
    for _ in range(20):
        before = holdings(resident)
        amount = rng.choice([rng.randint(1, 900), rng.randint(1_000, 9_000)])
        parts, from_cashback, from_cash = ledger.split_payment(
            amount, grants=before["grants"], cashback=before["cashback"], cash=before["cash"]
        )
        cashback = ledger.cashback_for(
            amount,
            rate_bp=policy.cashback_small_bp,
            earned_this_month=before["earned"],
            monthly_cap=policy.monthly_cashback_cap,
            pool=selectors.pool_balance(),
        )
        # When the function pays
        payment = services.payment_create(payer=resident, merchant_code=market.code, amount=amount)
        # Then it split and earned exactly as the ledger says
        stored = Payment.objects.get(pk=payment.pk)
        assert (
            stored.from_grants,
            stored.from_cashback,
            stored.from_cash,
            stored.cashback,
        ) == (sum(part for _, part in parts), from_cashback, from_cash, cashback)
        shares = PaymentGrantShare.objects.filter(payment=stored).order_by("pk")
        assert [(share.account_id, share.amount) for share in shares] == parts
        after = holdings(resident)
        assert after["cash"] == before["cash"] - from_cash
        assert after["cashback"] == before["cashback"] - from_cashback + cashback
        # and its anchor leaf is the one busanhub.chain makes of the same postings
        leaf = AnchorLeaf.objects.get(kind="vouchers.journal", ref=str(stored.journal.public_id))
        expected = python_leaf(stored)
        assert (leaf.digest, leaf.envelope) == (expected["digest"], expected["envelope"])
        assert stored.journal.digest == payment.journal.digest == expected["digest"]
    assert selectors.ledger_totals()["unbalanced_transactions"] == 0
