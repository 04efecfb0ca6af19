"""Every refusal of the portal API carries machine-readable codes (busanhub.api)."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework.test import APIClient

from busanhub.api import error_body, exception_handler


def test_django_validation_error_codes_reach_the_answer():
    exc = DjangoValidationError(
        {"amount": DjangoValidationError("Over the cap.", code="over_limit"), "memo": "Too long."}
    )
    response = exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data["amount"] == ["Over the cap."]
    assert response.data["errors"] == [
        {"field": "amount", "code": "over_limit", "message": "Over the cap."},
        {"field": "memo", "code": "invalid", "message": "Too long."},
    ]
    assert response.data["detail"] == "Over the cap."


def test_a_refusal_of_the_whole_request_names_no_field():
    response = exception_handler(DjangoValidationError("Closed.", code="halted"), {})
    assert response.data == {
        "detail": "Closed.",
        "errors": [{"field": None, "code": "halted", "message": "Closed."}],
    }
    response = exception_handler(exceptions.NotAuthenticated(), {})
    assert response.status_code == 401
    assert response.data["errors"][0]["code"] == "not_authenticated"
    assert response.data["errors"][0]["field"] is None


def test_nested_errors_are_named_by_their_path():
    detail = {
        "events": [{}, {"quantity": [ErrorDetail("Too many.", code="max_value")]}],
        "non_field_errors": [ErrorDetail("Inconsistent.", code="inconsistent")],
    }
    assert error_body(detail)["errors"] == [
        {"field": "events.1.quantity", "code": "max_value", "message": "Too many."},
        {"field": None, "code": "inconsistent", "message": "Inconsistent."},
    ]
    assert error_body(detail)["detail"] == "Inconsistent."


@pytest.mark.django_db
def test_answers_views_write_by_hand_and_unknown_urls_carry_errors_too():
    client = APIClient()
    # A view's own Response({"interval": [...]}, status=400) (no exception raised)
    response = client.get("/api/v1/exchange/markets/ETH-KRW/candles/?interval=2m")
    assert response.status_code in (400, 404)
    assert response.json()["errors"][0]["code"] in ("invalid", "not_found")
    # A URL under /api/ that resolves to no view answers JSON, not the portal's 404 page
    response = client.get("/api/v1/exchange/orders/not-a-uuid/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["errors"] == [
        {"field": None, "code": "not_found", "message": "Not found."}
    ]
    # A serializer's refusal keeps DRF's key and gains the code
    response = client.post("/vc-api/credentials/verify", {}, format="json")
    assert response.status_code == 400
    assert ("verifiableCredential", "required") in {
        (error["field"], error["code"]) for error in response.json()["errors"]
    }


def test_the_schema_documents_the_error_body_on_every_operation(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["schemas"]["ErrorItem"]["required"] == ["field", "code", "message"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("400", "404", "429"):
                assert status in operation["responses"], (method, path, status)
            if "requestBody" in operation:
                assert "413" in operation["responses"], (method, path)
