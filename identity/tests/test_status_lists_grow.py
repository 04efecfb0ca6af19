"""An issuer's status lists grow: when list n has no free index, issuing opens list n + 1 (its
own URL and signed BitstringStatusListCredential). The lists are given a few entries to hand
out (IDENTITY_STATUS_LIST_CAPACITY) so that they fill in a test; their bitstrings keep the
specification's 131,072 entries. Real signatures, real PostgreSQL, real threads."""

import functools
import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from busanhub.chain.models import AnchorLeaf
from busanhub.testing import lock_waits_watch, run_threads
from identity import services, statuslist, verification
from identity.models import Credential, StatusList
from identity.services import status as status_services
from identity.tests.factories import status_entries_of

SUBJECT = "did:example:holder"


def _request(number: int) -> dict:
    return {
        "subject_did": f"{SUBJECT}{number}",
        "types": ["BusanResidentCredential"],
        "claims": {"district": "Haeundae-gu", "residentSince": "2020-05-01"},
    }


def _issue(city, number: int) -> Credential:
    return services.credential_issue(issuer=city, **_request(number))


def _list_url(city, purpose: str, number: int) -> str:
    slug = status_services.status_list_slug(issuer=city, purpose=purpose, number=number)
    return f"{settings.SITE_URL.rstrip('/')}/identity/status/{slug}"


def _assert_entries_name_their_list(credential: Credential) -> None:
    entries = credential.document["credentialStatus"]
    assert [e["statusListCredential"].rsplit("/", 1)[1] for e in entries] == [
        status_services.status_list_slug(
            issuer=credential.issuer, purpose=purpose, number=credential.status_list_number
        )
        for purpose in ("revocation", "suspension")
    ]
    assert {e["statusListIndex"] for e in entries} == {str(credential.status_index)}


@pytest.mark.django_db
def test_single_issues_open_the_next_list_when_the_current_one_is_full(city, settings):
    # Given lists that hand out three entries each
    settings.IDENTITY_STATUS_LIST_CAPACITY = 3

    # When seven credentials are issued one by one
    issued = [_issue(city, number) for number in range(7)]

    # Then three are on list 1, three on list 2 and one on list 3, each index within its list
    assert [c.status_list_number for c in issued] == [1, 1, 1, 2, 2, 2, 3]
    assert sorted(status_entries_of(city)[:6]) == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert status_entries_of(city)[6][0] == 3 and 0 <= status_entries_of(city)[6][1] < 3
    # and each list pair exists with its own URL, signed, 131,072 entries long
    lists = StatusList.objects.filter(issuer=city).order_by("number", "purpose")
    assert [(s.number, s.purpose, s.slug) for s in lists] == [
        (n, p, status_services.status_list_slug(issuer=city, purpose=p, number=n))
        for n in (1, 2, 3)
        for p in ("revocation", "suspension")
    ]
    assert {s.slug for s in lists if s.number == 2} == {
        f"{city.slug}-revocation-2",
        f"{city.slug}-suspension-2",
    }
    for status_list in lists:
        assert status_list.credential["id"] == _list_url(
            city, status_list.purpose, status_list.number
        )
        assert (
            len(statuslist.decode(status_list.credential["credentialSubject"]["encodedList"])) * 8
            == 131_072
        )
        assert verification.credential_verify(status_list.credential).verified
    # and every credential names its own list and verifies
    for credential in issued:
        _assert_entries_name_their_list(credential)
        assert verification.credential_verify(credential.document).verified


@pytest.mark.django_db
def test_a_batch_spans_the_current_list_and_the_next(city, settings):
    # Given a list of four entries, two of them taken
    settings.IDENTITY_STATUS_LIST_CAPACITY = 4
    first = [_issue(city, number) for number in range(2)]

    # When a batch of five is issued
    issued = services.credential_issue_many(
        issuer=city, requests=[_request(number) for number in range(10, 15)]
    )

    # Then the batch filled list 1 and went on on list 2, in the order asked
    assert [c.document["credentialSubject"]["id"] for c in issued] == [
        f"{SUBJECT}{number}" for number in range(10, 15)
    ]
    assert sorted(c.status_list_number for c in issued) == [1, 1, 2, 2, 2]
    assert sorted(status_entries_of(city)) == [
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        *sorted((2, c.status_index) for c in issued if c.status_list_number == 2),
    ]
    assert all(0 <= c.status_index < 4 for c in [*first, *issued])
    assert StatusList.objects.filter(issuer=city, number=2).count() == 2
    for credential in issued:
        _assert_entries_name_their_list(credential)
        assert verification.credential_verify(credential.document).verified


