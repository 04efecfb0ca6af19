"""Open311 GeoReport v2 at /open311/v2/: discovery, services, requests, tokens.

Thin doors: parse the form or query, call one service or selector, render JSON or XML with
`open311_format`. Errors are the spec's `[{code, description}]` with 400, 403 or 404.
"""

import re
import uuid
from datetime import datetime, timedelta
from functools import wraps

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import catalogue, open311_format, selectors, services, throttle
from .models import ApiKey, Category, Report
from .w3c_datetime import w3c_period

JURISDICTION_ID = "busan.go.kr"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
ATTRIBUTE_RE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
MAX_SPAN = timedelta(days=90)


class Open311Error(Exception):
    def __init__(self, status: int, errors: list[tuple[int | str, str]]):
        super().__init__(errors)
        self.status = status
        self.errors = errors


def _respond(fmt: str, root: str, document, status: int = 200) -> HttpResponse:
    body, content_type = open311_format.render(fmt, root, document)
    return HttpResponse(body, content_type=content_type, status=status)


def _error(fmt: str, status: int, errors) -> HttpResponse:
    return _respond(fmt, "errors", open311_format.errors_document(errors), status=status)


def open311_methods(*methods: str):
    """Answers other methods with 405 and the spec's errors document (not Django's CSRF page:
    the check runs before CSRF, which has nothing to protect in a cookie-less machine API)."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                fmt = kwargs.get("fmt")
                fmt = fmt if fmt in open311_format.CONTENT_TYPES else "json"
                message = _("The method %(method)s is not allowed here; use %(allowed)s.") % {
                    "method": request.method,
                    "allowed": ", ".join(methods),
                }
                response = _error(fmt, 405, [(405, message)])
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def open311_view(view):
    """Checks the format and jurisdiction, and turns Open311Error into the spec's errors."""

    def wrapped(request: HttpRequest, *args, fmt: str, **kwargs):
        if fmt not in open311_format.CONTENT_TYPES:
            return _error("json", 400, [(400, _("The format must be json or xml."))])
        params = request.POST if request.method == "POST" else request.GET
        jurisdiction = params.get("jurisdiction_id", "").strip()
        if jurisdiction and jurisdiction != JURISDICTION_ID:
            return _error(
                fmt, 404, [(404, _("Unknown jurisdiction_id; this endpoint serves busan.go.kr."))]
            )
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as error:
            return _error(fmt, error.status, error.errors)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _w3(moment) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def service_document(category: Category) -> dict:
    return {
        "service_code": category.service_code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.attributes.all()),
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group,
    }


def request_document(request: HttpRequest, report: Report) -> dict:
    photos = list(report.photos.all())
    media_url = _absolute(request, photos[0].get_absolute_url()) if photos else report.media_url
    return {
        "service_request_id": report.service_request_id,
        "status": "open" if report.is_open else "closed",
        "status_notes": report.status_notes or None,
        "service_name": report.category.name,
        "service_code": report.category.service_code,
        "description": report.description or None,
        "agency_responsible": report.category.department.name,
        "service_notice": report.category.service_notice or None,
        "requested_datetime": _w3(report.created_at),
        "updated_datetime": _w3(report.closed_at or report.updated_at),
        "expected_datetime": _w3(report.due_at),
        "address": report.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.long,
        "media_url": media_url or None,
    }


