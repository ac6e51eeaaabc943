"""``Idempotency-Key`` for every create of the API: a retried POST returns the first result.

Usage, below the route decorator of every POST that creates something (or changes a state)::

    @router.post("/hazards", response={201: HazardDetailOut, **errors(400, 403)}, ...)
    @idempotent
    def hazards_create(request, payload): ...

A client sends ``Idempotency-Key: <up to 255 printable ASCII characters>`` (a UUID is best).

- The first request with a key claims the row (user, key) in the request's own transaction,
  runs the operation, and stores its status and body (SM4-encrypted) when it succeeded (2xx).
  A failed first request stores nothing: its transaction is rolled back, key row included, so
  a retry runs again.
- A retry by the same person with the same key, method, path and body gets the stored status
  and body back (header ``Idempotent-Replayed: true``) and creates nothing.
- The same key with another body or path is refused: 422, code ``idempotency_key_reused``.
- Two concurrent requests with one key: the second waits on the unique index until the first
  commits, then replays its result (on PostgreSQL; SQLite serialises writers anyway).
- Keys expire after ``TTL`` (24 hours): an expired key is claimed afresh, and
  ``idempotency_keys_purge`` (a daily job in ``config/schedule.py``) deletes old rows.

Requests without the header behave as before.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.utils import contribute_operation_callback

from anxin.core.crypto import decrypt_bytes, encrypt_bytes
from anxin.core.errors import ServiceError
from anxin.core.models import User
from anxin.core.models_idempotency import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
_CLAIM = "_anxin_idempotency_claim"

F = TypeVar("F", bound=Callable[..., Any])

#: The OpenAPI parameter every idempotent operation declares.
PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Optional. A unique value per intended request (a UUID). A retry with the same key "
        "returns the first result and creates nothing new; keys expire after 24 hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


#: The error shape, inlined so that it needs no component of its own.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "code": {"type": "string"},
        "extra": {"type": "object"},
    },
    "required": ["message", "code", "extra"],
}


class IdempotencyKeyReused(ServiceError):
    status = 422
    code = "idempotency_key_reused"
    default_message = _(
        "This Idempotency-Key was already used for a different request. "
        "Use a new key for a new request."
    )


class IdempotencyKeyInvalid(ServiceError):
    status = 400
    code = "idempotency_key_invalid"
    default_message = _("The Idempotency-Key header must be 1 to 255 printable ASCII characters.")


def _key_of(request: HttpRequest) -> str | None:
    value = request.headers.get(HEADER)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_KEY_LENGTH or not all(32 < ord(c) < 127 for c in value):
        raise IdempotencyKeyInvalid
    return value


def fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the method, the path and the body, insensitive to JSON key order and
    whitespace and to the random boundary of a multipart upload."""
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(b"\0" + request.path.encode() + b"\0")
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values], ensure_ascii=False).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                file_hash = hashlib.sha256()
                for chunk in upload.chunks():
                    file_hash.update(chunk)
                upload.seek(0)
                digest.update(json.dumps([name, upload.name, file_hash.hexdigest()]).encode())
        return digest.hexdigest()
    body = request.body
    if content_type == "application/json" or body[:1] in (b"{", b"["):
        try:
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass
    digest.update(body)
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        decrypt_bytes(bytes(row.body)) if row.body else b"",
        status=row.status or 200,
        content_type=row.content_type or "application/json",
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(request: HttpRequest, key: str) -> HttpResponse | None:
    """Claim (user, key) for this request, or answer the stored result of an earlier one."""
    user = request.user
    assert isinstance(user, User)  # an authenticated operation
    method = request.method or "POST"
    print_ = fingerprint(request)
    now = timezone.now()
    IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=now - TTL).delete()
    for _attempt in range(2):
        row = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if row is not None:
            if row.fingerprint != print_ or row.status is None:
                raise IdempotencyKeyReused
            return _replay(row)
        claim = IdempotencyKey(
            user=user,
            key=key,
            method=method,
            path=request.path[:500],
            fingerprint=print_,
            created_at=now,
        )
        try:
            with transaction.atomic():
                claim.save(force_insert=True)
        except IntegrityError:
            continue  # a concurrent request with this key committed first: replay it
        setattr(request, _CLAIM, claim)
        return None
    raise IdempotencyKeyReused


def _wrap_view(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def claimed(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = _key_of(request)
        if key is not None and getattr(request, _CLAIM, None) is None:
            replay = _claim(request, key)
            if replay is not None:
                return replay
        return view(request, *args, **kwargs)

    return claimed


def _wrap_run(run: Callable[..., Any]) -> Callable[..., Any]:
    def idempotent_run(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.headers.get(HEADER) is None:
            return run(request, *args, **kwargs)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            claim: IdempotencyKey | None = getattr(request, _CLAIM, None)
            if response.status_code >= 400 or getattr(response, "streaming", False):
                # Nothing was created (or the database is unusable after an error): roll back
                # the key with it, so that a retry runs the operation again.
                transaction.set_rollback(True)
            elif claim is not None and claim.status is None:
                claim.status = response.status_code
                claim.content_type = response.get("Content-Type", "application/json")[:100]
                claim.body = encrypt_bytes(response.content)
                claim.save(update_fields=["status", "content_type", "body"])
        return response

    idempotent_run.anxin_idempotent = True  # type: ignore[attr-defined]
    return idempotent_run


def _install(operation: Any) -> None:
    operation.view_func = _wrap_view(operation.view_func)
    # Through ``_run_decorators`` so that a cloned operation (a router mounted twice) keeps it.
    if not hasattr(operation, "_run_decorators"):
        operation._run_decorators = []
    operation.run = _wrap_run(operation.run)
    operation._run_decorators.append(_wrap_run)
    extra = dict(operation.openapi_extra or {})
    extra["parameters"] = [*extra.get("parameters", []), PARAMETER]
    responses = dict(extra.get("responses", {}))
    responses.setdefault(
        422,
        {
            "description": "The Idempotency-Key was already used for a different request.",
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        },
    )
    extra["responses"] = responses
    operation.openapi_extra = extra
    operation.anxin_idempotent = True


def idempotent(func: F) -> F:
    """Make a ninja POST operation honour ``Idempotency-Key`` (place it below ``@router.post``)."""
    contribute_operation_callback(func, _install)
    func.anxin_idempotent = True  # type: ignore[attr-defined]
    return func


def idempotency_keys_purge(*, now: Any = None) -> int:
    """Delete the keys older than ``TTL`` (the daily job); returns how many."""
    cutoff = (now or timezone.now()) - TTL
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
