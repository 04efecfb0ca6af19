"""Staff approve or reject one application from its admin page (issue #18 item 9): the page is
read-only and in words, the buttons POST to staff-only views that call the identity services."""

import pytest
from django.core import mail
from django.urls import reverse

from busanhub.accounts.tests.factories import StaffFactory
from identity.models import Credential, CredentialApplication
from identity.tests.factories import ApplicationFactory, IssuerStaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _url(application, decision):
    return reverse(f"admin:identity_credentialapplication_{decision}", args=[application.pk])


def _page(application):
    return reverse("admin:identity_credentialapplication_change", args=[application.pk])


@pytest.fixture
def application():
    return ApplicationFactory(applicant=UserFactory(preferred_language="en"))


@pytest.fixture
def staff(client):
    user = IssuerStaffFactory(preferred_language="en")
    client.force_login(user)
    return user


def test_the_page_shows_the_application_in_words_without_raw_json_or_delete(
    client, staff, application
):
    html = client.get(_page(application)).content.decode()

    assert "Busan resident" in html
    assert "Haeundae-gu" in html
    assert 'name="claims"' not in html
    assert 'name="evidence_details"' not in html
    assert "deletelink" not in html
    assert 'name="_save"' not in html
    assert _url(application, "approve") in html
    assert _url(application, "reject") in html


def test_the_page_reads_in_korean_for_korean_staff(client, application):
    client.force_login(IssuerStaffFactory(preferred_language="ko"))

    html = client.get(_page(application), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "해운대구" in html
    assert "Haeundae-gu" not in html
    assert "부산 시민" in html
    assert "BusanResidentCredential" not in html


def test_approve_issues_the_credential_and_emails_the_applicant(
    client, staff, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(application, "approve"))

    assert response.status_code == 302
    assert response["Location"] == _page(application)
    application.refresh_from_db()
    assert application.status == "approved"
    assert application.decided_by == staff
    assert Credential.objects.get() == application.credential
    assert application.credential.holder == application.applicant
    assert len(mail.outbox) == 1
    assert "Your Busan resident is now in your B Pass wallet" in mail.outbox[0].body
    html = client.get(_page(application)).content.decode()
    assert 'data-status="approved"' in html
    assert _url(application, "approve") not in html


def test_reject_stores_the_reason_shows_it_to_the_citizen_and_emails_it(
    client, staff, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(application, "reject"), {"reason": "The lease has expired."})

    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decision_reason) == (
        "rejected",
        "The lease has expired.",
    )
    assert Credential.objects.count() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].body == (
        "Your application for Busan resident was not approved: The lease has expired."
    )
    assert "The lease has expired." in client.get(_page(application)).content.decode()
    client.force_login(application.applicant)
    assert "The lease has expired." in client.get(reverse("identity:wallet")).content.decode()


def test_the_email_names_the_credential_in_the_applicants_language(
    client, staff, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(applicant=UserFactory(preferred_language="ko"))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(application, "reject"), {"reason": "서류가 만료되었습니다."})

    assert mail.outbox[0].body == "부산 시민 신청이 승인되지 않았습니다: 서류가 만료되었습니다."


def test_reject_without_a_reason_is_a_form_error_and_changes_nothing(client, staff, application):
    response = client.post(_url(application, "reject"), {"reason": "  "})

    assert response.status_code == 200
    assert response.context["decision_form"].errors == {"reason": ["Give a reason."]}
    assert "Give a reason." in response.content.decode()
    application.refresh_from_db()
    assert (application.status, application.decided_by) == ("pending", None)
    assert len(mail.outbox) == 0


def test_a_second_approve_changes_nothing(
    client, staff, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(application, "approve"))
        response = client.post(_url(application, "approve"), follow=True)

    assert response.status_code == 200
    assert "This application has already been decided." in response.content.decode()
    assert Credential.objects.count() == 1
    assert len(mail.outbox) == 1
    application.refresh_from_db()
    assert application.status == "approved"


def test_a_reject_after_an_approve_changes_nothing(client, staff, application):
    client.post(_url(application, "approve"))
    client.post(_url(application, "reject"), {"reason": "changed my mind"})

    application.refresh_from_db()
    assert (application.status, application.decision_reason) == ("approved", "")


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_citizens_and_other_staff_are_refused(client, application, decision):
    for user in (application.applicant, StaffFactory(roles=["staff-safety"])):
        client.force_login(user)
        response = client.post(_url(application, decision), {"reason": "no"})
        assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == "pending"
    assert Credential.objects.count() == 0


def test_a_decision_needs_a_post(client, staff, application):
    assert client.get(_url(application, "approve")).status_code == 405
    application.refresh_from_db()
    assert application.status == "pending"


def test_an_unknown_application_is_a_404(client, staff):
    assert client.post("/admin/identity/credentialapplication/999999/approve/").status_code == 404
    assert client.post("/admin/identity/credentialapplication/x/reject/").status_code == 404


def test_the_page_cannot_be_saved_or_deleted(client, staff, application):
    client.post(_page(application), {"evidence": "edited"})
    response = client.post(
        reverse("admin:identity_credentialapplication_delete", args=[application.pk]),
        {"post": "yes"},
    )

    assert response.status_code == 403
    application.refresh_from_db()
    assert application.evidence == "resident registration 2020"
    assert CredentialApplication.objects.count() == 1


def test_the_bulk_action_takes_the_same_path(client, staff, application):
    response = client.post(
        reverse("admin:identity_credentialapplication_changelist"),
        {"action": "reject", "_selected_action": [application.pk], "reason": "expired"},
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decision_reason) == ("rejected", "expired")
