from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from busanhub.chain import services as chain_services
from busanhub.chain import testing as chain_testing
from busanhub.chain.models import AnchorLeaf
from identity import keystore, multikey, selectors, services, statuslist, verification
from identity.models import (
    Challenge,
    ConsentReceipt,
    Credential,
    CredentialApplication,
    IssuerKey,
    PresentationRequest,
    StatusList,
    Wallet,
)
from identity.tests.factories import (
    PASSWORD,
    RESIDENT_CLAIMS,
    RESIDENT_EVIDENCE,
    ApplicationFactory,
    IssuerStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_city_issuer_is_created_once_with_an_encrypted_key(settings):
    settings.SITE_URL = "https://busanhub.example:8443"
    first = services.city_issuer()
    second = services.city_issuer()

    assert first.pk == second.pk
    assert first.did == "did:web:busanhub.example%3A8443"
    assert IssuerKey.objects.count() == 1
    raw = multikey.private_key_raw(keystore.decrypt_private_key(first.private_key_encrypted))
    assert raw.hex() not in first.private_key_encrypted
    assert (
        multikey.public_multikey(
            multikey.public_key_raw(keystore.decrypt_private_key(first.private_key_encrypted))
        )
        == first.public_key_multibase
    )


def test_issuer_key_from_the_environment(monkeypatch):
    vector = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
    monkeypatch.setenv("IDENTITY_ISSUER_KEY_PNU", vector)
    issuer = services.issuer_for_university("pnu", name="Pusan National University")
    assert issuer.public_key_multibase == "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    assert issuer.did.endswith(":issuers:pnu")


def test_university_cannot_take_the_city_slug():
    with pytest.raises(ValidationError):
        services.issuer_for_university("city")
    assert IssuerKey.objects.count() == 0


def test_wallet_gets_a_did_key_once(citizen):
    wallet = services.wallet_open(user=citizen)
    again = services.wallet_open(user=citizen)

    assert wallet.pk == again.pk
    assert wallet.did.startswith("did:key:z6Mk")
    key = keystore.decrypt_private_key(wallet.private_key_encrypted)
    assert multikey.did_key_for(key).controller == wallet.did


def test_jwk_export_needs_the_password(citizen):
    with pytest.raises(PermissionDenied):
        services.wallet_export_jwk(user=citizen, password="wrong-password")
    jwk = services.wallet_export_jwk(user=citizen, password=PASSWORD)
    wallet = Wallet.objects.get(user=citizen)
    assert jwk["kid"].startswith(wallet.did)
    assert jwk["kty"] == "OKP"


def test_issue_signs_anchors_and_allocates_status(resident_credential, city):
    credential = resident_credential
    document = credential.document

    assert document["type"] == ["VerifiableCredential", "BusanResidentCredential"]
    assert document["issuer"]["id"] == city.did
    assert document["credentialSubject"]["district"] == "Haeundae-gu"
    assert document["credentialSchema"]["type"] == "JsonSchema"
    assert [e["statusPurpose"] for e in document["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    assert {e["statusListIndex"] for e in document["credentialStatus"]} == {
        str(credential.status_index)
    }
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    leaf = AnchorLeaf.objects.get(kind="identity.credential", ref=str(credential.public_id))
    assert leaf.version == 1
    assert leaf.envelope["data"] == {
        "credentialDigest": credential.digest,
        "issuer": city.did,
        "status": "active",
    }
    assert "Haeundae-gu" not in str(leaf.envelope)
    assert verification.credential_verify(document).as_dict() == {
        "verified": True,
        "checks": ["malformed", "proof", "issuer", "validity", "status"],
        "errors": [],
        "warnings": [],
    }
    assert StatusList.objects.filter(issuer=city).count() == 2
    assert AnchorLeaf.objects.filter(kind="identity.status_list").count() == 2


def test_issue_with_jcs(citizen, city):
    wallet = services.wallet_open(user=citizen)
    credential = services.credential_issue(
        issuer=city,
        subject_did=wallet.did,
        types=["AdultCredential"],
        claims={"ageOver": 19},
        holder=citizen,
        cryptosuite="eddsa-jcs-2022",
    )
    assert credential.document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert verification.credential_verify(credential.document).verified


def test_claims_failing_the_schema_are_refused_and_nothing_is_stored(citizen, city):
    wallet = services.wallet_open(user=citizen)
    with pytest.raises(ValidationError) as excinfo:
        services.credential_issue(
            issuer=city,
            subject_did=wallet.did,
            types=["ExchangeKycCredential"],
            claims={"kycLevel": 7},
            holder=citizen,
        )
    assert "kycLevel" in excinfo.value.message_dict
    assert Credential.objects.count() == 0
    assert AnchorLeaf.objects.filter(kind="identity.credential").count() == 0


def test_status_indexes_are_random_and_unique(citizen, city):
    wallet = services.wallet_open(user=citizen)
    indexes = {
        services.credential_issue(
            issuer=city,
            subject_did=wallet.did,
            types=["AdultCredential"],
            claims={"ageOver": 19},
            holder=citizen,
        ).status_index
        for _ in range(5)
    }
    assert len(indexes) == 5
    assert indexes != set(range(min(indexes), min(indexes) + 5))


def test_revoke_sets_the_bit_republishes_and_verification_fails_at_once(
    resident_credential, citizen
):
    staff = IssuerStaffFactory()
    revocation = StatusList.objects.get(purpose="revocation")
    version_before = revocation.version

    services.credential_revoke(credential=resident_credential, reason="moved to Seoul", by=staff)

    resident_credential.refresh_from_db()
    revocation.refresh_from_db()
    assert resident_credential.status == "revoked"
    assert resident_credential.version == 2
    assert revocation.version == version_before + 1
    published = statuslist.decode(revocation.credential["credentialSubject"]["encodedList"])
    assert statuslist.get_bit(published, resident_credential.status_index) is True
    result = verification.credential_verify(resident_credential.document)
    assert result.verified is False
    assert result.errors == [{"check": "status", "message": "The credential has been revoked."}]
    assert (
        selectors.user_has_valid_credential(user=citizen, credential_type="BusanResidentCredential")
        is False
    )
    assert (
        AnchorLeaf.objects.filter(
            kind="identity.credential", ref=str(resident_credential.public_id)
        ).count()
        == 2
    )
    assert resident_credential.changes.get().reason == "moved to Seoul"


def test_revoke_needs_a_reason_and_changes_nothing_without(resident_credential):
    with pytest.raises(ValidationError):
        services.credential_revoke(credential=resident_credential, reason="  ")
    resident_credential.refresh_from_db()
    assert resident_credential.status == "active"
    assert StatusList.objects.get(purpose="revocation").version == 1


def test_suspend_and_reinstate(resident_credential, citizen):
    services.credential_suspend(credential=resident_credential, reason="check address")
    assert verification.credential_verify(resident_credential.document).errors == [
        {"check": "status", "message": "The credential is suspended."}
    ]
    services.credential_reinstate(credential=resident_credential, reason="address confirmed")
    resident_credential.refresh_from_db()
    assert resident_credential.status == "active"
    assert verification.credential_verify(resident_credential.document).verified
    assert selectors.user_has_valid_credential(
        user=citizen, credential_type="BusanResidentCredential", claims={"district": "Haeundae-gu"}
    )


def test_a_revoked_credential_cannot_be_reinstated(resident_credential):
    services.credential_revoke(credential=resident_credential, reason="fraud")
    with pytest.raises(ValidationError):
        services.credential_reinstate(credential=resident_credential, reason="oops")
    resident_credential.refresh_from_db()
    assert resident_credential.status == "revoked"


def test_expired_and_not_yet_valid(citizen, city):
    wallet = services.wallet_open(user=citizen)
    now = timezone.now()
    expired = services.credential_issue(
        issuer=city,
        subject_did=wallet.did,
        types=["AdultCredential"],
        claims={"ageOver": 19},
        holder=citizen,
        valid_from=now - timedelta(days=10),
        valid_until=now - timedelta(days=1),
    )
    future = services.credential_issue(
        issuer=city,
        subject_did=wallet.did,
        types=["AdultCredential"],
        claims={"ageOver": 19},
        holder=citizen,
        valid_from=now + timedelta(days=1),
    )
    assert verification.credential_verify(expired.document).errors == [
        {"check": "validity", "message": "The credential has expired (validUntil)."}
    ]
    assert verification.credential_verify(future.document).errors == [
        {"check": "validity", "message": "The credential is not valid yet (validFrom)."}
    ]
    assert selectors.credential_display_status(expired) == "expired"
    assert not selectors.user_has_valid_credential(user=citizen, credential_type="AdultCredential")


def test_unknown_issuer_verifies_and_fails_only_the_trust_policy(citizen):
    # Given a credential signed by a did:key issuer B Pass does not know
    key = multikey.generate()
    pair = multikey.did_key_for(key)
    from identity import dataintegrity

    document = dataintegrity.proof_create(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": pair.controller,
            "credentialSubject": {"id": "did:example:x", "name": "x"},
        },
        private_key=key,
        verification_method=pair.verification_method,
    )

    # When it is verified with the default checks, and with the trust policy
    default = verification.credential_verify(document)
    trusted = verification.credential_verify(document, checks=["proof", "issuer-trusted"])

    # Then verification passes, and the policy check fails under its own name
    assert default.verified is True
    assert default.checks == ["malformed", "proof", "issuer", "validity", "status"]
    assert trusted.checks == ["malformed", "proof", "issuer-trusted"]
    assert trusted.errors == [
        {"check": "issuer-trusted", "message": f"The issuer {pair.controller} is unknown."}
    ]


def test_user_has_valid_credential_claims(citizen, city):
    wallet = services.wallet_open(user=citizen)
    services.credential_issue(
        issuer=city,
        subject_did=wallet.did,
        types=["ExchangeKycCredential"],
        claims={"kycLevel": 2},
        holder=citizen,
    )
    other = UserFactory()
    assert selectors.user_has_valid_credential(
        user=citizen, credential_type="ExchangeKycCredential", claims={"kycLevel": 1}
    )
    assert selectors.user_has_valid_credential(
        user=citizen, credential_type="ExchangeKycCredential", claims={"kycLevel": 2}
    )
    assert not selectors.user_has_valid_credential(
        user=citizen, credential_type="ExchangeKycCredential", claims={"kycLevel": 3}
    )
    assert not selectors.user_has_valid_credential(
        user=other, credential_type="ExchangeKycCredential"
    )
    assert not selectors.user_has_valid_credential(
        user=citizen, credential_type="StudentCredential"
    )


def test_open_badge_from_a_university(citizen):
    issuer = services.issuer_for_university("pknu", name="Pukyong National University")
    wallet = services.wallet_open(user=citizen)
    credential = services.credential_issue(
        issuer=issuer,
        subject_did=wallet.did,
        types=["OpenBadgeCredential"],
        contexts=["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        claims={
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:5f5b7a3e-1111-4e3e-9a3e-000000000001",
                "type": ["Achievement"],
                "name": "Blockchain 101",
                "description": "Completed the course",
                "criteria": {"narrative": "Pass every quiz"},
            },
        },
        holder=citizen,
        name="Blockchain 101",
    )
    assert credential.document["issuer"]["id"].endswith(":issuers:pknu")
    assert verification.credential_verify(credential.document).verified


