"""Batch issuing: the service (credential_issue_many) and B Pass's VC-API extension
POST /vc-api/credentials/issue-batch. Real signatures, real PostgreSQL."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from busanhub.chain.models import AnchorLeaf
from busanhub.testing import run_threads
from identity import services, verification
from identity.models import Credential, StatusList
from identity.services.credentials import document_digest
from identity.tests.factories import IssuerStaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ISSUE_BATCH = "/vc-api/credentials/issue-batch"
VERIFY = "/vc-api/credentials/verify"


def _resident(did: str, district: str = "Haeundae-gu") -> dict:
    return {
        "subject_did": did,
        "types": ["BusanResidentCredential"],
        "claims": {"district": district, "residentSince": "2020-01-01"},
    }


def _body(name: str, **options) -> dict:
    return {
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:subject", "name": name},
        },
        "options": options,
    }


@pytest.fixture
def issuer_client():
    client = APIClient()
    token = Token.objects.create(user=IssuerStaffFactory())
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_a_batch_issues_verifiable_credentials_with_distinct_status_entries(city):
    # Given a citizen's wallet
    citizen = UserFactory()
    did = services.wallet_open(user=citizen).did

    # When five credentials are issued in one batch
    districts = ["Haeundae-gu", "Jung-gu", "Suyeong-gu", "Nam-gu", "Seo-gu"]
    issued = services.credential_issue_many(
        issuer=city,
        requests=[{**_resident(did, district), "holder": citizen} for district in districts],
    )

    # Then each is stored in the order asked, verifies, and has its own status index
    assert [c.document["credentialSubject"]["district"] for c in issued] == districts
    stored = Credential.objects.filter(pk__in=[c.pk for c in issued])
    assert {(c.pk, c.holder_id, c.digest) for c in stored} == {
        (c.pk, citizen.pk, document_digest(c.document)) for c in issued
    }
    assert all(verification.credential_verify(c.document).verified for c in issued)
    indexes = [c.status_index for c in issued]
    assert None not in indexes and len(set(indexes)) == 5
    assert [int(c.document["credentialStatus"][0]["statusListIndex"]) for c in issued] == indexes
    assert StatusList.objects.filter(issuer=city).count() == 2
    # And each has its anchor leaf (version 1, active)
    leaves = AnchorLeaf.objects.filter(
        kind="identity.credential", ref__in=[str(c.public_id) for c in issued]
    )
    assert sorted((leaf.ref, leaf.version, leaf.envelope["data"]["status"]) for leaf in leaves) == (
        sorted((str(c.public_id), 1, "active") for c in issued)
    )
    assert {leaf.envelope["data"]["credentialDigest"] for leaf in leaves} == {
        c.digest for c in issued
    }


def test_a_batch_with_one_bad_request_issues_nothing(city):
    # Given a batch whose second request has claims its schema refuses
    did = services.wallet_open(user=UserFactory()).did
    bad = {**_resident(did), "claims": {"district": "Haeundae-gu", "residentSince": "soon"}}
    credentials, leaves = Credential.objects.count(), AnchorLeaf.objects.count()

    # When it is issued
    with pytest.raises(ValidationError) as refused:
        services.credential_issue_many(issuer=city, requests=[_resident(did), bad])

    # Then the error names the request and field, and nothing was written
    assert list(refused.value.message_dict) == ["credentials[1].residentSince"]
    assert Credential.objects.count() == credentials
    assert AnchorLeaf.objects.count() == leaves


def test_a_status_index_already_held_is_never_handed_out_again(city):
    # Given an issuer holding one credential with a status entry
    did = services.wallet_open(user=UserFactory()).did
    first = services.credential_issue(issuer=city, **_resident(did))

    # When batches take many more indexes
    issued = [
        credential
        for _round in range(4)
        for credential in services.credential_issue_many(
            issuer=city, requests=[_resident(did)] * 50
        )
    ]

    # Then every index is distinct, the first one's included
    indexes = [first.status_index, *(c.status_index for c in issued)]
    assert len(set(indexes)) == 201


@pytest.mark.django_db(transaction=True)
def test_batches_issued_at_once_share_no_status_index():
    # Given an issuer whose status lists exist
    city = services.city_issuer()
    services.status_lists_ensure(issuer=city)
    did = services.wallet_open(user=UserFactory()).did

    # When four batches of 25 are issued at the same moment, each on its own connection
    results = run_threads(
        4,
        lambda _index: services.credential_issue_many(issuer=city, requests=[_resident(did)] * 25),
    )

    # Then none failed, and the 100 credentials hold 100 distinct indexes
    assert not [r for r in results if isinstance(r, Exception)]
    indexes = list(Credential.objects.filter(issuer=city).values_list("status_index", flat=True))
    assert len(indexes) == 100
    assert len(set(indexes)) == 100


def test_the_batch_endpoint_issues_standard_bodies_in_order(issuer_client, city):
    # When two standard issue bodies are sent as one batch (one with status and JCS)
    response = issuer_client.post(
        ISSUE_BATCH,
        {
            "credentials": [
                _body("Kim"),
                _body(
                    "Lee",
                    cryptosuite="eddsa-jcs-2022",
                    credentialStatus={"type": "BitstringStatusListEntry"},
                ),
            ]
        },
        format="json",
    )

    # Then both come back signed, in order, and verify through the standard endpoint
    assert response.status_code == 201
    issued = response.json()["verifiableCredentials"]
    assert [c["credentialSubject"]["name"] for c in issued] == ["Kim", "Lee"]
    assert [c["proof"]["cryptosuite"] for c in issued] == ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
    assert "credentialStatus" not in issued[0]
    assert [e["statusPurpose"] for e in issued[1]["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    for credential in issued:
        result = APIClient().post(VERIFY, {"verifiableCredential": credential}, format="json")
        assert result.status_code == 200
        assert result.json()["verified"] is True
    assert Credential.objects.count() == 2


def test_the_batch_endpoint_refuses_the_whole_batch_naming_the_item(issuer_client, city):
    # Given a batch whose second credential names another issuer
    other = _body("Park")
    other["credential"]["issuer"] = "did:example:someone-else"

    # When it is sent
    response = issuer_client.post(
        ISSUE_BATCH, {"credentials": [_body("Kim"), other]}, format="json"
    )

    # Then it is refused naming the item, and nothing is issued
    assert response.status_code == 422
    assert response.json()["errors"] == [
        f"credentials[1].credential: issuer: this service issues only as {city.did}"
    ]
    assert Credential.objects.count() == 0


def test_the_batch_endpoint_refuses_a_malformed_related_resource_naming_the_item(
    issuer_client, city
):
    bad = _body("Kim")
    bad["credential"]["relatedResource"] = [{"id": "https://example.org/a"}]

    response = issuer_client.post(ISSUE_BATCH, {"credentials": [_body("Lee"), bad]}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [
        "detail",
        "errors",
        "credentials[1].credential.relatedResource[0]",
    ]
    assert Credential.objects.count() == 0


def test_the_batch_endpoint_needs_an_identity_issuer_and_a_non_empty_list(issuer_client):
    citizen_client = APIClient()
    citizen_client.force_authenticate(UserFactory())
    body = {"credentials": [_body("Kim")]}
    assert citizen_client.post(ISSUE_BATCH, body, format="json").status_code == 403
    assert APIClient().post(ISSUE_BATCH, body, format="json").status_code in (401, 403)
    assert issuer_client.post(ISSUE_BATCH, {"credentials": []}, format="json").status_code == 400
    assert Credential.objects.count() == 0
