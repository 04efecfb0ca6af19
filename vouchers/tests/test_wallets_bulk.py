"""`wallets_open`: many voucher wallets in one call, with the same rules as `wallet_open`."""

import pytest
from django.core.exceptions import ValidationError

from vouchers import services
from vouchers.models import Account, Wallet
from vouchers.tests.factories import UserFactory, approved_merchant, topped_up

pytestmark = pytest.mark.django_db


def rows(wallet: Wallet) -> tuple:
    """What a wallet is, without its own random ids: flags and its accounts."""
    stored = Wallet.objects.get(pk=wallet.pk)
    accounts = sorted(
        Account.objects.filter(wallet=stored).values_list(
            "kind", "balance", "shard", "programme_id", "cashback_month"
        )
    )
    return (stored.is_frozen, stored.frozen_reason, accounts)


def test_bulk_and_single_make_the_same_rows():
    # Given two groups of users without wallets
    one_by_one = UserFactory.create_batch(3)
    in_bulk = UserFactory.create_batch(3)

    # When one group gets its wallets one by one and the other in one call
    singles = [services.wallet_open(user=user) for user in one_by_one]
    bulk = services.wallets_open(users=in_bulk)

    # Then both are one wallet per user, in the order asked, each with a cash and a
    # cashback account at zero, and the rows are alike field by field
    assert [wallet.user_id for wallet in bulk] == [user.pk for user in in_bulk]
    assert [rows(wallet) for wallet in bulk] == [rows(wallet) for wallet in singles]
    assert rows(bulk[0])[2] == [("cash", 0, 0, None, None), ("cashback", 0, 0, None, None)]
    assert Wallet.objects.count() == 6
    assert Account.objects.filter(wallet__isnull=False).count() == 12


def test_a_user_with_a_wallet_keeps_it_and_gets_no_second_account():
    # Given a user who has a wallet and one who has none
    old, new = UserFactory.create_batch(2)
    existing = services.wallet_open(user=old)

    # When both are opened in bulk, twice
    first = services.wallets_open(users=[old, new])
    again = services.wallets_open(users=[new, old])

    # Then the existing wallet is returned and the new one is made once, two accounts each
    assert first[0].pk == existing.pk
    assert [wallet.pk for wallet in again] == [first[1].pk, first[0].pk]
    assert Wallet.objects.count() == 2
    assert Account.objects.filter(wallet__isnull=False).count() == 4
    assert services.wallet_open(user=new).pk == first[1].pk


def test_a_user_given_twice_is_refused_and_nothing_is_written():
    # Given two users
    one, other = UserFactory.create_batch(2)

    # When one of them is given twice
    with pytest.raises(ValidationError) as excinfo:
        services.wallets_open(users=[one, other, one])

    # Then the call is refused with its code, and no wallet or account is made
    assert excinfo.value.error_dict["users"][0].code == "duplicate"
    assert Wallet.objects.count() == 0
    assert Account.objects.filter(wallet__isnull=False).count() == 0


def test_bulk_wallets_take_payments_like_single_ones():
    # Given a wallet opened in bulk
    citizen = UserFactory()
    wallet = services.wallets_open(users=[citizen])[0]
    topped_up(citizen, 10_000)
    shop = approved_merchant()

    # When its owner pays
    services.payment_create(payer=citizen, merchant_code=shop.code, amount=3_000)

    # Then the cash account of that wallet paid
    cash = Account.objects.get(wallet=wallet, kind=Account.Kind.CASH)
    assert cash.balance == 7_000