def test_application_approve_issues_into_the_wallet_and_notifies(
    django_capture_on_commit_callbacks,
):
    staff = IssuerStaffFactory()
    application = ApplicationFactory(applicant=UserFactory(preferred_language="en"))

    with django_capture_on_commit_callbacks(execute=True):
        credential = services.application_approve(application=application, by=staff)

    application.refresh_from_db()
    assert application.status == "approved"
    assert application.credential == credential
    assert credential.holder == application.applicant
    assert credential.subject_did == Wallet.objects.get(user=application.applicant).did
    assert credential.claims == RESIDENT_CLAIMS
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your B Pass credential is ready"


def test_application_decided_twice_is_refused():
    staff = IssuerStaffFactory()
    application = ApplicationFactory()
    services.application_reject(application=application, by=staff, reason="no evidence")
    with pytest.raises(ValidationError):
        services.application_approve(application=application, by=staff)
    application.refresh_from_db()
    assert application.status == "rejected"
    assert Credential.objects.count() == 0


def test_application_with_bad_claims_is_refused(citizen):
    with pytest.raises(ValidationError) as excinfo:
        services.application_submit(
            applicant=citizen,
            credential_type="BusanResidentCredential",
            claims={"district": "Gangnam-gu", "residentSince": "2020-01-01"},
            evidence_details=dict(RESIDENT_EVIDENCE),
        )
    assert "district" in excinfo.value.message_dict
    assert CredentialApplication.objects.count() == 0


