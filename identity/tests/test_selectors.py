from identity import selectors, services


def test_credential_verification_reports_every_check_and_a_revocation(resident_credential, city):
    # Given an issued credential
    document = resident_credential.document

    # When it is verified, then revoked and verified again
    before = selectors.credential_verification(document)
    services.credential_revoke(credential=resident_credential, reason="moved away")
    after = selectors.credential_verification(document)

    # Then the first passes every check and the second fails on its status only
    assert before == {
        "verified": True,
        "checks": ["malformed", "proof", "issuer", "validity", "status", "issuer-trusted"],
        "errors": [],
        "warnings": [],
        "status": "",
    }
    assert after["verified"] is False
    assert after["status"] == "revoked"
    assert [error["check"] for error in after["errors"]] == ["status"]
