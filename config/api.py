"""The REST API, version 1: one NinjaAPI, one error shape, two ways to authenticate.

Conventions for every endpoint (docs/api.md):
- errors are ``{"message", "code", "extra"}`` with a Chinese ``message`` by default and field
  errors in ``extra.fields``;
- lists are ``{"items", "count", "next"}`` with keyset cursors (``anxin.core.pagination``);
- mutable resources carry ``version``; an update with a stale version is 409;
- ``id`` is opaque, ``number`` is the human reference.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from anxin.core.api import router as core_router
from anxin.core.apiauth import AccountPolicyError, ApiKeyAuth, SessionAuth
from anxin.core.errors import ServiceError
from anxin.petitions.api import router as petitions_router
from anxin.reports.api import router as reports_router
from anxin.safety.api import router as safety_router
from anxin.safety.api_enforcement import router as enforcement_router
from anxin.safety.api_hazards import router as hazards_router
from anxin.safety.api_steps import router as safety_steps_router
from anxin.supervision.api_notices import router as notices_router

api = NinjaAPI(
    title="Anxin API",
    version="1",
    description="安信 REST API v1. See docs/api.md for conventions.",
    urls_namespace="api-v1",
    auth=[ApiKeyAuth(), SessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: Any, extra: dict | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"message": str(message), "code": code, "extra": extra or {}}, status=status
    )


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form")]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        fields.setdefault(_field_name(err.get("loc", ())), []).append(str(err.get("msg", "")))
    return error_response(
        request, 400, "invalid", _("Some fields are missing or invalid."), {"fields": fields}
    )


@api.exception_handler(DjangoValidationError)
def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        first = next(iter(fields.values()))[0] if fields else _("Invalid input.")
        return error_response(request, 400, "invalid", first, {"fields": fields})
    return error_response(request, 400, "invalid", "；".join(str(m) for m in exc.messages))


@api.exception_handler(ServiceError)
def _service(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.extra)


@api.exception_handler(AccountPolicyError)
def _policy(request: HttpRequest, exc: AccountPolicyError) -> HttpResponse:
    return error_response(request, 403, exc.code, exc.message)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "unauthorized", _("Sign in or send a valid API key (Authorization: Bearer).")
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(
        request, 403, "forbidden", _("You do not have permission to perform this action.")
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, exc.status_code, "error", exc.message)


api.add_router("/", core_router)
api.add_router("/", petitions_router)
api.add_router("/", safety_router)
api.add_router("/", hazards_router)
api.add_router("/", enforcement_router)
api.add_router("/", notices_router)
api.add_router("/", reports_router)
api.add_router("/", safety_steps_router)


def _has_nul(request: HttpRequest) -> bool:
    """A NUL character anywhere in the path, the query or the body (PostgreSQL text cannot
    hold it: refused as invalid input before it reaches a query)."""
    if "\x00" in request.path or any(
        "\x00" in k or any("\x00" in v for v in values) for k, values in request.GET.lists()
    ):
        return True
    content_type = request.content_type or ""
    if content_type.startswith("multipart/") or content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        return any(
            "\x00" in k or any("\x00" in v for v in values) for k, values in request.POST.lists()
        )
    body = request.body
    return b"\x00" in body or b"\\u0000" in body


def _has_lone_surrogate(request: HttpRequest) -> bool:
    """A JSON string may escape half of a UTF-16 pair (``"\\ud800"``): that is no character,
    and no database can store it as text. Looked for only when the body holds such an escape."""
    content_type = request.content_type or ""
    if content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
        return False
    body = request.body
    if b"\\ud" not in body.lower():
        return False
    try:
        json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except ValueError:
        return False  # not JSON: the operation's own parser answers
    return False


def _refuse_nul(run: Any) -> Any:
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            nul = _has_nul(request)
        except RequestDataTooBig:
            # past DATA_UPLOAD_MAX_MEMORY_SIZE: the one error shape, not Django's HTML page
            return error_response(
                request,
                400,
                "invalid",
                _("The request is too large (more than %(mb)s MB).")
                % {"mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024, 1)},
            )
        if nul:
            return error_response(
                request, 400, "invalid", _("The request contains a NUL character.")
            )
        if _has_lone_surrogate(request):
            return error_response(
                request,
                400,
                "invalid",
                _("The request contains a character that is not valid Unicode (a lone surrogate)."),
            )
        return run(request, *args, **kwargs)

    return checked


def _complete_operations() -> None:
    """Every operation documents the error answers it can give, all in the one error shape,
    and refuses a NUL character in its input. Run once, after every router is added."""
    from anxin.core.idempotency import ERROR_SCHEMA

    def answer(description: str) -> dict:
        return {
            "description": description,
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }

    common = {
        400: answer(
            "Invalid input (code invalid, invalid_cursor, …); field errors in extra.fields."
        ),
        401: answer("No valid API key and no session (code unauthorized)."),
        403: answer("Not allowed (code forbidden, account_policy)."),
        404: answer("No such record for this user (code not_found)."),
    }
    writes = {409: answer("A stale version or a step not possible now (version_conflict, …).")}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                extra = dict(operation.openapi_extra or {})
                responses = dict(extra.get("responses", {}))
                wanted = dict(common)
                if set(operation.methods) & {"POST", "PATCH", "PUT", "DELETE"}:
                    wanted.update(writes)
                for code, value in wanted.items():
                    responses.setdefault(code, value)
                extra["responses"] = responses
                operation.openapi_extra = extra
                # through ``_run_decorators``, so that a cloned operation keeps the check
                op: Any = operation
                if not hasattr(op, "_run_decorators"):
                    op._run_decorators = []
                op.run = _refuse_nul(op.run)
                op._run_decorators.append(_refuse_nul)


_complete_operations()