@pytest.mark.django_db
def test_a_refused_batch_spanning_two_lists_writes_nothing_and_opens_no_list(city, settings):
    # Given a full list of two entries
    settings.IDENTITY_STATUS_LIST_CAPACITY = 2
    [_issue(city, number) for number in range(2)]
    credentials, leaves = Credential.objects.count(), AnchorLeaf.objects.count()
    bad = {**_request(9), "claims": {"district": "Haeundae-gu", "residentSince": "soon"}}

    # When a batch whose last request is invalid is issued
    with pytest.raises(ValidationError) as refused:
        services.credential_issue_many(issuer=city, requests=[_request(5), _request(6), bad])

    # Then the error names it, and no credential, leaf or list was written
    assert list(refused.value.message_dict) == ["credentials[2].residentSince"]
    assert Credential.objects.count() == credentials
    assert AnchorLeaf.objects.count() == leaves
    assert not StatusList.objects.filter(issuer=city, number=2).exists()


@pytest.mark.django_db
def test_revoking_and_suspending_on_the_second_list_are_published_in_its_credential(
    city, settings, client
):
    # Given lists of one entry: the second credential is on list 2
    settings.IDENTITY_STATUS_LIST_CAPACITY = 1
    on_first, on_second, suspended = (_issue(city, number) for number in range(3))
    assert (on_first.status_list_number, on_second.status_list_number) == (1, 2)
    first_versions = dict(
        StatusList.objects.filter(issuer=city, number=1).values_list("purpose", "version")
    )

    # When the credential on list 2 is revoked, and the one on list 3 suspended
    services.credential_revoke(credential=on_second, reason="Moved out of Busan")
    services.credential_suspend(credential=suspended, reason="Under review")

    # Then list 2's published revocation list has its bit set, and is signed
    response = client.get(f"/identity/status/{city.slug}-revocation-2")
    assert response.status_code == 200
    published = response.json()
    assert published["id"] == _list_url(city, "revocation", 2)
    bits = statuslist.decode(published["credentialSubject"]["encodedList"])
    assert statuslist.get_bit(bits, on_second.status_index) is True
    assert verification.credential_verify(published).verified
    # and a verifier finds the credential revoked, the suspended one suspended
    revoked = verification.credential_verify(on_second.document)
    assert (revoked.verified, revoked.status) == (False, "revoked")
    held = verification.credential_verify(suspended.document)
    assert (held.verified, held.status) == (False, "suspended")
    suspension = client.get(f"/identity/status/{city.slug}-suspension-3").json()
    assert statuslist.get_bit(
        statuslist.decode(suspension["credentialSubject"]["encodedList"]), suspended.status_index
    )
    # and list 1 was not touched: its credential still verifies
    assert verification.credential_verify(on_first.document).verified
    assert (
        dict(StatusList.objects.filter(issuer=city, number=1).values_list("purpose", "version"))
        == first_versions
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_of_the_last_free_entries_move_to_the_next_list(settings):
    # Given lists of four entries, list 1 made
    settings.IDENTITY_STATUS_LIST_CAPACITY = 4
    city = services.city_issuer()
    services.status_lists_ensure(issuer=city)

    # When ten threads issue at the same moment
    results = run_threads(10, lambda number: _issue(city, number))

    # Then every issue succeeded: lists 1 and 2 full, two entries on list 3, none twice
    assert [r for r in results if not isinstance(r, Credential)] == []
    entries = status_entries_of(city)
    assert len(set(entries)) == 10
    assert [number for number, _index in entries] == [1] * 4 + [2] * 4 + [3] * 2
    assert all(0 <= index < 4 for _number, index in entries)
    assert StatusList.objects.filter(issuer=city).count() == 6
    for credential in results:
        _assert_entries_name_their_list(credential)


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_spanning_lists_neither_deadlock_nor_share_an_entry(settings):
    # Given lists of eight entries
    settings.IDENTITY_STATUS_LIST_CAPACITY = 8
    city = services.city_issuer()
    services.status_lists_ensure(issuer=city)

    # When four batches of five are issued at the same moment, each on its own connection
    results = run_threads(
        4,
        lambda batch: services.credential_issue_many(
            issuer=city, requests=[_request(batch * 10 + n) for n in range(5)]
        ),
    )

    # Then none failed, and the 20 credentials fill lists 1 and 2 and half of list 3
    assert [r for r in results if isinstance(r, Exception)] == []
    entries = status_entries_of(city)
    assert len(set(entries)) == 20
    assert [number for number, _index in entries] == [1] * 8 + [2] * 8 + [3] * 4
    for batch in results:
        for credential in batch:
            _assert_entries_name_their_list(credential)


_FILL_SQL = (
    "INSERT INTO identity_credential (public_id, issuer_id, subject_did, credential_type, "
    "claims, document, cryptosuite, digest, status_list_number, status_index, status, "
    "status_reason, version, issued_at) "
    "SELECT gen_random_uuid(), %s, '', 'FillerCredential', '{}', '{}', 'eddsa-jcs-2022', "
    "'filler-' || position, 1, position, 'active', '', 1, now() "
    "FROM generate_series(0, 131071) AS position WHERE NOT (position = ANY(%s))"
)


@pytest.mark.django_db
def test_a_full_size_list_hands_out_its_last_free_indexes_then_opens_the_next(city):
    # Given list 1 at its real size (131,072) with every index but two held (one INSERT)
    services.status_lists_ensure(issuer=city)
    assert StatusList.objects.get(issuer=city, purpose="revocation", number=1).capacity == 131_072
    free = [4242, 99_999]
    with connection.cursor() as cursor:
        cursor.execute(_FILL_SQL, [city.pk, free])

    # When one credential is issued, then a batch of three
    single = _issue(city, 1)
    batch = services.credential_issue_many(
        issuer=city, requests=[_request(number) for number in range(2, 5)]
    )

    # Then the single issue and the batch took list 1's last two indexes, and the batch's
    # other two are on list 2, which it opened
    on_first = sorted(c.status_index for c in [single, *batch] if c.status_list_number == 1)
    assert on_first == free
    assert sorted(c.status_list_number for c in batch) == [1, 2, 2]
    assert StatusList.objects.filter(issuer=city, number=2).count() == 2
    assert Credential.objects.filter(issuer=city, status_list_number=1).count() == 131_072
    for credential in [single, *batch]:
        _assert_entries_name_their_list(credential)
        assert verification.credential_verify(credential.document).verified


@pytest.mark.django_db(transaction=True)
def test_a_batch_waits_for_a_batch_in_flight_before_choosing_its_entries(settings):
    # Given lists of 40 entries, and a caller whose batch of 35 is in flight: its transaction
    # (a seeding chunk, a request doing more work) stays open after the batch
    settings.IDENTITY_STATUS_LIST_CAPACITY = 40
    city = services.city_issuer()
    services.status_lists_ensure(issuer=city)
    issued, release = threading.Event(), threading.Event()
    waits: list[tuple] = []

    def first() -> list[Credential]:
        with transaction.atomic():
            credentials = services.credential_issue_many(
                issuer=city, requests=[_request(n) for n in range(35)]
            )
            issued.set()
            release.wait(30)
        return credentials

    def second() -> list[Credential]:
        issued.wait(30)
        return services.credential_issue_many(
            issuer=city, requests=[_request(100 + n) for n in range(5)]
        )

    # When a second batch of five is issued meanwhile
    watch = functools.partial(lock_waits_watch, issued, release, waits)
    results = run_threads(3, lambda index: (first, second, watch)[index]())

    # Then it waited for the first batch's transaction before choosing (an advisory lock, not
    # a taken entry: choosing among the entries it could see free, it picked the first's
    # uncommitted ones and went again, which at a city's scale ran out of attempts), and took
    # the five entries left on list 1
    assert waits and waits[0] == ("Lock", "advisory"), waits
    assert [r for r in results if isinstance(r, Exception)] == []
    entries = status_entries_of(city)
    assert len(entries) == len(set(entries)) == 40
    assert {number for number, _index in entries} == {1}
    assert {c.status_list_number for c in results[1]} == {1}
