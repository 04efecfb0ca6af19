"""Property test: whatever citizens try, every balance equals the sum of its postings, every
transaction sums to zero, and no wallet or merchant account goes negative."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vouchers import ledger, selectors, services
from vouchers.models import Payment
from vouchers.tests.factories import (
    UserFactory,
    approved_merchant,
    fund_pool,
    make_resident,
    verified_link,
)

pytestmark = pytest.mark.django_db

amounts = st.one_of(
    st.integers(min_value=-10, max_value=60_000),
    st.sampled_from([0, 1, 1.5, "100", True, None]),
)
operations = st.lists(
    st.tuples(
        st.sampled_from(["topup", "pay", "refund", "gift"]),
        st.integers(min_value=0, max_value=2),  # who
        amounts,
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture
def world(db):
    fund_pool(200_000)
    users = [UserFactory() for _ in range(3)]
    make_resident(users[0])
    shops = [approved_merchant(tier="small"), approved_merchant(tier="medium")]
    return users, shops


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_ledger_invariants_hold_under_any_sequence(world, steps):
    users, shops = world
    for action, who, amount in steps:
        user = users[who]
        try:
            if action == "topup":
                services.topup_create(user=user, bank_link=verified_link(user), amount=amount)
            elif action == "pay":
                services.payment_create(
                    payer=user, merchant_code=shops[who % 2].code, amount=amount
                )
            elif action == "refund":
                payment = Payment.objects.filter(wallet__user=user).order_by("-pk").first()
                if payment is not None:
                    services.refund_create(
                        payment=payment, amount=amount, by=payment.merchant.owner
                    )
            else:
                recipient = users[(who + 1) % 3]
                services.gift_send(sender=user, recipient_email=recipient.email, amount=amount)
        except ValidationError:
            pass
        totals = selectors.ledger_totals()
        assert totals["sum"] == 0
        assert totals["mismatched"] == []
        assert totals["negative"] == 0
        assert totals["unbalanced_transactions"] == 0


@given(
    amount=st.integers(min_value=1, max_value=10**9),
    grants=st.lists(st.integers(min_value=0, max_value=10**6), max_size=4),
    cashback=st.integers(min_value=0, max_value=10**6),
    cash=st.integers(min_value=0, max_value=10**9),
)
def test_split_payment_takes_exactly_the_amount_or_refuses(amount, grants, cashback, cash):
    keyed = list(enumerate(grants))
    try:
        parts, from_cashback, from_cash = ledger.split_payment(
            amount, grants=keyed, cashback=cashback, cash=cash
        )
    except ledger.LedgerError:
        assert amount > sum(grants) + cashback + cash
        return
    assert sum(p for _, p in parts) + from_cashback + from_cash == amount
    assert all(0 < p <= dict(keyed)[k] for k, p in parts)
    assert 0 <= from_cashback <= cashback and 0 <= from_cash <= cash


@given(
    amount=st.integers(min_value=1, max_value=10**7),
    rate=st.integers(min_value=0, max_value=10_000),
    cuts=st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=6),
)
def test_cashback_reversals_add_up_to_the_cashback_on_a_full_refund(amount, rate, cuts):
    cashback = amount * rate // 10_000
    refunded = reversed_total = 0
    for cut in [*cuts, amount]:
        refund = min(cut, amount - refunded)
        if refund <= 0:
            break
        step = ledger.cashback_reversal(
            cashback=cashback,
            amount=amount,
            refunded_before=refunded,
            refund=refund,
            reversed_before=reversed_total,
        )
        assert 0 <= step <= refund
        refunded += refund
        reversed_total += step
    assert refunded == amount and reversed_total == cashback
