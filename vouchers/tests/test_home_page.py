"""The wallet page: what it says about the citizen (shop, pending top-ups) and the policy's caps
comes with the wallet in one query, and follows every change."""

import pytest
from django.urls import reverse

from vouchers import services
from vouchers.tests.factories import UserFactory
from vouchers.tests.test_features_topups import pending_topup

pytestmark = pytest.mark.django_db


def test_the_wallet_page_follows_the_policy_the_shop_and_pending_topups(client, citizen, pool):
    # Given a citizen with a wallet, no shop, no pending top-up, the default policy
    services.wallet_open(user=citizen)
    client.force_login(citizen)
    url = reverse("vouchers:home")
    before = client.get(url).content.decode()
    assert "Up to 500,000 KRW a month; a wallet holds at most 1,500,000 KRW." in before
    assert "Register your shop" in before and "My shop" not in before
    assert 'data-testid="pending-topups"' not in before

    # When a new policy is published, two of the citizen's top-ups wait for the bank and
    # another citizen's one does too
    services.policy_publish(monthly_topup_cap=300_000, holding_cap=1_000_000)
    pending_topup(citizen, 10_000, kind="timeout")
    pending_topup(citizen, 20_000, kind="timeout")
    pending_topup(UserFactory(email="jisoo@example.kr"), 7_000, kind="timeout")

    # Then the page shows the new caps, and two pending top-ups (not the other citizen's)
    after = client.get(url).content.decode()
    assert "Up to 300,000 KRW a month; a wallet holds at most 1,000,000 KRW." in after
    assert "2 top-ups are waiting for the bank." in after


def test_a_shop_owner_sees_my_shop(client, merchant):
    services.wallet_open(user=merchant.owner)
    client.force_login(merchant.owner)
    page = client.get(reverse("vouchers:home")).content.decode()
    assert "My shop" in page and "Register your shop" not in page


def test_the_wallet_page_queries(client, citizen, django_assert_max_num_queries):
    # Given a citizen with a wallet and a pending top-up, who has opened a page before
    services.wallet_open(user=citizen)
    pending_topup(citizen, 10_000, kind="timeout")
    client.force_login(citizen)
    client.get(reverse("vouchers:home"))

    # When the wallet page is shown: session, user, the wallet with its shop, pending top-ups
    # and caps, the history, the bank links, the accounts, the payments
    with django_assert_max_num_queries(7):
        response = client.get(reverse("vouchers:home"))
    assert response.status_code == 200
    assert "One top-up is waiting for the bank." in response.content.decode()
