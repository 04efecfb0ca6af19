"""A batch signs its credentials before it takes the issuer's batch lock (_store_many): the lock
covers only settling the status entries and writing the rows, so two batches of one issuer
sign at the same time. Real signatures, real PostgreSQL, real threads, each its own
connection."""

import functools
import threading

import pytest
from django.db import connection, transaction

from busanhub.chain.models import AnchorLeaf
from busanhub.testing import lock_waits_watch, run_threads
from identity import dataintegrity, services, verification
from identity.models import Credential, StatusList
from identity.services.credentials import BATCH_LOCK_CLASS
from identity.tests.factories import status_entries_of


def _request(number: int) -> dict:
    return {
        "subject_did": f"did:example:holder{number}",
        "types": ["BusanResidentCredential"],
        "claims": {"district": "Haeundae-gu", "residentSince": "2020-05-01"},
    }


def _holds_batch_lock(issuer_pk: int) -> bool:
    """Whether this thread's connection holds the issuer's batch lock (pg_locks: a two-key
    advisory lock is classid, objid and objsubid 2)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND granted "
            "AND locktype = 'advisory' AND classid = %s::oid AND objid = %s::oid "
            "AND objsubid = 2)",
            [BATCH_LOCK_CLASS, issuer_pk],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_batch_signs_before_it_waits_and_re_signs_under_the_lock_only_what_it_lost(
    settings, monkeypatch
):
    # Given lists of 40 entries, and a caller whose batch of 35 is in flight (its transaction
    # stays open after the batch, holding the issuer's batch lock)
    settings.IDENTITY_STATUS_LIST_CAPACITY = 40
    city = services.city_issuer()
    services.status_lists_ensure(issuer=city)
    issued, release = threading.Event(), threading.Event()
    waits: list[tuple] = []
    signatures: dict[str, list[tuple[bool, int]]] = {"first": [], "second": []}
    real_proof_create = dataintegrity.proof_create

    def proof_create(document, **kwargs):
        who = threading.current_thread().name
        if who in signatures and "credentialStatus" in document:
            index = int(document["credentialStatus"][0]["statusListIndex"])
            signatures[who].append((_holds_batch_lock(city.pk), index))
        return real_proof_create(document, **kwargs)

    monkeypatch.setattr(dataintegrity, "proof_create", proof_create)

    def first() -> list[Credential]:
        threading.current_thread().name = "first"
        with transaction.atomic():
            credentials = services.credential_issue_many(
                issuer=city, requests=[_request(n) for n in range(35)]
            )
            issued.set()
            release.wait(30)
        return credentials

    def second() -> list[Credential]:
        threading.current_thread().name = "second"
        issued.wait(30)
        return services.credential_issue_many(
            issuer=city, requests=[_request(100 + n) for n in range(5)]
        )

    # When a second batch of five is issued meanwhile
    watch = functools.partial(lock_waits_watch, issued, release, waits)
    results = run_threads(3, lambda index: (first, second, watch)[index]())

    # Then the second batch signed its five before waiting on the lock, and under the lock
    # signed again exactly the credentials whose entries the first batch had taken
    assert [r for r in results if isinstance(r, Exception)] == []
    assert waits and waits[0] == ("Lock", "advisory"), waits
    unlocked = [index for locked, index in signatures["second"] if not locked]
    locked = [index for locked, index in signatures["second"] if locked]
    assert len(unlocked) == 5
    first_indexes = {c.status_index for c in results[0]}
    assert len(locked) == len(set(unlocked) & first_indexes)
    # ... the first batch signed every credential before its lock too
    assert [locked for locked, _index in signatures["first"]] == [False] * 35
    # ... and the 40 entries of list 1 are all taken, once each, by credentials that verify
    entries = status_entries_of(city)
    assert entries == [(1, index) for index in range(40)]
    for credential in [*results[0], *results[1]]:
        assert credential.status_index == int(
            credential.document["credentialStatus"][0]["statusListIndex"]
        )
        assert verification.credential_verify(credential.document).verified


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_and_single_issues_take_distinct_dense_entries_that_verify(settings):
    # Given lists of 40 entries
    settings.IDENTITY_STATUS_LIST_CAPACITY = 40
    city = services.city_issuer()
    services.status_lists_ensure(issuer=city)

    # When four batches of 15 and two single issues run at the same moment, each on its own
    # connection (62 entries: list 1 fills, list 2 opens)
    def work(index: int):
        if index < 4:
            return services.credential_issue_many(
                issuer=city, requests=[_request(index * 100 + n) for n in range(15)]
            )
        return [services.credential_issue(issuer=city, **_request(1000 + index))]

    results = run_threads(6, work)

    # Then none failed, none was lost, every entry is held once, list 1 is full before list 2
    # takes any, and every credential verifies with the entry it holds
    assert [r for r in results if isinstance(r, Exception)] == []
    issued = [credential for result in results for credential in result]
    assert len(issued) == Credential.objects.filter(issuer=city).count() == 62
    entries = status_entries_of(city)
    assert len(set(entries)) == 62
    assert [index for number, index in entries if number == 1] == list(range(40))
    assert len([1 for number, _index in entries if number == 2]) == 22
    assert StatusList.objects.filter(issuer=city).count() == 4
    assert AnchorLeaf.objects.filter(kind="identity.credential").count() == 62
    for credential in issued:
        entry = credential.document["credentialStatus"][0]
        assert (credential.status_list_number, credential.status_index) in set(entries)
        assert entry["statusListIndex"] == str(credential.status_index)
        assert verification.credential_verify(credential.document).verified


@pytest.mark.django_db
def test_a_signature_that_fails_leaves_no_row_and_no_gap(settings):
    # Given lists of 4 entries, and a batch whose third credential cannot be signed: its
    # context is not one B Pass ships, so the RDF canonical form (eddsa-rdfc-2022) fails
    settings.IDENTITY_STATUS_LIST_CAPACITY = 4
    city = services.city_issuer()
    services.status_lists_ensure(issuer=city)
    good = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:subject"},
    }
    bad = {**good, "@context": [*good["@context"], "https://unknown.example/context.jsonld"]}
    counts = (Credential.objects.count(), AnchorLeaf.objects.count(), StatusList.objects.count())

    # When the batch is issued with status entries
    with pytest.raises(Exception) as refused:
        services.credential_issue_documents(
            issuer=city,
            requests=[
                {"credential": credential, "cryptosuite": "eddsa-rdfc-2022", "with_status": True}
                for credential in (good, good, bad)
            ],
        )

    # Then it is refused naming the item, nothing was written, and the next four credentials
    # take list 1's four entries (none was left reserved by the failed batch)
    assert list(refused.value.message_dict) == ["credentials[2].credential"]
    assert (
        Credential.objects.count(),
        AnchorLeaf.objects.count(),
        StatusList.objects.count(),
    ) == counts
    services.credential_issue_many(issuer=city, requests=[_request(n) for n in range(4)])
    assert status_entries_of(city) == [(1, index) for index in range(4)]