def test_presentation_flow_and_consent_receipt(resident_credential, citizen):
    verifier = UserFactory()
    request = services.presentation_request_create(
        verifier=verifier,
        purpose="Resident discount",
        credential_types=["BusanResidentCredential"],
        claims=["district"],
        domain="shop.example",
    )

    services.presentation_respond(request=request, holder=citizen, consent=True)

    request.refresh_from_db()
    assert request.status == "verified"
    assert request.result["verified"] is True
    assert request.result["credentials"] == [
        {
            "type": "BusanResidentCredential",
            "issuer": "Busan Metropolitan City",
            "issuer_ko": "부산광역시",
            "claims": {"district": "Haeundae-gu"},
        }
    ]
    receipt = ConsentReceipt.objects.get(request=request)
    assert receipt.decision == "consented"
    assert receipt.shared["credentials"] == [str(resident_credential.public_id)]
    assert AnchorLeaf.objects.get(kind="identity.consent").envelope["data"] == {
        "consentDigest": receipt.digest
    }
    assert Challenge.objects.get(challenge=request.challenge).used_at is not None
    with pytest.raises(ValidationError):
        services.presentation_respond(request=request, holder=citizen, consent=True)
    assert ConsentReceipt.objects.count() == 1


def test_presentation_of_a_revoked_credential_fails(resident_credential, citizen):
    services.credential_revoke(credential=resident_credential, reason="moved")
    resident_credential.status = "active"  # the holder's stale copy still says active
    Credential.objects.filter(pk=resident_credential.pk).update(status="active")
    request = services.presentation_request_create(
        verifier=UserFactory(),
        purpose="Check",
        credential_types=["BusanResidentCredential"],
        claims=[],
        domain="landlord.example",
    )
    services.presentation_respond(request=request, holder=citizen, consent=True)
    request.refresh_from_db()
    assert request.status == "failed"
    assert request.result["status"] == "revoked"
    assert {"check": "status", "message": "Credential 1: The credential has been revoked."} in (
        request.result["errors"]
    )
    assert not Challenge.objects.filter(used_at__isnull=False).exists()


