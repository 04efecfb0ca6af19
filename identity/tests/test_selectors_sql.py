"""`ValidCredentialExists` (over the SQL function `identity_credential_claims_valid`): the SQL
form of `user_has_valid_credential` (no claims)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import DateTimeField, F, Value
from django.utils import timezone

from identity import selectors, services
from identity.tests.factories import RESIDENT_CLAIMS, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()

RESIDENT = "BusanResidentCredential"


def sql_says(user, credential_type: str, now) -> bool:
    expression = selectors.ValidCredentialExists(
        F("pk"), Value(credential_type), Value(now, output_field=DateTimeField())
    )
    return User.objects.filter(pk=user.pk).values_list(expression, flat=True).get()


def issue(city, user, **kwargs):
    return services.credential_issue(
        issuer=city,
        subject_did=services.wallet_open(user=user).did,
        types=[RESIDENT],
        claims=dict(RESIDENT_CLAIMS),
        holder=user,
        **kwargs,
    )


def test_the_expression_agrees_with_the_selector_on_every_kind_of_credential(city):
    # given users holding credentials in every state the selector distinguishes
    now = timezone.now()
    users = {name: UserFactory() for name in ["valid", "revoked", "expired", "future", "none"]}
    issue(city, users["valid"], valid_from=now - timedelta(days=1))
    services.credential_revoke(credential=issue(city, users["revoked"]), reason="moved away")
    issue(
        city,
        users["expired"],
        valid_from=now - timedelta(days=2),
        valid_until=now - timedelta(seconds=1),
    )
    issue(city, users["future"], valid_from=now + timedelta(days=1))
    # when both are asked, then they agree, and only the valid credential counts
    answers = {
        name: (
            sql_says(user, RESIDENT, timezone.now()),
            selectors.user_has_valid_credential(user=user, credential_type=RESIDENT),
        )
        for name, user in users.items()
    }
    assert answers == {
        "valid": (True, True),
        "revoked": (False, False),
        "expired": (False, False),
        "future": (False, False),
        "none": (False, False),
    }
    # and another type or a later time is asked for exactly
    assert sql_says(users["valid"], "KycCredential", now) is False
    assert sql_says(users["future"], RESIDENT, now + timedelta(days=2)) is True
