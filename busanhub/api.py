"""Shared DRF plumbing: one error shape for every API of the portal."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _details(errors: list[DjangoValidationError]) -> list[ErrorDetail]:
    """The messages of a service's ValidationErrors as DRF ErrorDetails that keep each code
    (the body is the same list of messages; `get_codes()` and tests see the codes)."""
    return [
        ErrorDetail(str(message), code=error.code or "invalid")
        for error in errors
        for message in error
    ]


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors from services answered as 400 (never 500)."""
    if isinstance(exc, DjangoValidationError):
        fields = exc.error_dict if hasattr(exc, "error_dict") else {"detail": exc.error_list}
        detail = {field: _details(errors) for field, errors in fields.items()}
        exc = exceptions.ValidationError(detail=detail)
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and response.status_code == status.HTTP_400_BAD_REQUEST
        and not isinstance(response.data, dict)
    ):
        response.data = {"detail": response.data}
    return response


def error_response(field: str, message: str, code: int = 400) -> Response:
    return Response({field: [message]}, status=code)
