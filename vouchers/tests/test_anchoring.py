"""Journal transactions and daily closes end up anchored on a real chain (anvil)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from busanhub.chain import services as chain_services
from busanhub.chain import testing as chain_testing
from vouchers import services
from vouchers.tests.factories import topped_up


@pytest.fixture
def anchored(chain):
    def seal_submit_confirm():
        chain_testing.anchor_pending()

    return seal_submit_confirm


def test_payment_and_daily_close_get_receipts(anchored, citizen, merchant, client):
    topped_up(citizen, 10_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=2_000)
    close = services.day_close(business_date=timezone.localdate())
    anchored()
    receipt = chain_services.receipt_for(payment.journal.digest)
    assert receipt["record"] == {
        "kind": "vouchers.journal",
        "ref": str(payment.journal.public_id),
        "version": 1,
    }
    assert "envelope" not in receipt  # account ids and amounts stay in the database
    day = chain_services.receipt_for(close.digest)
    assert day["envelope"]["data"]["journalDigest"] == close.journal_digest
    response = client.get(
        reverse("chain:verify-digest", args=[payment.journal.digest]),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
