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


def test_an_issued_challenge_answered_by_many_presentations_at_once_passes_once():
    from identity import dataintegrity
    from identity.models import Challenge
    from identity.services.keys import wallet_key

    # Given a credential and a presentation answering a challenge B Pass issued
    citizen = UserFactory()
    wallet = services.wallet_open(user=citizen)
    credential = services.credential_issue(
        issuer=services.city_issuer(),
        subject_did=wallet.did,
        types=["AdultCredential"],
        claims={"ageOver": 19},
        holder=citizen,
    )
    challenge = services.challenge_issue().challenge
    pair = wallet_key(wallet)
    vp = dataintegrity.proof_create(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": pair.controller,
            "verifiableCredential": [credential.document],
        },
        private_key=pair.private_key,
        verification_method=pair.verification_method,
        proof_purpose="authentication",
        challenge=challenge,
        domain="shop.example",
    )

    # When ten verifications of it run at the same moment
    results = run_threads(
        10,
        lambda _index: services.presentation_verify_once(
            presentation=vp, challenge=challenge, domain="shop.example"
        ),
    )

    # Then exactly one passed and the nine others were refused as replays
    passed = [r for r in results if not isinstance(r, Exception) and r.verified]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(passed) == 1
    assert len(refused) == 9
    assert all("already been used" in str(r) for r in refused)
    assert Challenge.objects.get(challenge=challenge).used_at is not None
