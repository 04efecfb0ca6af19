import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from identity import dataintegrity, services
from identity.models import Challenge, Credential
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


def test_presentation_verify_matches_a_foreign_challenge_and_domain_without_burning_it(
    resident_credential, citizen
):
    # Given a presentation for a challenge B Pass never issued
    vp = _presentation(resident_credential, citizen, challenge="c-123", domain="shop.example")
    client = APIClient()
    options = {"challenge": "c-123", "domain": "shop.example"}

    # When it is verified twice, and once for another domain
    first = client.post(VERIFY_VP, {"verifiablePresentation": vp, "options": options}, "json")
    again = client.post(VERIFY_VP, {"verifiablePresentation": vp, "options": options}, "json")
    wrong_domain = client.post(
        VERIFY_VP,
        {"verifiablePresentation": vp, "options": {**options, "domain": "evil.example"}},
        format="json",
    )

    # Then the challenge is only matched: both pass, nothing is stored; the domain must match
    assert first.status_code == 200, first.json()
    assert first.json()["verified"] is True
    assert again.status_code == 200
    assert not Challenge.objects.exists()
    assert wrong_domain.status_code == 400
    assert [e["check"] for e in wrong_domain.json()["errors"]] == ["domain"]


def test_presentation_signed_by_another_key_fails_only_the_holder_is_subject_policy(
    resident_credential, citizen
):
    from identity import multikey

    # Given a presentation of the citizen's credential, signed (and held) by a stranger
    stranger = multikey.did_key_for(multikey.generate())
    vp = _presentation(
        resident_credential, citizen, challenge="c-9", domain="d.example", signer=stranger
    )
    options = {"challenge": "c-9", "domain": "d.example"}

    # When it is verified with the default checks, then with the portal's policy checks
    default = APIClient().post(
        VERIFY_VP, {"verifiablePresentation": vp, "options": options}, format="json"
    )
    policy = APIClient().post(
        VERIFY_VP,
        {
            "verifiablePresentation": vp,
            "options": {**options, "checks": ["proof", "status", "holder-is-subject"]},
        },
        format="json",
    )

    # Then verification passes, and the policy check fails under its own name
    assert default.status_code == 200, default.json()
    assert default.json()["checks"] == [
        "malformed",
        "proof",
        "challenge",
        "domain",
        "holder",
        "issuer",
        "validity",
        "status",
    ]
    assert policy.status_code == 400
    assert policy.json()["checks"] == [
        "malformed",
        "proof",
        "challenge",
        "domain",
        "holder",
        "status",
        "holder-is-subject",
    ]
    assert policy.json()["errors"] == [
        {
            "check": "holder-is-subject",
            "message": "Credential 1: the presentation was signed by a key other than the "
            "credential subject's.",
        }
    ]


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


def _did_key_credential(subject_did: str):
    """A credential from a did:key issuer B Pass does not know."""
    from identity import multikey

    key = multikey.generate()
    issuer = multikey.did_key_for(key)
    return dataintegrity.proof_create(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": issuer.controller,
            "credentialSubject": {"id": subject_did, "name": "Kim Minji"},
        },
        private_key=key,
        verification_method=issuer.verification_method,
    )


def test_presentation_from_an_unknown_issuer_verifies_unless_trust_is_asked(citizen):
    from identity.services.keys import wallet_key

    # Given the citizen presents a credential of an issuer B Pass does not know
    pair = wallet_key(services.wallet_open(user=citizen))
    vp = dataintegrity.proof_create(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": pair.controller,
            "verifiableCredential": [_did_key_credential(pair.controller)],
        },
        private_key=pair.private_key,
        verification_method=pair.verification_method,
        proof_purpose="authentication",
        challenge="c-unknown",
        domain="d.example",
    )
    options = {"challenge": "c-unknown", "domain": "d.example"}

    # When it is verified by default, and with issuer-trusted named
    default = APIClient().post(
        VERIFY_VP, {"verifiablePresentation": vp, "options": options}, format="json"
    )
    trusted = APIClient().post(
        VERIFY_VP,
        {
            "verifiablePresentation": vp,
            "options": {**options, "checks": ["proof", "issuer", "issuer-trusted"]},
        },
        format="json",
    )

    # Then it verifies; the trust policy fails under its own name
    assert default.status_code == 200, default.json()
    assert "issuer-trusted" not in default.json()["checks"]
    assert trusted.status_code == 400
    assert [e["check"] for e in trusted.json()["errors"]] == ["issuer-trusted"]


def test_unknown_check_names_are_refused_with_the_field():
    response = APIClient().post(
        VERIFY,
        {"verifiableCredential": {}, "options": {"checks": ["holder-is-subject"]}},
        format="json",
    )
    assert response.status_code == 400
    assert "checks" in response.json()["options"]


def test_two_identical_issue_requests_in_one_second_are_two_credentials(issuer_client, city):
    from unittest import mock

    from busanhub.chain.models import AnchorLeaf

    # Given one credential request without id, sent twice within the same second
    request = {
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:twice", "name": "Same"},
        },
        "options": {"credentialStatus": {"type": "BitstringStatusListEntry"}},
    }
    plain = {"credential": request["credential"]}
    instant = datetime(2026, 12, 4, 13, 40, 0, 250_000, tzinfo=UTC)

    # When both are issued, with and without status entries, at the same instant
    with mock.patch("identity.services.credentials.timezone.now", return_value=instant):
        responses = [issuer_client.post(ISSUE, body, format="json") for body in (request,) * 2]
        plain_responses = [issuer_client.post(ISSUE, plain, format="json") for _ in range(2)]

    # Then all succeed, each with its own id, digest, status index and anchored digest
    assert [r.status_code for r in responses + plain_responses] == [201] * 4
    documents = [r.json()["verifiableCredential"] for r in responses + plain_responses]
    assert {d["proof"]["created"] for d in documents} == {"2026-12-04T13:40:00Z"}
    assert len({d["id"] for d in documents}) == 4
    assert all(d["id"].startswith("urn:uuid:") for d in documents)
    credentials = list(Credential.objects.filter(subject_did="did:example:twice"))
    assert len({c.digest for c in credentials}) == 4
    indexes = [c.status_index for c in credentials if c.status_index is not None]
    assert len(indexes) == 2 and indexes[0] != indexes[1]
    assert sorted(e["statusListIndex"] for d in documents[:2] for e in d["credentialStatus"]) == (
        sorted([str(i) for i in indexes] * 2)
    )
    anchored = {
        leaf.envelope["data"]["credentialDigest"]
        for leaf in AnchorLeaf.objects.filter(
            kind="identity.credential", ref__in=[str(c.public_id) for c in credentials]
        )
    }
    assert anchored == {c.digest for c in credentials}
    for document in documents:
        verified = APIClient().post(VERIFY, {"verifiableCredential": document}, format="json")
        assert verified.json()["verified"] is True, verified.json()
