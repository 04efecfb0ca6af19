"""`wallets_open`: many B Pass wallets in one call, with the same rules as `wallet_open`."""

import pytest
from django.core.exceptions import ValidationError

from identity import keystore, multikey, services
from identity.models import Wallet
from identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIELDS = ["user_id", "did", "private_key_encrypted"]


def test_bulk_and_single_make_the_same_kind_of_rows():
    # Given two groups of users without wallets
    one_by_one = UserFactory.create_batch(3)
    in_bulk = UserFactory.create_batch(3)

    # When one group gets its wallets one by one and the other in one call
    singles = [services.wallet_open(user=user) for user in one_by_one]
    bulk = services.wallets_open(users=in_bulk)

    # Then both hold one wallet per user, in the order asked, with a did:key whose encrypted
    # private key is the DID's own, and every field filled alike
    assert [wallet.user_id for wallet in bulk] == [user.pk for user in in_bulk]
    for wallet in singles + bulk:
        stored = Wallet.objects.get(pk=wallet.pk)
        assert stored.did == wallet.did
        assert stored.did.startswith("did:key:z6Mk")
        key = keystore.decrypt_private_key(stored.private_key_encrypted)
        assert multikey.did_key_for(key).controller == stored.did
        assert stored.created_at is not None
    assert Wallet.objects.count() == 6
    assert len({wallet.did for wallet in singles + bulk}) == 6


def test_a_user_with_a_wallet_keeps_it():
    # Given a user who has a wallet and one who has none
    old, new = UserFactory.create_batch(2)
    existing = services.wallet_open(user=old)

    # When both are opened in bulk, twice
    first = services.wallets_open(users=[old, new])
    again = services.wallets_open(users=[new, old])

    # Then the existing wallet is returned unchanged and the new one is made once
    assert first[0].pk == existing.pk
    assert first[0].did == existing.did
    assert [wallet.pk for wallet in again] == [first[1].pk, first[0].pk]
    assert Wallet.objects.count() == 2
    # and the single service finds the bulk one
    assert services.wallet_open(user=new).pk == first[1].pk


def test_a_user_given_twice_is_refused_and_nothing_is_written():
    # Given two users
    one, other = UserFactory.create_batch(2)

    # When one of them is given twice
    with pytest.raises(ValidationError) as excinfo:
        services.wallets_open(users=[one, other, one])

    # Then the call is refused and no wallet is made, not even the other's
    assert "users" in excinfo.value.message_dict
    assert Wallet.objects.count() == 0
