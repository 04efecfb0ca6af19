"""The status check reads one byte of each list: every outcome of an entry."""

import copy

import pytest

from identity import services, verification

pytestmark = pytest.mark.django_db


def _status_errors(document) -> list[str]:
    result = verification.credential_verify(document, checks=["status"])
    return [e["message"] for e in result.errors if e["check"] == "status"]


def test_each_entry_outcome(resident_credential):
    # Given the entries of an issued credential, changed one way each
    entries = resident_credential.document["credentialStatus"]
    index = int(entries[0]["statusListIndex"])

    def with_entry(**changes):
        document = copy.deepcopy(resident_credential.document)
        document["credentialStatus"] = [{**entries[0], **changes}]
        return document

    url = entries[0]["statusListCredential"]

    # When each is checked, then the bits are set
    assert _status_errors(resident_credential.document) == []
    assert _status_errors(with_entry(statusListIndex="131072")) == [
        "The status list index is not valid."
    ]
    assert _status_errors(with_entry(statusListIndex="-1")) == [
        "The status list index is not valid."
    ]
    assert _status_errors(with_entry(statusListIndex="seven")) == [
        "The status list index is not valid."
    ]
    assert _status_errors(with_entry(statusListCredential=url + "-gone")) == [
        f"The status list {url}-gone is unknown."
    ]
    assert _status_errors(with_entry(statusListCredential=url + "?")) == [
        f"The status list {url}? is unknown."
    ]
    services.credential_suspend(credential=resident_credential, reason="check")
    assert _status_errors(resident_credential.document) == ["The credential is suspended."]
    neighbour = with_entry(
        statusListIndex=str(index ^ 1), statusListCredential=entries[1]["statusListCredential"]
    )
    assert _status_errors(neighbour) == []
