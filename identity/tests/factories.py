import factory

from busanhub.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from identity import credential_types as ct
from identity.models import CredentialApplication

__all__ = ["PASSWORD", "ApplicationFactory", "IssuerStaffFactory", "UserFactory"]

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
