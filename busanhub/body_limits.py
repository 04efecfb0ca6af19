"""Refuses a request body larger than its endpoint accepts with 413, before anything reads it.

Limits come from `REQUEST_BODY_LIMITS` (settings, in bytes): the first `(path prefix, limit)`
that matches the path, else `REQUEST_BODY_LIMIT_UPLOADS` for a multipart body, else
`REQUEST_BODY_LIMIT_DEFAULT`. The declared `Content-Length` is compared; a body without one
reads as empty in Django, so nothing larger gets through. The schema names each operation's
limit in its 413 response (busanhub.api), and README's API section lists them.

The answer speaks the endpoint's error format: the portal API's `Error`, EPCIS's
`CaptureLimitExceededException`, Open311's errors document, or plain text for pages.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

CODE = "too_large"


def body_limit(path: str, content_type: str = "") -> int:
    """The largest body, in bytes, that `path` accepts."""
    for prefix, limit in settings.REQUEST_BODY_LIMITS:
        if path.startswith(prefix):
            return limit
    if content_type.startswith("multipart/form-data"):
        return settings.REQUEST_BODY_LIMIT_UPLOADS
    return settings.REQUEST_BODY_LIMIT_DEFAULT


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


def refusal(request: HttpRequest, limit: int) -> HttpResponse:
    message = _("The request body is larger than this endpoint accepts (%(limit)s).") % {
        "limit": _megabytes(limit)
    }
    path = request.path
    if path.startswith("/epcis/"):
        body = {
            "type": "epcisException:CaptureLimitExceededException",
            "title": message,
            "status": 413,
            "errors": [{"path": "$", "code": CODE, "message": message}],
        }
        return JsonResponse(body, status=413)
    if path.startswith("/open311/"):
        if path.endswith(".xml"):
            xml = (
                '<?xml version="1.0" encoding="utf-8"?><errors><error><code>413</code>'
                f"<description>{message}</description></error></errors>"
            )
            return HttpResponse(xml, content_type="text/xml; charset=utf-8", status=413)
        return JsonResponse([{"code": 413, "description": message}], safe=False, status=413)
    if path.startswith(("/api/", "/vc-api/")):
        body = {"detail": message, "errors": [{"field": None, "code": CODE, "message": message}]}
        return JsonResponse(body, status=413)
    return HttpResponse(message, content_type="text/plain; charset=utf-8", status=413)


class RequestBodyLimitMiddleware:
    """Place first among the middleware that may read the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length:
            limit = body_limit(request.path, request.META.get("CONTENT_TYPE", ""))
            if length > limit:
                with translation.override(translation.get_language_from_request(request)):
                    return refusal(request, limit)
        return self.get_response(request)
