"""Stripe's `Idempotency-Key` semantics for the money-moving API, written once for every app.

`@idempotent("vouchers")` on an APIView's `post`: the first request with a key records the key
(in progress), runs, and stores its response, refusals (4xx) included. The same key with the
same body replays the stored response with `Idempotent-Replayed: true`; the same key with
another body or endpoint answers 422; while the first request is still running, 409. A 5xx, a
429 or an unexpected exception stores nothing (the record is deleted), so a retry runs again.

The record is committed before the view runs (records.py: one prepared `INSERT … ON CONFLICT
DO NOTHING`) and the view is not wrapped in a transaction, so views that call a bank outside
their own transactions keep working. Keys belong to one user and one scope (the app); a key is
at most 255 characters (400 otherwise).
"""

import functools
import hashlib
import json

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from busanhub.idempotency.models import IdempotencyRecord
from busanhub.idempotency.records import record_claim, record_complete

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), cls=JSONEncoder)
    except TypeError:
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _error(message: str, code: int) -> Response:
    return Response({HEADER: [message]}, status=code)


def _answer_existing(existing: IdempotencyRecord, request, fingerprint: str) -> Response:
    if existing.request_hash != fingerprint or existing.endpoint != request.path:
        return _error(
            _("This Idempotency-Key was already used with another request."),
            status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if not existing.is_complete:
        return _error(
            _("A request with this Idempotency-Key is still in progress."),
            status.HTTP_409_CONFLICT,
        )
    response = Response(existing.response_body, status=existing.response_status)
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(scope: str):
    """Decorator factory for an APIView's `post`. Without the header the request simply runs."""

    def decorator(view_method):
        @functools.wraps(view_method)
        def wrapper(self, request, *args, **kwargs):
            key = request.headers.get(HEADER, "")
            if not key:
                return view_method(self, request, *args, **kwargs)
            if len(key) > MAX_KEY_LENGTH:
                return _error(
                    _("An Idempotency-Key has at most %(count)d characters.")
                    % {"count": MAX_KEY_LENGTH},
                    status.HTTP_400_BAD_REQUEST,
                )
            fingerprint = _fingerprint(request)
            record_pk = record_claim(
                user_pk=request.user.pk,
                scope=scope,
                key=key,
                endpoint=request.path,
                request_hash=fingerprint,
            )
            if record_pk is None:
                existing = IdempotencyRecord.objects.filter(
                    user=request.user, scope=scope, key=key
                ).first()
                if existing is None:  # the other request just failed and let the key go
                    return _error(
                        _("A request with this Idempotency-Key is still in progress."),
                        status.HTTP_409_CONFLICT,
                    )
                return _answer_existing(existing, request, fingerprint)
            try:
                try:
                    response = view_method(self, request, *args, **kwargs)
                except Exception as exc:  # noqa: BLE001 - a refusal (4xx) is stored like any answer
                    response = self.handle_exception(exc)
            except Exception:
                # an unexpected error: nothing is stored, a retry may run again
                IdempotencyRecord.objects.filter(pk=record_pk).delete()
                raise
            if response.status_code >= 500 or response.status_code == 429:
                IdempotencyRecord.objects.filter(pk=record_pk).delete()
                return response
            record_complete(
                pk=record_pk,
                status=response.status_code,
                body_json=json.dumps(response.data, cls=JSONEncoder),
            )
            return response

        return wrapper

    return decorator
