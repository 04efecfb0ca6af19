"""The portal API's error shape, `{"detail", "errors": [{"field", "code", "message"}]}`, and
the renderer that gives it to refusals views write by hand. See busanhub.api."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

FALLBACK_CODE = "invalid"
# DRF's own keys for a whole-request refusal; those errors name no field.
_WHOLE_REQUEST_KEYS = ("detail", api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD_ERRORS)


def error_items(detail, field: str | None = None) -> list[dict]:
    """Flattens DRF's error detail (dicts, lists, ErrorDetail or plain strings) into
    `[{"field", "code", "message"}]`, in order, fields as dotted paths."""
    if isinstance(detail, dict):
        if field is None and isinstance(detail.get("detail"), str):
            # DRF's whole-request refusal; other keys beside it are data (a receipt's status).
            return error_items(detail["detail"])
        items = []
        for key, value in detail.items():
            name = None if field is None and key in _WHOLE_REQUEST_KEYS else key
            path = f"{field}.{name}" if field is not None and name is not None else name or field
            items += error_items(value, str(path) if path is not None else None)
        return items
    if isinstance(detail, list | tuple):
        items = []
        for index, value in enumerate(detail):
            # A list of messages belongs to `field`; a list of objects is indexed.
            nested = isinstance(value, dict | list) and field is not None
            items += error_items(value, f"{field}.{index}" if nested else field)
        return items
    code = getattr(detail, "code", None) or FALLBACK_CODE
    return [{"field": field, "code": str(code), "message": str(detail)}]


def error_body(data) -> dict:
    """`data` (DRF's error detail) with `detail` and `errors` added; existing keys are kept."""
    items = error_items(data) or [
        {"field": None, "code": FALLBACK_CODE, "message": _("Invalid input.")}
    ]
    body = dict(data) if isinstance(data, dict) else {}
    if not isinstance(body.get("detail"), str):
        # One text for clients that read only `detail`; every message is in `errors`.
        body["detail"] = " ".join(item["message"] for item in items if item["field"] is None)
        body["detail"] = body["detail"] or items[0]["message"]
    body["errors"] = items
    return body


def _speaks_its_own_format(data) -> bool:
    return isinstance(data, dict) and (
        "errors" in data or str(data.get("type", "")).startswith("epcisException:")
    )


class ErrorJSONRenderer(JSONRenderer):
    """JSON, with refusals a view answers by hand (`Response({"depth": [...]}, status=400)`)
    put in the portal's error shape too. Bodies that carry `errors` already (EPCIS exception
    documents, VC-API verification results) are left as their standards define them."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if (
            response is not None
            and response.status_code >= status.HTTP_400_BAD_REQUEST
            and isinstance(data, dict | list)
            and not _speaks_its_own_format(data)
        ):
            data = error_body(data)
        return super().render(data, accepted_media_type, renderer_context)


# The exception type EPCIS names for each status its bindings answer outside a capture.
_EPCIS_KINDS = {
    403: "SecurityException",
    404: "NoSuchResourceException",
    413: "CaptureLimitExceededException",
}


def error_for_path(
    request,
    *,
    status_code: int,
    code: str,
    message: str,
    field: str | None = None,
    epcis_kind: str | None = None,
):
    """A refusal made outside the APIs' views (middleware, Django's 403/404 handlers) in the
    error format of the API the path belongs to: Open311's `[{code, description}]` (JSON or
    XML by the path's extension), EPCIS's exception document (`epcis_kind`, else by status),
    or the portal API's shape. None for the portal's pages, which answer HTML."""
    path = request.path
    if path.startswith("/open311/"):
        if path.endswith(".xml"):
            xml = (
                f'<?xml version="1.0" encoding="utf-8"?><errors><error><code>{status_code}'
                f"</code><description>{escape(message)}</description></error></errors>"
            )
            return HttpResponse(xml, content_type="text/xml; charset=utf-8", status=status_code)
        return JsonResponse(
            [{"code": status_code, "description": message}], safe=False, status=status_code
        )
    if path.startswith("/epcis/"):
        kind = epcis_kind or _EPCIS_KINDS.get(status_code, "ValidationException")
        exception = {
            "type": f"epcisException:{kind}",
            "title": message,
            "status": status_code,
            "errors": [{"path": field or "$", "code": code, "message": message}],
        }
        return JsonResponse(exception, status=status_code)
    if path.startswith(("/api/", "/vc-api/")):
        refusal = {
            "detail": message,
            "errors": [{"field": field, "code": code, "message": message}],
        }
        return JsonResponse(refusal, status=status_code)
    return None
