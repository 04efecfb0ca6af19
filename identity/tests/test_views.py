import json

import pytest
from django.urls import reverse

from identity import services
from identity.models import Credential, CredentialApplication, PresentationRequest
from identity.tests.factories import (
    PASSWORD,
    RESIDENT_CLAIMS,
    RESIDENT_EVIDENCE,
    IssuerStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_did_web_document(client, settings):
    settings.SITE_URL = "https://busanhub.example"
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    document = response.json()
    assert document["id"] == "did:web:busanhub.example"
    method = document["verificationMethod"][0]
    assert method["type"] == "Multikey"
    assert method["id"] == "did:web:busanhub.example#key-1"
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert document["assertionMethod"] == [method["id"]]


def test_university_did_document(client):
    issuer = services.issuer_for_university("pnu", name="PNU")
    response = client.get("/issuers/pnu/did.json")
    assert response.json()["id"] == issuer.did
    assert client.get("/issuers/nowhere/did.json").status_code == 404


def test_status_list_is_published_signed(client, resident_credential):
    entry = resident_credential.document["credentialStatus"][0]
    path = entry["statusListCredential"].split("8000", 1)[-1]
    response = client.get(path)
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert body["credentialSubject"]["statusPurpose"] == "revocation"
    assert body["credentialSubject"]["encodedList"].startswith("u")
    assert body["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


def test_schema_is_served(client):
    response = client.get("/identity/schemas/AdultCredential.json")
    assert json.loads(response.content)["required"] == ["ageOver"]
    assert client.get("/identity/schemas/Nope.json").status_code == 404


def test_wallet_needs_login_and_opens_a_did(client, citizen):
    assert client.get(reverse("identity:wallet")).status_code == 302
    client.force_login(citizen)
    response = client.get(reverse("identity:wallet"))
    assert response.status_code == 200
    assert citizen.bpass_wallet.did in response.content.decode()


def test_wallet_lists_own_credentials_in_korean(client, resident_credential, citizen):
    citizen.preferred_language = "ko"
    citizen.save()
    client.force_login(citizen)
    response = client.get(reverse("identity:wallet"), HTTP_ACCEPT_LANGUAGE="ko")
    html = response.content.decode()
    assert "부산 시민" in html
    assert "유효" in html


def test_credential_detail_is_only_for_its_holder(client, resident_credential, citizen):
    url = reverse("identity:credential", kwargs={"public_id": resident_credential.public_id})
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    download = reverse(
        "identity:credential-download", kwargs={"public_id": resident_credential.public_id}
    )
    assert client.get(download).status_code == 404
    client.force_login(citizen)
    response = client.get(url)
    assert response.status_code == 200
    assert "Haeundae-gu" in response.content.decode()
    assert json.loads(client.get(download).content) == resident_credential.document


def test_apply_form_errors_and_success(client, citizen):
    client.force_login(citizen)
    url = reverse("identity:apply")
    bad = client.post(url, {"credential_type": "BusanResidentCredential", "district": ""})
    assert bad.status_code == 200
    assert "This field is required for this credential." in bad.content.decode()
    assert CredentialApplication.objects.count() == 0

    young = client.post(url, {"credential_type": "AdultCredential", "birth_date": "2015-01-01"})
    assert "You must be 19 or over." in young.content.decode()

    ok = client.post(
        url,
        {
            "credential_type": "AdultCredential",
            "birth_date": "1990-04-02",
            "document": "passport",
            "evidence": "ID card",
        },
    )
    assert ok.status_code == 302
    application = CredentialApplication.objects.get()
    assert application.claims == {"ageOver": 19}  # no birth date kept


def test_key_export_requires_the_password(client, citizen):
    client.force_login(citizen)
    url = reverse("identity:key-export")
    wrong = client.post(url, {"password": "nope-nope-nope"})
    assert wrong.status_code == 200
    assert "The password is not correct." in wrong.content.decode()
    ok = client.post(url, {"password": PASSWORD})
    assert ok["Content-Disposition"] == 'attachment; filename="bpass-key.jwk.json"'
    assert json.loads(ok.content)["crv"] == "Ed25519"


def test_verifier_request_present_and_result(client, resident_credential, citizen):
    verifier = UserFactory(preferred_language="en")
    client.force_login(verifier)
    response = client.post(
        reverse("identity:verifier"),
        {
            "purpose": "Resident discount",
            "credential_types": ["BusanResidentCredential"],
            "claims": ["district"],
            "domain": "shop.example",
        },
    )
    request = PresentationRequest.objects.get()
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert f"/identity/present/{request.public_id}/" in detail

    client.force_login(citizen)
    present_url = reverse("identity:present", kwargs={"public_id": request.public_id})
    page = client.get(present_url).content.decode()
    assert "Haeundae-gu" in page
    client.post(present_url, {"decision": "consent"})

    client.force_login(verifier)
    result = client.get(
        reverse("identity:request-result", kwargs={"public_id": request.public_id})
    ).content.decode()
    assert "Presentation verified" in result
    assert "Haeundae-gu" in result
    client.force_login(UserFactory())
    other = client.get(reverse("identity:request-detail", kwargs={"public_id": request.public_id}))
    assert other.status_code == 404


def test_credential_check_page_shows_status_not_claims(client, resident_credential):
    url = reverse("identity:credential-check", kwargs={"public_id": resident_credential.public_id})
    html = client.get(url).content.decode()
    assert "Valid" in html or "유효" in html
    assert "Haeundae-gu" not in html


def test_admin_approve_and_revoke_with_reason(client, citizen):
    staff = IssuerStaffFactory()
    services.application_submit(
        applicant=citizen,
        credential_type="BusanResidentCredential",
        claims={"district": "Suyeong-gu", "residentSince": "2021-01-01"},
        evidence_details=dict(RESIDENT_EVIDENCE),
    )
    application = CredentialApplication.objects.get()
    client.force_login(staff)
    response = client.post(
        reverse("admin:identity_credentialapplication_changelist"),
        {"action": "approve", "_selected_action": [application.pk], "reason": ""},
    )
    assert response.status_code == 302
    credential = Credential.objects.get()
    assert credential.holder == citizen

    client.post(
        reverse("admin:identity_credential_changelist"),
        {"action": "revoke", "_selected_action": [credential.pk], "reason": ""},
    )
    credential.refresh_from_db()
    assert credential.status == "active"  # no reason, nothing changed
    client.post(
        reverse("admin:identity_credential_changelist"),
        {"action": "revoke", "_selected_action": [credential.pk], "reason": "moved away"},
    )
    credential.refresh_from_db()
    assert (credential.status, credential.status_reason) == ("revoked", "moved away")


def test_admin_is_closed_to_other_staff(client):
    from busanhub.accounts.tests.factories import StaffFactory

    client.force_login(StaffFactory(roles=["staff-safety"]))
    response = client.get(reverse("admin:identity_credential_changelist"))
    assert response.status_code in (302, 403)


def test_verified_on_chain_link_points_at_the_anchored_leaf(client, resident_credential, citizen):
    from busanhub.chain.models import AnchorLeaf

    leaf = AnchorLeaf.objects.get(
        kind="identity.credential", ref=str(resident_credential.public_id)
    )
    client.force_login(citizen)
    url = reverse("identity:credential", kwargs={"public_id": resident_credential.public_id})
    html = client.get(url).content.decode()
    assert reverse("chain:verify-digest", kwargs={"digest": leaf.digest}) in html


@pytest.mark.django_db
def test_profile_page_shows_the_b_pass_did_once_the_wallet_exists(client):
    user = UserFactory()
    client.force_login(user)
    before = client.get(reverse("accounts:profile")).content.decode()
    assert "did:key:" not in before
    wallet = services.wallet_open(user=user)
    after = client.get(reverse("accounts:profile")).content.decode()
    assert wallet.did in after


@pytest.mark.parametrize(
    ("language", "issuer_name", "district", "other_language"),
    [
        ("ko", "부산광역시", "해운대구", ["Busan Metropolitan City", "Haeundae-gu"]),
        ("en", "Busan Metropolitan City", "Haeundae-gu", ["부산광역시", "해운대구"]),
    ],
)
def test_issuer_and_district_are_named_in_the_pages_language(
    client, resident_credential, citizen, language, issuer_name, district, other_language
):
    citizen.preferred_language = language
    citizen.save(update_fields=["preferred_language"])
    client.force_login(citizen)
    detail = reverse("identity:credential", kwargs={"public_id": resident_credential.public_id})

    wallet_html = client.get(reverse("identity:wallet")).content.decode()
    detail_html = client.get(detail).content.decode()

    assert issuer_name in wallet_html
    assert issuer_name in detail_html
    assert district in detail_html
    for text in other_language:
        assert text not in wallet_html
        assert text not in detail_html


def test_wallet_credentials_are_paginated_with_counts_and_only_mine(client, citizen, city):
    # Given 23 credentials of mine and one of another citizen
    def issue(user):
        return services.credential_issue(
            issuer=city,
            subject_did=services.wallet_open(user=user).did,
            types=["BusanResidentCredential"],
            claims=dict(RESIDENT_CLAIMS),
            holder=user,
        )

    mine = [issue(citizen) for _ in range(23)]
    theirs = issue(UserFactory())
    client.force_login(citizen)

    # When the wallet is opened, then on its second page
    first = client.get(reverse("identity:wallet")).content.decode()
    second = client.get(reverse("identity:wallet"), {"page": "2"}).content.decode()

    # Then the first page shows 20 cards with the count, the second the last 3
    assert "1–20 of 23" in first and 'href="?page=2"' in first
    assert "21–23 of 23" in second and 'href="?page=1"' in second
    assert sum(str(c.public_id) in first for c in mine) == 20
    assert sum(str(c.public_id) in second for c in mine) == 3
    assert str(theirs.public_id) not in first + second
