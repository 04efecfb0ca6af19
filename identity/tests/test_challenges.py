"""Challenges B Pass issues are single-use and expire; foreign challenges are only matched."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from identity import dataintegrity, services
from identity.models import Challenge
from identity.services.keys import wallet_key

pytestmark = pytest.mark.django_db

CHALLENGES = "/vc-api/challenges"
VERIFY_VP = "/vc-api/presentations/verify"


def _presentation(credential, citizen, *, challenge, domain="verifier.example"):
    pair = wallet_key(services.wallet_open(user=citizen))
    return dataintegrity.proof_create(
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
        domain=domain,
    )


def _verify(vp, challenge, domain="verifier.example"):
    return APIClient().post(
        VERIFY_VP,
        {"verifiablePresentation": vp, "options": {"challenge": challenge, "domain": domain}},
        format="json",
    )


def test_post_challenges_returns_a_fresh_stored_challenge():
    # When a verifier asks for two challenges
    first = APIClient().post(CHALLENGES, format="json")
    second = APIClient().post(CHALLENGES, format="json")

    # Then each is new, stored unused, and expires in ten minutes
    assert first.status_code == 201
    assert set(first.json()) == {"challenge"}
    assert first.json()["challenge"] != second.json()["challenge"]
    stored = Challenge.objects.get(challenge=first.json()["challenge"])
    assert stored.used_at is None
    assert timedelta(minutes=9) < stored.expires_at - timezone.now() <= timedelta(minutes=10)


def test_an_issued_challenge_is_used_once(resident_credential, citizen):
    # Given a presentation answering a challenge B Pass issued
    challenge = APIClient().post(CHALLENGES, format="json").json()["challenge"]
    vp = _presentation(resident_credential, citizen, challenge=challenge)

    # When it is verified, then replayed
    first = _verify(vp, challenge)
    replay = _verify(vp, challenge)

    # Then the first passes and uses the challenge up; the replay is refused as a conflict
    assert first.status_code == 200, first.json()
    assert replay.status_code == 409
    assert replay.json()["errors"] == [
        {
            "check": "challenge",
            "message": "This challenge has already been used (a replayed presentation).",
        }
    ]
    assert Challenge.objects.get(challenge=challenge).used_at is not None


def test_a_failed_presentation_does_not_use_the_challenge(resident_credential, citizen):
    # Given an issued challenge and a presentation for another domain
    challenge = services.challenge_issue().challenge
    vp = _presentation(resident_credential, citizen, challenge=challenge, domain="evil.example")

    # When it is verified for the expected domain
    response = _verify(vp, challenge)

    # Then it fails and the challenge stays usable
    assert response.status_code == 400
    assert [e["check"] for e in response.json()["errors"]] == ["domain"]
    assert Challenge.objects.get(challenge=challenge).used_at is None


def test_an_expired_challenge_is_refused(resident_credential, citizen):
    # Given an issued challenge past its expiry
    challenge = services.challenge_issue().challenge
    Challenge.objects.filter(challenge=challenge).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    vp = _presentation(resident_credential, citizen, challenge=challenge)

    # When a presentation answering it is verified
    response = _verify(vp, challenge)

    # Then it is refused on the challenge, and nothing changes
    assert response.status_code == 400
    assert response.json()["verified"] is False
    assert response.json()["errors"] == [
        {
            "check": "challenge",
            "message": "This challenge expired; ask the verifier for a new one.",
        }
    ]
    assert Challenge.objects.get(challenge=challenge).used_at is None


def test_a_foreign_challenge_is_matched_not_burned(resident_credential, citizen):
    # Given a challenge of the verifier's own making
    vp = _presentation(resident_credential, citizen, challenge="verifier-own-42")

    # When the presentation is verified twice, and against another challenge
    first = _verify(vp, "verifier-own-42")
    second = _verify(vp, "verifier-own-42")
    mismatch = _verify(vp, "verifier-own-43")

    # Then both pass (replay protection is the verifier's), nothing is stored; it must match
    assert (first.status_code, second.status_code) == (200, 200)
    assert not Challenge.objects.exists()
    assert mismatch.status_code == 400
    assert [e["check"] for e in mismatch.json()["errors"]] == ["challenge"]


def test_a_presentation_request_challenge_is_an_issued_challenge(resident_credential, citizen):
    from identity.tests.factories import UserFactory

    # Given a verifier's presentation request, answered by the holder in the portal
    request = services.presentation_request_create(
        verifier=UserFactory(),
        purpose="Check",
        credential_types=["BusanResidentCredential"],
        claims=[],
        domain="verifier.example",
    )
    services.presentation_respond(request=request, holder=citizen, consent=True)

    # When the same challenge is presented again through the VC-API
    vp = _presentation(resident_credential, citizen, challenge=request.challenge)
    replay = _verify(vp, request.challenge)

    # Then it is a replay
    assert replay.status_code == 409
    stored = Challenge.objects.get(challenge=request.challenge)
    assert stored.used_at is not None
    assert stored.expires_at == request.expires_at
