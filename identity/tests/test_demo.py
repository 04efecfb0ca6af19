import io

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from busanhub import registry
from identity.demo import seed_demo
from identity.models import Credential, CredentialApplication
from identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_issues_a_set_for_the_demo_citizen():
    users = {"citizen": UserFactory(), "student": UserFactory()}

    seed_demo(stdout=io.StringIO(), users=users)
    seed_demo(stdout=io.StringIO(), users=users)

    assert sorted(
        Credential.objects.filter(holder=users["citizen"]).values_list("credential_type", flat=True)
    ) == ["AdultCredential", "BusanResidentCredential", "ExchangeKycCredential"]
    assert CredentialApplication.objects.get().applicant == users["student"]
    assert registry.demo_seeders().count(seed_demo) == 1


def test_dashboard_panel_counts_active_credentials(resident_credential, citizen):
    panel = next(p for p in registry.dashboard_panels() if p.slug == "identity")
    request = RequestFactory().get("/me/")
    request.user = citizen
    html = render_to_string(panel.template_name, panel.context(request))
    assert "You hold 1 active credential." in html
