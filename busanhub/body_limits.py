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
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from busanhub.errors import error_for_path

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
    answer = error_for_path(request, status_code=413, code=CODE, message=message)
    return answer or HttpResponse(message, content_type="text/plain; charset=utf-8", status=413)


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
