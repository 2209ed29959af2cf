"""`Idempotency-Key` for creating POST/PUT requests.

The first request with a key runs and its successful response is stored; a retry with the same
key and the same request gets that response back (with `Idempotent-Replayed: true`); the same
key with a different request is a 409. The record is created inside the request's transaction,
so on PostgreSQL a concurrent retry waits for the first request to finish, then replays it; a
request that fails leaves no record behind and may be retried with the same key.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

from core.api.errors import Conflict

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint_default(value):
    if isinstance(value, UploadedFile):
        return {"file": value.name, "size": value.size}
    return str(value)


def request_fingerprint(request) -> str:
    """Method, path (trailing slash ignored), sorted query parameters and the parsed body, so
    equivalent retries match whatever their JSON whitespace or parameter order."""
    body = json.dumps(request.data, sort_keys=True, default=_fingerprint_default)
    query = sorted(request.query_params.lists())
    raw = f"{request.method}\n{request.path.rstrip('/')}\n{query}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def key_ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def run_idempotently(*, request, organization, handler) -> Response:
    key = request.headers.get(HEADER, "").strip()
    if not key or organization is None:
        return handler()
    if len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            {HEADER: [f"Ensure this header has no more than {MAX_KEY_LENGTH} characters."]}
        )
    fingerprint = request_fingerprint(request)
    with transaction.atomic():
        record, created = IdempotencyKey.objects.get_or_create(
            organization=organization,
            key=key,
            defaults={
                "fingerprint": fingerprint,
                "method": request.method,
                "path": request.get_full_path()[:2000],
            },
        )
        if not created and record.created_at < timezone.now() - key_ttl():
            # Expired but not purged yet: the key starts afresh.
            record.delete()
            record = IdempotencyKey.objects.create(
                organization=organization,
                key=key,
                fingerprint=fingerprint,
                method=request.method,
                path=request.get_full_path()[:2000],
            )
            created = True
        if not created:
            if record.fingerprint != fingerprint:
                raise Conflict(
                    "This Idempotency-Key was already used for a different request.",
                    code="idempotency_key_reused",
                )
            if record.status_code is None:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed.",
                    code="idempotency_key_in_use",
                )
            return Response(
                record.response_body,
                status=record.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
        response = handler()
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            record.response_body = response.data
            record.save(update_fields=["status_code", "response_body"])
        else:
            record.delete()
        return response


def purge_idempotency_keys(*, older_than: timedelta | None = None) -> int:
    cutoff = timezone.now() - (older_than or key_ttl())
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
