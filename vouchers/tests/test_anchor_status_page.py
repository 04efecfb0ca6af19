"""A receipt shows its journal entry's anchoring state with the platform's component: pending
right after paying (never "verified" yet), verified with its block once confirmed."""

import re

import pytest
from django.urls import reverse

from busanhub.chain import testing as chain_testing
from vouchers import services
from vouchers.tests.factories import topped_up

CLAIMS = re.compile(r"\bverified\b|\banchored\b|검증됨|앵커링됨|앵커링되", re.I)


def main_of(html: str) -> str:
    return re.search(r"<main\b.*?</main>", html, re.S).group(0)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_receipt_not_yet_confirmed_never_says_verified(client, citizen, merchant, language):
    topped_up(citizen, 10_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=3_000)
    client.force_login(citizen)
    page = client.get(
        reverse("vouchers:receipt", args=[payment.public_id]), HTTP_ACCEPT_LANGUAGE=language
    )
    main = main_of(page.content.decode())
    assert 'data-anchor-state="pending"' in main
    assert f'href="/verify/{payment.journal.digest}" data-testid="verify-link"' in main
    assert not CLAIMS.search(main), CLAIMS.search(main)


def test_a_confirmed_receipt_says_verified(client, citizen, merchant, chain):
    topped_up(citizen, 10_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=3_000)
    chain_testing.anchor_pending()
    client.force_login(citizen)
    main = main_of(
        client.get(reverse("vouchers:receipt", args=[payment.public_id])).content.decode()
    )
    assert 'data-anchor-state="anchored"' in main and 'data-anchor-state="pending"' not in main
    assert "Verified on chain" in main  # the citizen's preferred language is English
