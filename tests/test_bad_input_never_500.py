"""Every URL of the portal, walked with a NUL and with over-long values: never a 500.

The walk covers every route pattern (converters filled with sample values), anonymous and as a
superuser, so a view added later is covered without a test of its own."""

import re
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from busanhub.accounts.models import User

SAMPLES = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "uuid": str(uuid.UUID(int=1)),
    "path": "x",
}
CONVERTER = re.compile(r"<(?:(?P<kind>[^>:]+):)?(?P<name>[^>]+)>")
# Query parameters the portal's views read (lists, filters, Open311, EPCIS queries, pages).
PARAMETERS = [
    "q", "page", "limit", "status", "category", "service_code", "service_request_id",
    "start_date", "end_date", "bbox", "lat", "long", "radius", "market", "side", "interval",
    "since", "until", "EQ_bizStep", "MATCH_epc", "GE_eventTime", "nextPageToken", "format",
    "digest", "next", "lang", "kind", "district", "course", "asset",
]  # fmt: skip
LONG = "a" * 5000


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            route = getattr(entry.pattern, "_route", None)
            if route is None:  # a regular expression: the admin's app index, i18n
                continue
            yield from _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            route = getattr(entry.pattern, "_route", None)
            if route is not None:
                yield prefix + route


def _fill(route: str, value: str | None = None) -> str:
    def sample(match):
        return value if value is not None else SAMPLES.get(match["kind"] or "str", "x")

    return "/" + CONVERTER.sub(sample, route)


ROUTES = sorted(set(_routes(get_resolver().url_patterns)))
WITH_PARAMETERS = [route for route in ROUTES if CONVERTER.search(route)]


@pytest.fixture
def clients(db):
    """Anonymous and a superuser; answers as production gives them (no exception re-raised)."""
    admin = User.objects.create_superuser(email="root@example.com", password="x" * 12)
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(admin)
    return [Client(raise_request_exception=False), signed_in]


def _no_500(response, what):
    # /healthz answers 503 when the chain or the broker is down (as here): that is its job.
    allowed = {503} if what.startswith("healthz") else set()
    assert response.status_code < 500 or response.status_code in allowed, (
        f"{what} answered {response.status_code}"
    )


@pytest.mark.django_db
def test_a_nul_in_any_query_parameter_is_refused_with_400(clients):
    query = "&".join(f"{name}=%00" for name in PARAMETERS)
    for route in ROUTES:
        url = _fill(route)
        for client in clients:
            response = client.get(f"{url}?{query}")
            assert response.status_code == 400, f"{url} answered {response.status_code}"


@pytest.mark.django_db
def test_a_nul_in_any_path_parameter_is_refused_with_400(clients):
    for route in WITH_PARAMETERS:
        url = _fill(route, "a%00b")
        for client in clients:
            response = client.get(url)
            assert response.status_code in (400, 404), f"{url} answered {response.status_code}"


@pytest.mark.django_db
def test_over_long_values_never_answer_500(clients):
    query = "&".join(f"{name}={LONG}" for name in PARAMETERS)
    for route in ROUTES:
        for client in clients:
            _no_500(client.get(f"{_fill(route)}?{query}"), f"{route} with long parameters")
    for route in WITH_PARAMETERS:
        for client in clients:
            _no_500(client.get(_fill(route, LONG)), f"{route} with a long path value")


@pytest.mark.django_db
def test_a_nul_in_a_form_field_or_json_body_is_refused(client):
    response = client.post("/api/v1/vouchers/payment-requests/", {"memo": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "memo",
        "code": "control_character",
        "message": response.json()["detail"],
    }
    response = client.post(
        "/api/v1/vouchers/payment-requests/",
        data='{"memo": "a\\u0000b"}',
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "body"
    # The text "\u0000" (an escaped backslash) is harmless and reaches the view.
    response = client.post(
        "/api/v1/vouchers/payment-requests/",
        data='{"memo": "a\\\\u0000b"}',
        content_type="application/json",
    )
    assert response.status_code != 400 or "control" not in response.content.decode()


@pytest.mark.django_db
def test_refusals_speak_each_endpoints_error_format(client):
    response = client.get("/open311/v2/requests.json?service_code=%00")
    assert response.status_code == 400 and response.json()[0]["code"] == 400
    response = client.get("/open311/v2/requests.xml?service_code=%00")
    assert response.status_code == 400 and b"<errors><error><code>400</code>" in response.content
    response = client.get("/epcis/events?EQ_bizStep=%00")
    assert response.json()["type"] == "epcisException:QueryParameterException"
    assert response.json()["errors"][0]["path"] == "EQ_bizStep"
    response = client.get("/safety/map/?category=%00", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and b"control character" in response.content
    response = client.get("/safety/map/?category=%00", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 400 and "제어 문자" in response.content.decode()
    client.cookies["sessionid"] = "abcdefgh\x00"
    assert client.get("/").status_code == 400
