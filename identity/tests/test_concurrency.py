"""Create-on-first-use under real concurrency (threads, each its own connection)."""

import pytest

from busanhub.testing import run_threads
from identity import services
from identity.models import IssuerKey, Wallet
from identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_wallet_opened_by_many_calls_at_once_is_one_wallet():
    # Given a citizen without a wallet yet
    citizen = UserFactory()

    # When twenty calls open it at the same moment
    results = run_threads(20, lambda _index: services.wallet_open(user=citizen))

    # Then none failed and all got the one wallet
    assert not [r for r in results if isinstance(r, Exception)]
    assert {wallet.pk for wallet in results} == {Wallet.objects.get(user=citizen).pk}


def test_an_issuer_ensured_by_many_calls_at_once_is_one_issuer():
    # When twenty calls create the same university's issuer at the same moment
    results = run_threads(20, lambda _index: services.issuer_for_university("pnu"))

    # Then none failed and all got the one issuer, with one key
    assert not [r for r in results if isinstance(r, Exception)]
    issuer = IssuerKey.objects.get(slug="pnu")
    assert {r.pk for r in results} == {issuer.pk}
    assert {r.public_key_multibase for r in results} == {issuer.public_key_multibase}
