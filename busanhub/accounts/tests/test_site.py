"""The portal's name reaches e-mails and pages (allauth reads the current Site)."""

import pytest
from django.contrib.sites.models import Site
from django.core import mail

pytestmark = pytest.mark.django_db


def test_the_site_is_named_busanhub_not_example_com():
    site = Site.objects.get_current()
    assert site.name == "부산허브 / BusanHub"
    assert "example.com" not in site.domain


def test_a_sign_up_confirmation_names_the_portal(client):
    client.post(
        "/accounts/signup/",
        {
            "name": "New Citizen",
            "email": "new@example.org",
            "password1": "a-long-pass-phrase-2026",
            "password2": "a-long-pass-phrase-2026",
            "accept_terms": "on",
        },
    )
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert body.startswith("부산허브 / BusanHub 안내 메일")
    # The link stands on a line of its own: no Korean particle glued to it
    link = next(line for line in body.splitlines() if "/accounts/confirm-email/" in line)
    assert link.startswith("http") and link.endswith("/")
    assert "example.com" not in mail.outbox[0].body
