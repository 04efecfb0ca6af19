"""Gifts by email answer the same whether or not the address has an account: money for an
address that cannot receive it now is held, delivered to whoever verifies that address, or
returned to the sender after 30 days."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from vouchers import selectors, services
from vouchers.models import Account, Gift
from vouchers.tests.factories import UserFactory, topped_up

pytestmark = pytest.mark.django_db


def cash(user) -> int:
    return selectors.wallet_balances(wallet=selectors.wallet_for(user=user))["cash"]


def held() -> int:
    account = Account.objects.filter(kind=Account.Kind.GIFT_HOLD).first()
    return account.balance if account else 0


def assert_ledger_sound():
    totals = selectors.ledger_totals()
    assert (totals["sum"], totals["mismatched"], totals["negative"]) == (0, [], 0)


@pytest.fixture
def api(citizen):
    client = APIClient()
    client.force_authenticate(citizen)
    return client


def shape(response) -> tuple:
    body = response.json()
    return response.status_code, tuple(sorted(body)), body["amount"], body["message"]


def test_api_answers_the_same_for_a_user_a_frozen_user_and_an_unknown_address(api, citizen):
    # given
    UserFactory(email="friend@example.kr")
    frozen = UserFactory(email="frozen@example.kr")
    services.wallet_freeze(wallet=services.wallet_open(user=frozen), reason="fraud check")
    topped_up(citizen, 30_000)
    url = reverse("vouchers-api:gifts")
    # when
    answers = [
        api.post(url, {"recipient": email, "amount": 5_000, "message": "hi"}, format="json")
        for email in ("friend@example.kr", "frozen@example.kr", "ghost@example.kr")
    ]
    # then: same status and body shape; the sender's cash went down the same way
    assert {shape(answer) for answer in answers} == {
        (201, ("amount", "created_at", "digest", "id", "message"), 5_000, "hi")
    }
    assert cash(citizen) == 15_000
    assert held() == 10_000
    assert_ledger_sound()


def test_web_form_answers_the_same_for_a_user_and_an_unknown_address(client, citizen):
    UserFactory(email="friend@example.kr")
    topped_up(citizen, 10_000)
    client.force_login(citizen)
    pages = [
        client.post(
            reverse("vouchers:gift"), {"recipient": email, "amount": 1_000}, follow=True
        ).content.decode()
        for email in ("friend@example.kr", "ghost@example.kr")
    ]
    assert all("If the address has no BusanHub account" in page for page in pages)


def test_a_held_gift_reaches_whoever_verifies_the_address_and_only_them(citizen):
    # given: a gift to an address with no account
    topped_up(citizen, 10_000)
    gift = services.gift_send(sender=citizen, recipient_email="New@Example.kr", amount=4_000)
    assert (gift.status, gift.recipient, held()) == (Gift.Status.PENDING, None, 4_000)
    # when someone signs up with it but has not verified it
    newcomer = UserFactory(email="new@example.kr", verified_email=False)
    EmailAddress.objects.create(user=newcomer, email=newcomer.email, verified=False)
    assert services.gifts_deliver_pending() == {"delivered": 0, "returned": 0, "pending": 1}
    assert held() == 4_000
    # when they verify it
    EmailAddress.objects.filter(user=newcomer).update(verified=True)
    counts = services.gifts_deliver_pending()
    # then
    gift.refresh_from_db()
    assert counts == {"delivered": 1, "returned": 0, "pending": 0}
    assert gift.status == Gift.Status.DELIVERED and gift.recipient.user == newcomer
    assert (cash(newcomer), cash(citizen), held()) == (4_000, 6_000, 0)
    # a re-run changes nothing
    assert services.gifts_deliver_pending() == {"delivered": 0, "returned": 0, "pending": 0}
    assert cash(newcomer) == 4_000
    assert_ledger_sound()


def test_a_gift_to_a_frozen_wallet_waits_until_it_is_unfrozen(citizen):
    friend = UserFactory(email="friend@example.kr")
    wallet = services.wallet_freeze(wallet=services.wallet_open(user=friend), reason="check")
    topped_up(citizen, 10_000)
    services.gift_send(sender=citizen, recipient_email=friend.email, amount=3_000)
    assert services.gifts_deliver_pending()["pending"] == 1 and cash(friend) == 0
    services.wallet_unfreeze(wallet=wallet, reason="cleared")
    assert services.gifts_deliver_pending()["delivered"] == 1
    assert (cash(friend), held()) == (3_000, 0)


def test_an_unclaimed_gift_goes_back_to_the_sender_after_30_days(citizen):
    # given
    topped_up(citizen, 10_000)
    gift = services.gift_send(sender=citizen, recipient_email="ghost@example.kr", amount=2_500)
    assert cash(citizen) == 7_500
    # when: 29 days later nothing moves, 30 days later it is returned
    later = timezone.now() + timedelta(days=29)
    assert services.gifts_deliver_pending(now=later)["pending"] == 1
    counts = services.gifts_deliver_pending(now=timezone.now() + timedelta(days=30, seconds=1))
    # then
    gift.refresh_from_db()
    assert counts["returned"] == 1 and gift.status == Gift.Status.RETURNED
    assert (cash(citizen), held()) == (10_000, 0)
    # signing up afterwards gets nothing
    UserFactory(email="ghost@example.kr")
    assert services.gifts_deliver_pending() == {"delivered": 0, "returned": 0, "pending": 0}
    assert cash(citizen) == 10_000
    assert_ledger_sound()


def test_held_gifts_are_delivered_by_a_scheduled_task(citizen):
    from django_celery_beat.models import PeriodicTask

    from vouchers import tasks

    assert PeriodicTask.objects.get(task="vouchers.tasks.gifts_deliver_pending").enabled
    topped_up(citizen, 1_000)
    services.gift_send(sender=citizen, recipient_email="later@example.kr", amount=1_000)
    later = UserFactory(email="later@example.kr")
    assert tasks.gifts_deliver_pending() == {"delivered": 1, "returned": 0, "pending": 0}
    assert cash(later) == 1_000
