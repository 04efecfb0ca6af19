"""Stripe's idempotency semantics for the money-moving API, written once.

`Idempotency-Key` header on a POST: the first request with a key runs and its response
(status and body, unless it is a 5xx) is stored; the same key with the same body returns the
stored response; the same key with another body or endpoint answers 422; while the first
request is still running, the same key answers 409. Keys belong to the user who sent them.
"""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view_method):
    """Decorates an APIView's `post`. Without the header the request simply runs."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "")
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return Response(
                {HEADER: [f"An idempotency key has at most {MAX_KEY_LENGTH} characters."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user, key=key, endpoint=request.path, request_hash=fingerprint
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(user=request.user, key=key)
            if existing.request_hash != fingerprint:
                return Response(
                    {HEADER: ["This key was already used with another request."]},
                    status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                )
            if not existing.is_complete:
                return Response(
                    {HEADER: ["A request with this key is still in progress."]},
                    status=status.HTTP_409_CONFLICT,
                )
            response = Response(existing.response_body, status=existing.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            try:
                response = view_method(self, request, *args, **kwargs)
            except Exception as exc:  # a refusal (400/403...) is stored like any answer
                response = self.handle_exception(exc)
        except Exception:
            record.delete()  # an unexpected error: nothing is stored, a retry may run again
            raise
        if response.status_code >= 500 or response.status_code == 429:
            record.delete()
            return response
        record.is_complete = True
        record.response_status = response.status_code
        record.response_body = json.loads(json.dumps(response.data, default=str))
        record.save(update_fields=["is_complete", "response_status", "response_body"])
        return response

    return wrapper