def test_decline_keeps_a_receipt_and_shares_nothing(resident_credential, citizen):
    request = services.presentation_request_create(
        verifier=UserFactory(),
        purpose="Check",
        credential_types=["BusanResidentCredential"],
        claims=[],
        domain="x.example",
    )
    services.presentation_respond(request=request, holder=citizen, consent=False)
    request.refresh_from_db()
    assert request.status == PresentationRequest.Status.DECLINED
    assert request.result == {}
    assert ConsentReceipt.objects.get().shared["credentials"] == []


def test_credential_anchor_is_confirmed_on_chain(chain, resident_credential):
    chain_testing.anchor_pending()

    leaf = AnchorLeaf.objects.get(
        kind="identity.credential", ref=str(resident_credential.public_id)
    )
    receipt = chain_services.receipt_for(leaf.digest)
    assert receipt is not None
    assert receipt["record"] == {
        "kind": "identity.credential",
        "ref": str(resident_credential.public_id),
        "version": 1,
    }


def test_a_credential_that_verified_fails_at_once_once_revoked(resident_credential):
    # Given a credential verified in this process (whatever verification keeps warm is warm)
    assert verification.credential_verify(resident_credential.document).verified

    # When it is revoked
    services.credential_revoke(credential=resident_credential, reason="moved to Seoul")

    # Then the next verification, in the same process, fails on its status
    result = verification.credential_verify(resident_credential.document)
    assert result.status == "revoked"
    assert result.errors == [{"check": "status", "message": "The credential has been revoked."}]


