import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from identity import dataintegrity, services
from identity.models import Credential, UsedChallenge
from identity.tests.factories import IssuerStaffFactory, UserFactory

pytestmark = pytest.mark.django_db

INPUT = Path(__file__).parent / "data" / "vc-data-model-2.0" / "input"
# Every credential input: *-ok.json must be accepted, *-fail.json and *-fail-or-inject.json
# refused (we refuse rather than inject a missing base context).
CREDENTIAL_INPUTS = sorted(
    p
    for p in INPUT.rglob("*.json")
    if not p.name.startswith("presentation-") and ("-ok" in p.name or "-fail" in p.name)
)
ISSUE = "/vc-api/credentials/issue"
VERIFY = "/vc-api/credentials/verify"
VERIFY_VP = "/vc-api/presentations/verify"


def _prepare(document, issuer_did: str):
    """What the W3C runner does before calling /credentials/issue (see conformance README)."""
    text = json.dumps(document)
    now = datetime.now(UTC)
    text = text.replace("PAST DATE", (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    text = text.replace("FUTURE DATE", (now + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    document = json.loads(text)
    if isinstance(document, dict):
        if "issuer" not in document:
            document["issuer"] = issuer_did
        elif isinstance(document["issuer"], dict) and "id" not in document["issuer"]:
            document["issuer"]["id"] = issuer_did
    return document


@pytest.fixture
def issuer_client():
    client = APIClient()
    token = Token.objects.create(user=IssuerStaffFactory())
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.parametrize("path", CREDENTIAL_INPUTS, ids=lambda p: p.name)
def test_w3c_issuer_inputs(issuer_client, city, path):
    # Given a W3C VC 2.0 test-suite input, prepared as the runner prepares it
    document = _prepare(json.loads(path.read_text()), city.did)
    before = Credential.objects.count()

    # When it is sent to the issuer
    response = issuer_client.post(ISSUE, {"credential": document}, format="json")

    if "-ok" in path.name:
        # Then an -ok input is signed and verifies with the proof check
        assert response.status_code == 201, response.json()
        issued = response.json()["verifiableCredential"]
        assert issued["credentialSubject"] == document["credentialSubject"]
        verified = APIClient().post(
            VERIFY,
            {"verifiableCredential": issued, "options": {"checks": ["proof"]}},
            format="json",
        )
        assert verified.status_code == 200, verified.json()
        assert verified.json()["verified"] is True
        assert Credential.objects.count() == before + 1
    else:
        # And a -fail input is refused with a message, storing nothing
        assert 400 <= response.status_code < 500
        body = response.json()
        assert body["detail"]
        assert Credential.objects.count() == before


def test_issue_needs_an_identity_issuer():
    citizen = UserFactory()
    client = APIClient()
    client.force_authenticate(citizen)
    response = client.post(ISSUE, {"credential": {}}, format="json")
    assert response.status_code == 403
    assert APIClient().post(ISSUE, {"credential": {}}, format="json").status_code in (401, 403)
    assert Credential.objects.count() == 0


def test_issue_with_status_and_jcs(issuer_client, city):
    response = issuer_client.post(
        ISSUE,
        {
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": "did:example:subject", "name": "Kim"},
            },
            "options": {
                "cryptosuite": "eddsa-jcs-2022",
                "credentialStatus": {"type": "BitstringStatusListEntry"},
            },
        },
        format="json",
    )
    assert response.status_code == 201
    issued = response.json()["verifiableCredential"]
    assert issued["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert [e["statusPurpose"] for e in issued["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    result = APIClient().post(VERIFY, {"verifiableCredential": issued}, format="json")
    assert result.json() == {
        "verified": True,
        "checks": ["malformed", "proof", "issuer", "validity", "status"],
        "errors": [],
        "warnings": [],
    }


def test_issue_as_another_issuer_is_refused(issuer_client, city):
    response = issuer_client.post(
        ISSUE,
        {
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "issuer": "did:example:someone-else",
                "credentialSubject": {"id": "did:example:subject"},
            }
        },
        format="json",
    )
    assert response.status_code == 422
    assert "issuer" in response.json()["detail"]


def test_malformed_json_is_a_400(issuer_client):
    response = issuer_client.post(ISSUE, data="{not json", content_type="application/json")
    assert response.status_code == 400
    response = APIClient().post(VERIFY, data="[1,", content_type="application/json")
    assert response.status_code == 400


def test_wrong_types_name_the_field():
    response = APIClient().post(VERIFY, {"verifiableCredential": "a string"}, format="json")
    assert response.status_code == 400
    assert "verifiableCredential" in response.json()


def test_verify_names_what_failed(resident_credential):
    changed = copy.deepcopy(resident_credential.document)
    changed["credentialSubject"]["district"] = "Gijang-gun"
    response = APIClient().post(VERIFY, {"verifiableCredential": changed}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    assert [e["check"] for e in body["errors"]] == ["proof"]

    unknown_context = copy.deepcopy(resident_credential.document)
    unknown_context["@context"].append("https://evil.example/ctx")
    response = APIClient().post(VERIFY, {"verifiableCredential": unknown_context}, format="json")
    assert response.json()["errors"][0]["check"] == "malformed"
    assert "https://evil.example/ctx" in response.json()["errors"][0]["message"]


def test_verify_reports_revocation_at_once(resident_credential):
    services.credential_revoke(credential=resident_credential, reason="left Busan")
    response = APIClient().post(
        VERIFY, {"verifiableCredential": resident_credential.document}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"check": "status", "message": "The credential has been revoked."}
    ]


def _presentation(credential, citizen, *, challenge, domain, signer=None):
    from identity.services.keys import wallet_key

    pair = signer or wallet_key(services.wallet_open(user=citizen))
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


def test_presentation_verify_checks_challenge_domain_and_refuses_replay(
    resident_credential, citizen
):
    vp = _presentation(resident_credential, citizen, challenge="c-123", domain="shop.example")
    client = APIClient()

    first = client.post(
        VERIFY_VP,
        {"verifiablePresentation": vp, "options": {"challenge": "c-123", "domain": "shop.example"}},
        format="json",
    )
    assert first.status_code == 200, first.json()
    assert first.json()["verified"] is True

    replay = client.post(
        VERIFY_VP,
        {"verifiablePresentation": vp, "options": {"challenge": "c-123", "domain": "shop.example"}},
        format="json",
    )
    assert replay.status_code == 409
    assert replay.json()["errors"][0]["check"] == "challenge"
    assert UsedChallenge.objects.filter(challenge="c-123").count() == 1

    wrong_domain = client.post(
        VERIFY_VP,
        {"verifiablePresentation": vp, "options": {"challenge": "c-123", "domain": "evil.example"}},
        format="json",
    )
    assert wrong_domain.status_code == 400
    assert [e["check"] for e in wrong_domain.json()["errors"]] == ["domain"]


def test_presentation_signed_by_another_key_is_refused(resident_credential, citizen):
    from identity import multikey

    stranger = multikey.did_key_for(multikey.generate())
    vp = _presentation(
        resident_credential, citizen, challenge="c-9", domain="d.example", signer=stranger
    )
    response = APIClient().post(
        VERIFY_VP,
        {"verifiablePresentation": vp, "options": {"challenge": "c-9", "domain": "d.example"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "check": "holder",
            "message": "Credential 1: the presentation was signed by a key other than the "
            "credential subject's.",
        }
    ]
    assert not UsedChallenge.objects.exists()


def test_my_credentials_lists_only_mine(
    resident_credential, citizen, django_assert_max_num_queries
):
    other = UserFactory()
    services.credential_issue(
        issuer=services.city_issuer(),
        subject_did=services.wallet_open(user=other).did,
        types=["AdultCredential"],
        claims={"ageOver": 19},
        holder=other,
    )
    client = APIClient()
    client.force_authenticate(citizen)
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/identity/credentials/")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [str(resident_credential.public_id)]


def test_my_credentials_needs_login():
    response = APIClient().get("/api/v1/identity/credentials/")
    assert response.status_code in (401, 403)
