"""The wallet page: what it says about the citizen (shop, pending top-ups) and the policy's caps
comes with the wallet in one query, and follows every change."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from vouchers import selectors, services
from vouchers.tests.factories import UserFactory, approved_merchant, topped_up
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


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def _posting(posting) -> tuple:
    programme = posting.account.programme
    return (
        _fields(posting),
        _fields(posting.transaction),
        _fields(posting.account),
        programme and {**_fields(programme), "eligible_categories": programme.eligible_categories},
    )


def _payment(payment) -> tuple:
    return _fields(payment), _fields(payment.merchant), _fields(payment.journal)


def test_the_first_pages_statements_give_the_querysets_rows(citizen, pool):
    # Given a citizen with a grant, a top-up and payments (cashback both ways), at two shops,
    # and another citizen's payments
    programme = services.programme_create(
        name="Fishermen's relief",
        amount=30_000,
        eligible_categories=["grocery"],  # not the shops': the payments earn cashback
        valid_until=timezone.now() + timedelta(days=30),
    )
    services.grants_award_csv(programme=programme, text="email\nminji@example.kr\n")
    topped_up(citizen, 120_000)
    shops = [approved_merchant(owner=UserFactory(), name=f"Shop {n}") for n in range(2)]
    for n in range(24):
        services.payment_create(payer=citizen, merchant_code=shops[n % 2].code, amount=1_000 + n)
    other = UserFactory(email="jisoo@example.kr")
    topped_up(other, 50_000)
    services.payment_create(payer=other, merchant_code=shops[0].code, amount=7_000)
    wallet = selectors.wallet_for(user=citizen)

    for limit in (1, 21, 100):
        # When the wallet page's first pages are read by their statements
        history = selectors.wallet_history_first(wallet=wallet, limit=limit)
        payments = selectors.payments_for_wallet_first(wallet=wallet, limit=limit)

        # Then they are the querysets' rows, in their order, with the same related rows
        expected = list(selectors.wallet_history(wallet=wallet)[:limit])
        assert [_posting(p) for p in history] == [_posting(p) for p in expected]
        expected_payments = list(
            selectors.payments_for_wallet(wallet=wallet).order_by("-pk")[:limit]
        )
        assert [_payment(p) for p in payments] == [_payment(p) for p in expected_payments]
    assert len(selectors.wallet_history_first(wallet=wallet, limit=100)) > 21
    assert any(p.account.programme == programme for p in history)
    assert [p.amount for p in payments][:2] == [1_023, 1_022]
    assert selectors.wallet_history_first(wallet=None, limit=21) == []
    assert selectors.payments_for_wallet_first(wallet=None, limit=11) == []


def test_the_history_names_the_accounts_as_their_kinds_in_both_languages(client, citizen, pool):
    topped_up(citizen, 10_000)
    client.force_login(citizen)
    english = client.get(reverse("vouchers:home")).content.decode()
    korean_citizen = UserFactory(preferred_language="ko")
    topped_up(korean_citizen, 10_000)
    client.force_login(korean_citizen)
    korean = client.get(reverse("vouchers:home"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    account = selectors.wallet_history(wallet=selectors.wallet_for(user=citizen)).first().account
    with translation.override("ko"):
        shown = account.get_kind_display()
    with translation.override("en"):
        assert account.get_kind_display() == "Wallet cash" != shown
    assert "<td>Wallet cash</td>" in english and f"<td>{shown}</td>" in korean


def test_the_wallet_page_is_the_same_from_its_statements_as_from_the_querysets(
    client, citizen, pool
):
    # Given a citizen whose history and payments both run past their first page
    topped_up(citizen, 120_000)
    shop = approved_merchant(owner=UserFactory(), name="Shop")
    for n in range(12):
        services.payment_create(payer=citizen, merchant_code=shop.code, amount=1_000 + n)
    client.force_login(citizen)
    url = reverse("vouchers:home")

    # When the first pages are shown from the prepared statements ("1") and from the querysets
    # (Paginator reads "01" as page 1 too)
    statements = client.get(url, {"page": "1", "payments_page": "1"}).content.decode()
    querysets = client.get(url, {"page": "01", "payments_page": "01"}).content.decode()

    # Then the pages are the same (but for the masked CSRF tokens and the page numbers in links)
    def same(html):
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", html).replace("=01", "=1")

    assert "1–10 of 12" in statements and "Receipt" in statements
    assert same(querysets) == same(statements)