def test_issuing_for_an_issuer_with_lists_is_one_statement(
    resident_credential, citizen, city, django_assert_num_queries
):
    # Given an issuer whose status lists exist (its first credential made them)
    leaves_before = AnchorLeaf.objects.count()

    # When it issues another credential: one statement, no savepoints
    with django_assert_num_queries(1):
        credential = services.credential_issue(
            issuer=city,
            subject_did=resident_credential.subject_did,
            types=["BusanResidentCredential"],
            claims=dict(RESIDENT_CLAIMS),
            holder=citizen,
        )

    # Then the credential and its anchor leaf are stored, and it verifies
    stored = Credential.objects.get(pk=credential.pk)
    assert stored.document == credential.document
    assert stored.status_index == credential.status_index != resident_credential.status_index
    assert AnchorLeaf.objects.count() == leaves_before + 1
    leaf = AnchorLeaf.objects.get(kind="identity.credential", ref=str(credential.public_id))
    assert leaf.envelope["data"]["credentialDigest"] == stored.digest
    assert verification.credential_verify(stored.document).verified


def test_an_issue_in_a_transaction_that_rolls_back_leaves_nothing(resident_credential, city):
    from django.db import transaction

    # Given the stored credentials and leaves
    credentials_before = Credential.objects.count()
    leaves_before = AnchorLeaf.objects.count()

    # When a credential is issued inside a caller's transaction that then fails
    with pytest.raises(RuntimeError), transaction.atomic():
        services.credential_issue(
            issuer=city,
            subject_did="did:example:rolled-back",
            types=["BusanResidentCredential"],
            claims=dict(RESIDENT_CLAIMS),
        )
        raise RuntimeError("the caller's next step failed")

    # Then neither the credential nor its anchor leaf remains
    assert Credential.objects.count() == credentials_before
    assert AnchorLeaf.objects.count() == leaves_before


def test_the_same_document_twice_in_one_second_is_refused_and_nothing_is_stored(city, monkeypatch):
    from identity.services import credentials as credential_services

    # Given a credential with its own id, issued once, and a clock that stays in that second
    monkeypatch.setattr(credential_services, "_iso", lambda moment: "2026-12-04T14:00:00Z")
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:8d0e57c6-5b0e-4d2c-9d6e-2f4f1c1f7a10",
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:twice", "name": "Same"},
    }
    services.credential_issue_document(issuer=city, credential=document)
    leaves_before = AnchorLeaf.objects.count()

    # When the same document is issued again
    with pytest.raises(ValidationError) as excinfo:
        services.credential_issue_document(issuer=city, credential=document)

    # Then it is refused, naming the credential, and nothing more is stored
    assert "credential" in excinfo.value.message_dict
    assert Credential.objects.filter(issuer=city).count() == 1
    assert AnchorLeaf.objects.count() == leaves_before
