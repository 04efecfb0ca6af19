import factory

from busanhub.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from identity import credential_types as ct
from identity.models import Credential, CredentialApplication

__all__ = [
    "PASSWORD",
    "ApplicationFactory",
    "IssuerStaffFactory",
    "UserFactory",
    "status_entries_of",
]

RESIDENT_CLAIMS = {"district": "Haeundae-gu", "residentSince": "2020-05-01"}
RESIDENT_EVIDENCE = {"document": "resident_registration", "address": "Haeundae-ro 100, Busan"}


def IssuerStaffFactory(**kwargs):  # noqa: N802 (reads like the other factories)
    """A member of the identity-issuer staff group."""
    return StaffFactory(roles=["identity-issuer"], **kwargs)


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CredentialApplication

    applicant = factory.SubFactory(UserFactory)
    credential_type = ct.RESIDENT
    claims = factory.LazyFunction(lambda: dict(RESIDENT_CLAIMS))
    evidence_details = factory.LazyFunction(lambda: dict(RESIDENT_EVIDENCE))
    evidence = "resident registration 2020"


def status_entries_of(issuer) -> list[tuple[int, int]]:
    """The (status list number, index) of every credential the issuer holds, in order."""
    return list(
        Credential.objects.filter(issuer=issuer)
        .order_by("status_list_number", "status_index")
        .values_list("status_list_number", "status_index")
    )
