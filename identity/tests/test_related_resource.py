"""relatedResource (VC DM 2.0 §5.3): refused when malformed, digests checked where B Pass has
the resource (its vendored contexts), reported unchecked otherwise."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from identity import jsonld, relatedresource
from identity.models import Credential
from identity.tests.factories import IssuerStaffFactory

pytestmark = pytest.mark.django_db

ISSUE = "/vc-api/credentials/issue"
VERIFY = "/vc-api/credentials/verify"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
LOGO = "https://busanhub.kr/static/logo.png"


@pytest.fixture
def issuer_client():
    client = APIClient()
    token = Token.objects.create(user=IssuerStaffFactory())
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _credential(related) -> dict:
    return {
        "@context": [VC_V2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:reader", "name": "Reader"},
        "relatedResource": related,
    }


def test_malformed_entries_are_refused_naming_the_field(issuer_client):
    # Given entries without a digest, with a bad SRI, a repeated id and a non-URL id
    context = jsonld.context_bytes(VC_V2)
    related = [
        {"id": VC_V2, "digestSRI": relatedresource.sri(context)},
        {"id": LOGO, "digestSRI": "sha384-not base64!"},
        {"id": VC_V2, "digestMultibase": relatedresource.multibase(context)},
        {"id": "not a url", "mediaType": "image/png"},
        {"id": LOGO + "?2", "digestMultibase": "zBadMultihash"},
    ]

    # When it is sent for issuing
    response = issuer_client.post(ISSUE, {"credential": _credential(related)}, format="json")

    # Then it is a 400 naming each field, and nothing is stored
    assert response.status_code == 400
    body = response.json()
    assert set(body) - {"detail", "errors"} == {
        "credential.relatedResource[1].digestSRI",
        "credential.relatedResource[2].id",
        "credential.relatedResource[3].id",
        "credential.relatedResource[3]",
        "credential.relatedResource[4].digestMultibase",
    }
    assert body["credential.relatedResource[3]"] == ["needs digestSRI or digestMultibase"]
    assert "credential.relatedResource[1].digestSRI" in body["detail"]
    assert not Credential.objects.exists()


def test_an_empty_list_is_refused(issuer_client):
    response = issuer_client.post(ISSUE, {"credential": _credential([])}, format="json")
    assert response.status_code == 400
    assert response.json()["credential.relatedResource"] == ["one or more objects"]


def test_digests_are_checked_where_the_resource_is_held(issuer_client):
    # Given a credential naming a vendored context with its true digests, and a logo B Pass
    # does not hold
    context = jsonld.context_bytes(VC_V2)
    related = [
        {
            "id": VC_V2,
            "digestSRI": relatedresource.sri(context, "sha384"),
            "digestMultibase": relatedresource.multibase(context, "sha256"),
        },
        {"id": LOGO, "digestSRI": relatedresource.sri(b"a logo", "sha256")},
    ]
    response = issuer_client.post(ISSUE, {"credential": _credential(related)}, format="json")
    assert response.status_code == 201, response.json()
    issued = response.json()["verifiableCredential"]

    # When it is verified
    result = APIClient().post(VERIFY, {"verifiableCredential": issued}, format="json").json()

    # Then the context's digests pass, and the logo is reported unchecked, not verified
    assert result["verified"] is True
    assert "related-resource" in result["checks"]
    assert result["warnings"] == [
        {
            "check": "related-resource",
            "message": f"relatedResource[1] {LOGO}: not checked (not available offline).",
        }
    ]


def test_a_wrong_digest_of_a_held_resource_fails(issuer_client):
    # Given a credential whose digest of a vendored context is not that context's
    related = {"id": VC_V2, "digestMultibase": relatedresource.multibase(b"another file")}
    response = issuer_client.post(ISSUE, {"credential": _credential(related)}, format="json")
    assert response.status_code == 201, response.json()

    # When it is verified
    result = APIClient().post(
        VERIFY, {"verifiableCredential": response.json()["verifiableCredential"]}, format="json"
    )

    # Then the related-resource check fails, naming the entry
    assert result.status_code == 400
    assert result.json()["errors"] == [
        {
            "check": "related-resource",
            "message": f"relatedResource[0] {VC_V2}: the digest does not match the resource.",
        }
    ]
