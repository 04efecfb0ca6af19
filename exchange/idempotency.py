"""`Idempotency-Key` on money-moving POSTs, with Stripe's semantics.

The first request with a key runs; its response (success or refusal, never a 5xx) is stored
in the same transaction as what the request wrote, and replayed for the same key and the
same body. The same key with another body or endpoint is answered 422. Two requests racing
with one key: the loser's writes roll back and it replays the winner's response.
"""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.response import Response

from exchange.models import IdempotencyRecord

HEADER = "Idempotency-Key"


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    except TypeError:
        body = repr(request.data)
    return hashlib.sha256(f"{request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, request) -> Response:
    if record.request_hash != _fingerprint(request) or record.endpoint != request.path:
        return Response(
            {"idempotency_key": [_("This Idempotency-Key was used with another request.")]},
            status=422,
        )
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(method):
    """Decorates an APIView's `post`."""

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "")
        if not key:
            return method(self, request, *args, **kwargs)
        if len(key) > 255:
            return Response({"idempotency_key": [_("The key is at most 255 characters.")]}, 400)
        existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if existing is not None:
            return _replay(existing, request)
        try:
            with transaction.atomic():
                try:
                    response = method(self, request, *args, **kwargs)
                except Exception as exc:  # noqa: BLE001 - answered like DRF would, then stored
                    response = self.handle_exception(exc)
                if response.status_code >= 500:
                    return response
                IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    endpoint=request.path,
                    request_hash=_fingerprint(request),
                    response_status=response.status_code,
                    response_body=response.data,
                )
                return response
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if existing is None:
                raise
            return _replay(existing, request)

    return wrapper