@open311_methods("GET")
@open311_view
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    changeset = "2026-11-25T00:00:00Z"
    document = {
        "changeset": changeset,
        "contact": _("Busan Metropolitan City, Citizen Safety Report: safety@busan.go.kr"),
        "key_service": _("Partner applications get an api_key from the city's safety staff."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": _absolute(request, "/open311/v2"),
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _respond(fmt, "discovery", document)


@open311_methods("GET")
@open311_view
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    categories = selectors.categories_active()
    return _respond(fmt, "services", [service_document(category) for category in categories])


@open311_methods("GET")
@open311_view
def service_definition(request: HttpRequest, service_code: str, fmt: str) -> HttpResponse:
    category = selectors.categories_active().filter(service_code=service_code).first()
    if category is None:
        raise Open311Error(404, [(404, _("Unknown service_code."))])
    attributes = [
        {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description or None,
            "order": attribute.order,
            "description": attribute.description,
            **(
                {
                    "values": [
                        {"key": value.key, "name": value.name} for value in attribute.values.all()
                    ]
                }
                if attribute.is_list
                else {}
            ),
        }
        for attribute in category.attributes.all()
    ]
    return _respond(
        fmt, "service_definition", {"service_code": category.service_code, "attributes": attributes}
    )


@open311_methods("GET", "POST")  # a machine API authenticated by api_key, no cookies
@open311_view
def requests_collection(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt)
    return _request_list(request, fmt)


def _api_key(request: HttpRequest) -> ApiKey:
    raw = request.POST.get("api_key") or request.GET.get("api_key") or ""
    key = None
    if raw:
        key = ApiKey.objects.filter(key_hash=services.api_key_hash(raw), is_active=True).first()
    if key is None:
        raise Open311Error(403, [(403, _("Missing or invalid api_key."))])
    return key


def _attributes(params) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for name in params:
        match = ATTRIBUTE_RE.match(name)
        if match:
            answers.setdefault(match.group(1), []).extend(params.getlist(name))
    return answers


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    key = _api_key(request)
    if not throttle.allow(scope="open311_key", ident=str(key.public_id)):
        raise Open311Error(429, [(429, _("Too many requests for this api_key; try later."))])
    params = request.POST
    service_code = params.get("service_code", "").strip()
    if not service_code:
        raise Open311Error(400, [(400, _("service_code was not provided."))])
    category = catalogue.category_active_cached(service_code)
    if category is None:
        raise Open311Error(404, [(404, _("Unknown service_code."))])
    lat, long = params.get("lat", ""), params.get("long", "")
    address = params.get("address_string", "")
    if not (lat.strip() and long.strip()) and not address.strip():
        raise Open311Error(
            400, [(400, _("A location is required: lat and long, or address_string."))]
        )
    name = " ".join(
        part for part in (params.get("first_name", ""), params.get("last_name", "")) if part
    )
    try:
        report = services.report_create(
            category=category,
            lat=lat if lat.strip() or long.strip() else None,
            long=long if lat.strip() or long.strip() else None,
            address=address,
            description=params.get("description", ""),
            answers=_attributes(params),
            api_key=key,
            contact_email=params.get("email", "").strip(),
            contact_name=name[:150],
            contact_phone=params.get("phone", "").strip()[:40],
            media_url=params.get("media_url", "").strip(),
        )
    except ValidationError as error:
        raise Open311Error(400, _validation_errors(error)) from None
    document = [
        {
            "service_request_id": report.service_request_id,
            "service_notice": category.service_notice or None,
            "account_id": None,
        }
    ]
    return _respond(fmt, "service_requests", document)


def _validation_errors(error: ValidationError) -> list[tuple[int | str, str]]:
    if not hasattr(error, "error_dict"):
        return [(400, message) for message in error.messages]
    renamed = {"lat": "lat/long", "address": "address_string", "media_url": "media_url"}
    return [
        (400, f"{renamed.get(field, field)}: {message}")
        for field, messages in error.message_dict.items()
        for message in messages
    ]


def _date_param(params, name: str, *, is_end: bool = False) -> datetime | None:
    """A W3C date-time parameter. A date without time (a year, month or day, in Busan time) is
    the whole period: from its first instant as a start_date, through its last as an end_date."""
    raw = params.get(name, "").strip()
    if not raw:
        return None
    period = w3c_period(raw, local=timezone.get_default_timezone())
    if period is None:
        raise Open311Error(
            400,
            [
                (
                    400,
                    _("%(name)s must be a w3c datetime, e.g. 2026-01-01T00:00:00Z.")
                    % {"name": name},
                )
            ],
        )
    start, following = period
    if is_end and following != start:
        return following - timedelta(microseconds=1)
    return start


def _list_param(params, name: str) -> list[str]:
    return [
        item.strip() for value in params.getlist(name) for item in value.split(",") if item.strip()
    ]


def _request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.GET
    ids = _list_param(params, "service_request_id")
    valid_ids = []
    for value in ids:
        try:
            valid_ids.append(uuid.UUID(value))
        except ValueError:
            continue
    start = _date_param(params, "start_date")
    end = _date_param(params, "end_date", is_end=True)
    if start and end and (end < start or end - start > MAX_SPAN):
        raise Open311Error(
            400, [(400, _("start_date and end_date must span at most 90 days, in order."))]
        )
    statuses = _list_param(params, "status")
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, [(400, _("status must be open or closed."))])
    if ids and not valid_ids:
        reports = []
    else:
        reports = selectors.reports_open311(
            service_request_ids=valid_ids,
            service_codes=_list_param(params, "service_code"),
            start=start,
            end=end,
            statuses=statuses,
        )
    return _respond(
        fmt, "service_requests", [request_document(request, report) for report in reports]
    )


def _report_or_404(service_request_id: str) -> Report:
    try:
        public_id = uuid.UUID(service_request_id)
    except ValueError:
        public_id = None
    report = (
        Report.objects.select_related("category__department")
        .prefetch_related("photos")
        .filter(public_id=public_id)
        .first()
        if public_id
        else None
    )
    if report is None:
        raise Open311Error(404, [(404, _("Unknown service_request_id."))])
    return report


@open311_methods("GET")
@open311_view
def request_detail(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    report = _report_or_404(service_request_id)
    return _respond(fmt, "service_requests", [request_document(request, report)])


@open311_methods("GET")
@open311_view
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    try:
        token_value = uuid.UUID(token)
    except ValueError:
        token_value = None
    report = Report.objects.filter(token=token_value).first() if token_value else None
    if report is None:
        raise Open311Error(404, [(404, _("Unknown token."))])
    return _respond(
        fmt,
        "service_requests",
        [{"service_request_id": report.service_request_id, "token": str(report.token)}],
    )
