"""Shared DRF plumbing: one error shape for every API of the portal, and its schema.

Every refusal answers

    {"detail": "…", "errors": [{"field": "amount", "code": "over_limit", "message": "…"}]}

beside DRF's own keys (`{"amount": ["…"]}` for a serializer's errors, `detail` otherwise), so
clients written against DRF keep working while new ones read machine-readable codes. A code
comes from DRF's `ErrorDetail.code` or a Django `ValidationError(code=…)` raised by a service;
a message without one is `invalid`. `field` is the input's path (`events.0.quantity`), or null
for a refusal of the whole request (authentication, permission, throttling, not found).

`errors_postprocess` documents that body as the `Error` component on every operation: 400,
401/403 (where the operation takes credentials), 404, 405, 413 (where a request body has a
limit), 415 (where it takes a body) and 429.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# The shape itself lives beside the renderer, which DRF's settings import before its views.
from busanhub.errors import FALLBACK_CODE, ErrorJSONRenderer, error_body, error_items

__all__ = ["ErrorJSONRenderer", "error_body", "error_items", "exception_handler"]


def exception_handler(exc, context):
    """DRF's handler with codes kept; Django ValidationErrors from services answer 400."""
    if isinstance(exc, DjangoValidationError):
        # get_error_detail keeps each message's code (`ValidationError(..., code="over_limit")`).
        exc = exceptions.ValidationError(detail=get_error_detail(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code >= status.HTTP_400_BAD_REQUEST:
        response.data = error_body(response.data)
    return response


def error_response(field: str, message: str, code: int = 400, *, error_code: str = "") -> Response:
    """A refusal of one input, in the portal's error shape."""
    detail = ErrorDetail(message, code=error_code or FALLBACK_CODE)
    return Response(error_body({field: [detail]}), status=code)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, plus `allowEmptyValue` on optional query parameters that accept an
    empty value: the fields of a query serializer (DRF reads `?until=` as "not given",
    Field.get_value) and `OpenApiParameter`s left `allow_blank` (say `allow_blank=False` where
    an empty value is refused)."""

    def _process_override_parameters(self, direction="request"):
        result = super()._process_override_parameters(direction)
        for parameter in self.get_override_parameters():
            if isinstance(parameter, OpenApiParameter):
                documented = result.get((parameter.name, "query"))
                if (
                    parameter.location == "query"
                    and isinstance(documented, dict)
                    and parameter.allow_blank
                    and not parameter.required
                ):
                    documented["allowEmptyValue"] = True
                continue
            parameter = force_instance(parameter)
            if not isinstance(parameter, serializers.Serializer):
                continue
            for name, field in parameter.fields.items():
                documented = result.get((name, "query"))
                if isinstance(documented, dict) and not field.required:
                    documented["allowEmptyValue"] = True
        return result


# The schema: one component, added to every operation by a drf-spectacular postprocessing hook.

ERROR_ITEM = {
    "type": "object",
    "properties": {
        "field": {
            "type": "string",
            "nullable": True,
            "description": "The input's path (`amount`, `events.0.quantity`), or null for the "
            "request as a whole.",
        },
        "code": {
            "type": "string",
            "description": "Machine-readable: `invalid`, `required`, `over_limit`, "
            "`insufficient_funds`, `not_authenticated`, `throttled`, …",
        },
        "message": {"type": "string", "description": "For people, in the request's language."},
    },
    "required": ["field", "code", "message"],
}
ERROR = {
    "type": "object",
    "description": "A refusal. DRF's keys (`detail`, or one list of messages per input) are "
    "kept beside `errors`.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorItem"}},
    },
    "required": ["detail", "errors"],
    "additionalProperties": True,
}
EPCIS_EXCEPTION = {
    "type": "object",
    "description": "An EPCIS 2.0 exception document; `errors` name the JSON path of each "
    "problem (`$.epcisBody.eventList[3].eventTime`).",
    "properties": {
        "type": {"type": "string", "example": "epcisException:ValidationException"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "parameter": {"type": "string", "description": "The query parameter refused."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "path": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
                "required": ["path", "message"],
            },
        },
    },
    "required": ["type"],
}
# EPCIS answers its own exception documents; authentication and permission refusals come from
# the portal's API layer, in its shape.
EPCIS_ERROR = {
    "anyOf": [
        {"$ref": "#/components/schemas/EPCISException"},
        {"$ref": "#/components/schemas/Error"},
    ]
}
_REASONS = {
    400: "The request is invalid: see `errors`.",
    401: "No valid credentials were given.",
    403: "The caller may not do this.",
    404: "Not found (or not the caller's).",
    405: "The method is not allowed here.",
    413: "The request body is larger than this operation accepts.",
    415: "The request's content type is not accepted.",
    429: "Too many requests: retry after the `Retry-After` header's seconds.",
}
_METHODS = ("get", "put", "post", "patch", "delete")


def error_responses(
    operation: dict, *, path: str = "", error_ref: str = "#/components/schemas/Error"
) -> None:
    """Adds the documented refusals to one operation, keeping any it documents itself."""
    from busanhub.body_limits import body_limit

    responses = operation.setdefault("responses", {})
    security = operation.get("security") or [{}]
    statuses = [400, 404, 405, 429]
    if any(requirement for requirement in security):
        statuses += [401, 403]
    if "requestBody" in operation:
        statuses += [413, 415]
    for code in sorted(statuses):
        description = _REASONS[code]
        if code == 413:
            limits = (body_limit(path), body_limit(path, "multipart/form-data"))
            description += f" Limit: {limits[0]} bytes"
            if limits[1] != limits[0]:
                description += f" ({limits[1]} bytes as multipart/form-data)"
            description += "."
        responses.setdefault(
            str(code),
            {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": error_ref}}},
            },
        )


def errors_postprocess(result, generator, request, public):
    """drf-spectacular postprocessing hook: the `Error` component on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorItem", ERROR_ITEM)
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("EPCISException", EPCIS_EXCEPTION)
    schemas.setdefault("EPCISError", EPCIS_ERROR)
    for path, path_item in result.get("paths", {}).items():
        ref = "#/components/schemas/" + ("EPCISError" if path.startswith("/epcis/") else "Error")
        for method, operation in path_item.items():
            if method in _METHODS:
                error_responses(operation, path=path, error_ref=ref)
    return result
