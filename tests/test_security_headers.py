"""Security headers on every kind of response, and django-csp's own policy wherever a view
changes it (busanhub/content_security_policy.py builds the settings' policy once)."""

import pytest
from csp.utils import build_policy
from django.test import override_settings

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: sorted(part[1:]) for part in parts}


@pytest.mark.parametrize("path", ["/privacy/", "/api/v1/exchange/markets/", "/no-such-page/"])
def test_every_response_carries_the_settings_policy_and_the_security_headers(client, path):
    response = client.get(path)

    assert response.status_code in (200, 404)
    assert _directives(response["Content-Security-Policy"]) == _directives(build_policy())
    assert _directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy-Report-Only" not in response


def test_a_views_own_policy_still_applies(client):
    """The API docs widen style-src with `@csp_update`: that response keeps django-csp's own
    building, and the next plain response is back to the settings' policy."""
    docs = client.get("/api/docs/")
    plain = client.get("/privacy/")

    styles = _directives(docs["Content-Security-Policy"])["style-src"]
    assert styles == ["'self'", "'unsafe-inline'"]
    assert _directives(docs["Content-Security-Policy"])["worker-src"] == ["'self'", "blob:"]
    assert _directives(plain["Content-Security-Policy"])["style-src"] == ["'self'"]


def test_a_changed_setting_changes_the_header(client):
    policy = {"DIRECTIVES": {"default-src": ["'none'"]}}
    with override_settings(
        CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=policy
    ):
        response = client.get("/privacy/")
    after = client.get("/privacy/")

    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    assert _directives(after["Content-Security-Policy"]) == _directives(build_policy())
