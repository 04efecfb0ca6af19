"""What a payment writes (one prepared statement): every row
as the service returns it, the journal's anchor leaf as `anchor_record_new` would write it,
the grant shares and the monthly cashback counter, also when the cashback account's lines
net to zero."""

from datetime import timedelta

import pytest
from django.utils import timezone

from busanhub.chain import services as chain_services
from busanhub.chain.models import AnchorLeaf
from vouchers import selectors, services
from vouchers.models import Account, Payment, PaymentGrantShare, Posting
from vouchers.services.periods import month_start
from vouchers.tests.factories import approved_merchant, topped_up

pytestmark = pytest.mark.django_db

COLUMNS = [
    "public_id", "wallet_id", "merchant_id", "request_id", "amount", "from_grants",
    "from_cashback", "from_cash", "cashback", "refunded", "cashback_reversed",
    "returned_cash", "returned_cashback", "journal_id", "created_at",
]  # fmt: skip


def row(payment: Payment) -> dict:
    return {column: getattr(payment, column) for column in COLUMNS}


def check_anchored(payment: Payment) -> None:
    """The journal's leaf is the one anchor_record_new writes for its postings."""
    journal = payment.journal
    leaf = AnchorLeaf.objects.get(kind="vouchers.journal", ref=str(journal.public_id))
    postings = Posting.objects.filter(transaction=journal).select_related("account")
    data = {
        "kind": "payment",
        "businessDate": journal.business_date.isoformat(),
        "postings": [
            {"account": str(posting.account.public_id), "amount": posting.amount}
            for posting in postings.order_by("account_id")
        ],
    }
    expected = chain_services.anchor_leaf_columns(
        kind="vouchers.journal", ref=str(journal.public_id), version=1, data=data
    )
    assert (leaf.digest, leaf.envelope, leaf.is_public, leaf.batch_id) == (
        expected["digest"],
        expected["envelope"],
        False,
        None,
    )
    assert journal.digest == leaf.digest
    assert sum(posting.amount for posting in postings) == 0


def test_a_payment_from_a_grant_cashback_and_cash_writes_every_row(resident, pool):
    # given a resident with a grant, cashback and cash
    market = approved_merchant(category="traditional_market")
    programme = services.programme_create(
        name="Relief",
        amount=3_000,
        eligible_categories=["traditional_market"],
        valid_until=timezone.now() + timedelta(days=30),
    )
    services.grants_award_csv(programme=programme, text=f"email\n{resident.email}\n")
    topped_up(resident, 20_000)
    first = services.payment_create(payer=resident, merchant_code=market.code, amount=5_000)
    assert (first.from_grants, first.from_cash, first.cashback) == (3_000, 2_000, 500)
    # when they pay again: cashback first, then cash, earning cashback again
    payment = services.payment_create(payer=resident, merchant_code=market.code, amount=4_000)
    # then the stored payment is the one returned, and every part of it is written
    stored = Payment.objects.get(pk=payment.pk)
    assert row(stored) == row(payment)
    assert (payment.from_grants, payment.from_cashback, payment.from_cash) == (0, 500, 3_500)
    assert payment.cashback == 400
    assert list(
        PaymentGrantShare.objects.filter(payment=first).values_list("amount", "returned")
    ) == [(3_000, 0)]
    assert not PaymentGrantShare.objects.filter(payment=payment).exists()
    check_anchored(first)
    check_anchored(payment)
    cashback = Account.objects.get(wallet__user=resident, kind="cashback")
    assert (cashback.balance, cashback.cashback_month, cashback.cashback_month_earned) == (
        400,
        month_start().date(),
        900,
    )
    assert selectors.ledger_totals()["unbalanced_transactions"] == 0


def test_the_monthly_counter_moves_when_the_cashback_account_nets_to_zero(resident, merchant):
    # given 100 KRW of cashback from a first payment
    topped_up(resident, 10_000)
    services.payment_create(payer=resident, merchant_code=merchant.code, amount=1_000)
    # when the next payment spends exactly the 100 and earns 100 back (no cashback posting)
    payment = services.payment_create(payer=resident, merchant_code=merchant.code, amount=1_000)
    assert (payment.from_cashback, payment.cashback) == (100, 100)
    assert not Posting.objects.filter(
        transaction=payment.journal, account__kind="cashback"
    ).exists()
    # then the counter counts both payments' cashback, and the balance stays 100
    cashback = Account.objects.get(wallet__user=resident, kind="cashback")
    assert (cashback.balance, cashback.cashback_month_earned) == (100, 200)
    assert Payment.objects.get(pk=payment.pk).cashback == 100
    check_anchored(payment)
