"""Status list index allocation: random, unique per issuer and list, and a collision retries."""

import pytest

from busanhub.testing import run_threads
from identity import services
from identity.models import Credential
from identity.services import status as status_services

SUBJECT = "did:example:holder"


def _issue(city, number: int) -> Credential:
    return services.credential_issue(
        issuer=city,
        subject_did=f"{SUBJECT}{number}",
        types=["BusanResidentCredential"],
        claims={"district": "Haeundae-gu", "residentSince": "2020-05-01"},
    )


@pytest.mark.django_db
def test_a_collision_on_the_status_index_retries_with_a_new_index(city, monkeypatch):
    # Given an index already taken, and an allocator that hands it out once more (as when a
    # concurrent issue commits between the free-index check and the insert)
    taken = _issue(city, 1).status_index
    real_allocate = status_services.status_entries_allocate
    handed = []

    def draw_taken(*, issuer):
        handed.append(taken)
        return (1, taken), False

    def allocate(*, issuer, count):
        entries = real_allocate(issuer=issuer, count=count)
        handed.extend(index for _number, index in entries)
        return entries

    monkeypatch.setattr(status_services, "status_entry_draw", draw_taken)
    monkeypatch.setattr(status_services, "status_entries_allocate", allocate)

    # When a credential is issued
    credential = _issue(city, 2)

    # Then it gets the second index drawn, in its row and in its signed status entries
    assert handed[0] == taken
    assert len(handed) == 2
    assert credential.status_index == handed[1] != taken
    entries = credential.document["credentialStatus"]
    assert {e["statusListIndex"] for e in entries} == {str(handed[1])}
    assert Credential.objects.count() == 2


@pytest.mark.django_db
def test_issuing_fails_cleanly_when_every_retry_collides(city, monkeypatch):
    from django.core.exceptions import ValidationError

    taken = _issue(city, 1).status_index
    monkeypatch.setattr(status_services, "status_entry_draw", lambda *, issuer: ((1, taken), False))
    monkeypatch.setattr(
        status_services, "status_entries_allocate", lambda *, issuer, count: [(1, taken)] * count
    )

    with pytest.raises(ValidationError) as excinfo:
        _issue(city, 2)

    assert "credentialStatus" in excinfo.value.message_dict
    assert Credential.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_credentials_issued_concurrently_get_distinct_indexes(settings):
    # Given a city whose status lists exist with 48 entries to hand out, so that twenty
    # concurrent issues collide often (the real lists have 131,072)
    settings.IDENTITY_STATUS_LIST_CAPACITY = 48
    city = services.city_issuer()
    services.status_lists_ensure(issuer=city)
    count = 20

    # When twenty threads issue at the same moment
    results = run_threads(count, lambda number: _issue(city, number))

    # Then every issue succeeded, each with its own index
    assert [r for r in results if not isinstance(r, Credential)] == []
    indexes = list(Credential.objects.filter(issuer=city).values_list("status_index", flat=True))
    assert len(indexes) == count
    assert len(set(indexes)) == count
    assert all(0 <= index < 48 for index in indexes)
