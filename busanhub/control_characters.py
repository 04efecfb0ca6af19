"""Refuses control characters where no input may carry them, once, at the edge.

PostgreSQL cannot store a NUL in text (psycopg2 raises `ValueError: A string literal cannot
contain NUL`), so a `%00` that reached a query answered 500 wherever a view passed it on. No
view can forget a check that runs before every view: `ControlCharacterMiddleware` answers 400,
in the error format of the endpoint that was asked, when

- the path holds any C0 control character or DEL (no URL of the portal has one);
- a query parameter's name or value, a form field (not a file's content), a cookie or a JSON
  body holds a NUL (`\\u0000` in JSON); other controls may belong in text (a newline in a
  report's description), so only NUL, which no column can store, is refused there.

Error formats: Open311's `[{code, description}]` under /open311/ (JSON or XML by the path's
extension), EPCIS's exception document under /epcis/, the portal API's
`{"detail", "errors": [{"field", "code", "message"}]}` under /api/ and /vc-api/, and the
portal's 400 page elsewhere.
"""

import re

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from busanhub.errors import error_for_path

CODE = "control_character"
_PATH_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
# A JSON escape of NUL: `\u0000` after an even number of backslashes (`\\u0000` is the text
# "\u0000", which is harmless).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_JSON_TYPES = ("application/json", "application/ld+json")


def _offending_field(request: HttpRequest) -> str | None:
    """The name of the first input that holds a forbidden character, or None."""
    if _PATH_CONTROLS.search(request.path):
        return "path"
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "")
    for name, value in request.COOKIES.items():
        if "\x00" in name or "\x00" in value:
            return "cookie"
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    content_type = request.content_type or ""
    if content_type in _JSON_TYPES:
        try:
            body = request.body
        except RequestDataTooBig:
            return None  # the endpoint refuses it (413) before it reads a byte of it
        if b"\x00" in body or _JSON_NUL.search(body):
            return "body"
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "")
    return None


def refusal(request: HttpRequest, field: str) -> HttpResponse:
    """The 400 answer for `field`, in the format of the endpoint the request addressed."""
    message = _("%(field)s contains a control character (such as NUL) that is not allowed.") % {
        "field": field
    }
    kind = "ValidationException" if request.method == "POST" else "QueryParameterException"
    answer = error_for_path(
        request, status_code=400, code=CODE, message=message, field=field, epcis_kind=kind
    )
    if answer is None and "json" in request.headers.get("Accept", ""):
        answer = JsonResponse(
            {"detail": message, "errors": [{"field": field, "code": CODE, "message": message}]},
            status=400,
        )
    if answer is not None:
        return answer
    page: str
    try:
        page = loader.render_to_string("400.html", {"message": message}, request=request)
    except Exception:  # noqa: BLE001 - the refusal must answer whatever the templates need
        page = f"<h1>400</h1><p>{escape(message)}</p>"  # the field's name is the visitor's
    return HttpResponse(page, status=400)


class ControlCharacterMiddleware:
    """Place before anything that reads input (sessions, languages, views): see the module."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        field = _offending_field(request)
        if field is None:
            return self.get_response(request)
        # LocaleMiddleware has not run yet: answer in the language the request asks for.
        with translation.override(translation.get_language_from_request(request)):
            return refusal(request, field)
