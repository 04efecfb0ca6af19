"""Shared DRF plumbing: one error shape for every API of the portal."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors from services answered as 400 (never 500)."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
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
