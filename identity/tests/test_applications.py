"""A citizen applies with evidence (pre-filled from their profile and earlier applications);
staff see that evidence in the admin."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from identity import services
from identity.models import CredentialApplication
from identity.tests.factories import (
    RESIDENT_CLAIMS,
    RESIDENT_EVIDENCE,
    ApplicationFactory,
    IssuerStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_application_keeps_the_evidence_its_type_asks_for(citizen):
    application = services.application_submit(
        applicant=citizen,
        credential_type="StudentCredential",
        claims={
            "university": "Pukyong National University",
            "programme": "Marine Biology",
            "studentUntil": "2030-02-28",
        },
        evidence_details={"document": "student_card", "student_number": "  202401234 "},
    )

    application.refresh_from_db()
    assert application.evidence_details == {
        "document": "student_card",
        "student_number": "202401234",
    }


@pytest.mark.parametrize(
    ("details", "errors"),
    [
        ({"document": "resident_registration"}, {"address": "required"}),
        ({"document": "passport", "address": "Suyeong-ro 1"}, {"document": "documents accepted"}),
        (
            {"document": "lease", "address": "Suyeong-ro 1", "student_number": "1"},
            {"student_number": "does not use"},
        ),
        ({"document": "lease", "address": "x" * 201}, {"address": "under 200 characters"}),
    ],
)
def test_application_with_missing_or_wrong_evidence_is_refused(citizen, details, errors):
    with pytest.raises(ValidationError) as excinfo:
        services.application_submit(
            applicant=citizen,
            credential_type="BusanResidentCredential",
            claims=dict(RESIDENT_CLAIMS),
            evidence_details=details,
        )

    assert set(excinfo.value.message_dict) == set(errors)
    for field, words in errors.items():
        assert words in excinfo.value.message_dict[field][0]
    assert CredentialApplication.objects.count() == 0


def test_apply_form_is_prefilled_from_profile_and_earlier_applications(client):
    citizen = UserFactory(name="Kim Minji", preferred_language="en")
    ApplicationFactory(
        applicant=citizen,
        status=CredentialApplication.Status.REJECTED,
        claims={"district": "Suyeong-gu", "residentSince": "2019-03-01"},
        evidence_details={"document": "lease", "address": "Gwangan-ro 7, Busan"},
    )
    client.force_login(citizen)

    response = client.get(reverse("identity:apply") + "?type=BusanResidentCredential")

    form = response.context["form"]
    assert form["credential_type"].value() == "BusanResidentCredential"
    assert form["district"].value() == "Suyeong-gu"
    assert form["residentSince"].value() == "2019-03-01"
    assert form["address"].value() == "Gwangan-ro 7, Busan"
    assert form["full_name"].value() == "Kim Minji"
    # The document is chosen again: each credential accepts other documents.
    assert form["document"].value() is None


def test_apply_form_prefers_the_name_given_on_an_earlier_document(client):
    citizen = UserFactory(name="Minji", preferred_language="en")
    ApplicationFactory(
        applicant=citizen,
        credential_type="ExchangeKycCredential",
        claims={"kycLevel": 2},
        evidence_details={"document": "passport", "full_name": "KIM MIN JI"},
    )
    client.force_login(citizen)

    form = client.get(reverse("identity:apply")).context["form"]

    assert form["full_name"].value() == "KIM MIN JI"
    assert form["kycLevel"].value() == 2


def test_apply_with_evidence_stores_it(client, citizen):
    client.force_login(citizen)

    response = client.post(
        reverse("identity:apply"),
        {
            "credential_type": "BusanResidentCredential",
            "district": "Haeundae-gu",
            "residentSince": "2020-05-01",
            "document": "utility_bill",
            "address": "Haeundae-ro 100, Busan",
            "student_number": "ignored for this type",
        },
    )

    assert response.status_code == 302
    application = CredentialApplication.objects.get()
    assert application.claims == RESIDENT_CLAIMS
    assert application.evidence_details == {
        "document": "utility_bill",
        "address": "Haeundae-ro 100, Busan",
    }


def test_apply_without_evidence_is_refused_in_the_users_language(client):
    citizen = UserFactory(preferred_language="ko")
    client.force_login(citizen)

    response = client.post(
        reverse("identity:apply"),
        {
            "credential_type": "BusanResidentCredential",
            "district": "Haeundae-gu",
            "residentSince": "2020-05-01",
            "document": "passport",
        },
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["address"] == ["이 증명서에는 이 항목이 필요합니다."]
    assert form.errors["document"] == ["이 증명서에 인정되는 서류 중에서 고르세요."]
    assert CredentialApplication.objects.count() == 0


def test_staff_see_the_evidence_when_approving(client):
    citizen = UserFactory(name="Park Jiwoo", email="jiwoo@example.kr")
    application = ApplicationFactory(applicant=citizen, evidence_details=dict(RESIDENT_EVIDENCE))
    client.force_login(IssuerStaffFactory(preferred_language="en"))

    html = client.get(
        reverse("admin:identity_credentialapplication_change", args=[application.pk])
    ).content.decode()

    assert "Park Jiwoo" in html
    assert "jiwoo@example.kr" in html
    assert "Resident registration abstract" in html
    assert "Haeundae-ro 100, Busan" in html
    assert "Haeundae-gu" in html
    assert "Resident since" in html
