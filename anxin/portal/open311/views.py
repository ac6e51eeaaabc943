"""The Open311 GeoReport v2 endpoints (``/open311/v2/``), in XML and JSON.

Liberal with real clients: ``api_key`` and ``jurisdiction_id`` are read from the body or the
query string, empty parameters count as absent, a form body without a charset is read as UTF-8.
Answers are in Chinese whatever the client's ``Accept-Language``. The POST is CSRF-exempt: it is
authorised by its API key, never by a browser session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from anxin.core import ratelimit
from anxin.core.apiauth import AccountPolicyError, ApiKeyAuth
from anxin.portal.open311 import catalogue, intake, selectors
from anxin.portal.open311.render import errors, respond

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: when the service catalogue or these endpoints last changed
CHANGESET = "2026-11-27T00:00:00+08:00"
LANGUAGE = "zh-hans"


class Params:
    """The request's parameters: body first, then query string; blank values are absent."""

    def __init__(self, request: HttpRequest) -> None:
        self.sources = [request.POST, request.GET] if request.method == "POST" else [request.GET]

    def get(self, name: str) -> str | None:
        for source in self.sources:
            value = source.get(name)
            if value is not None and value.strip():
                return value.strip()
        return None

    def getlist(self, name: str) -> list[str]:
        for source in self.sources:
            values = [v for v in source.getlist(name) if v.strip()]
            if values:
                return values
        return []

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for source in self.sources:
            seen.update(dict.fromkeys(source.keys()))
        return iter(seen)


class Failure(Exception):
    def __init__(self, status: int, *messages: Any) -> None:
        self.status = status
        self.messages = [str(m) for m in messages]
        super().__init__("; ".join(self.messages))


def open311_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Chinese answers, UTF-8 form bodies, the jurisdiction check, errors in the asked format."""

    @wraps(view)
    def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and "charset=" not in content_type.lower():
            request.encoding = "utf-8"
        with translation.override(LANGUAGE):
            try:
                params = Params(request)
                _check_jurisdiction(params)
                return view(request, fmt, params=params, **kwargs)
            except Failure as exc:
                return errors(fmt, exc.status, exc.messages)

    return wrapper


def _check_jurisdiction(params: Params) -> None:
    expected = getattr(settings, "ANXIN_OPEN311_JURISDICTION", "")
    given = params.get("jurisdiction_id")
    if expected and given is not None and given != expected:
        raise Failure(404, _("jurisdiction_id %(id)s not found.") % {"id": given})


def _methods(request: HttpRequest, *allowed: str) -> None:
    if request.method not in allowed:
        raise Failure(405, _("Method %(method)s is not allowed here.") % {"method": request.method})


def _user(request: HttpRequest, params: Params, *, required: bool) -> Any:
    key = params.get("api_key")
    if key is None:
        if required:
            raise Failure(403, _("api_key was not provided."))
        return None
    try:
        user = ApiKeyAuth().authenticate(request, key)
    except AccountPolicyError as exc:
        raise Failure(403, exc.message) from None
    if user is None:
        raise Failure(403, _("api_key is invalid."))
    return user


def _service(code: str | None) -> catalogue.Service:
    if code is None:
        raise Failure(400, _("service_code was not provided."))
    service = catalogue.service_get(code)
    if service is None:
        raise Failure(404, _("service_code %(code)s not found.") % {"code": code})
    return service


# --- discovery and services ---------------------------------------------------------------------


@open311_view
def discovery(request: HttpRequest, fmt: str, *, params: Params) -> HttpResponse:
    _methods(request, "GET", "HEAD")
    contact = getattr(settings, "ANXIN_OPEN311_CONTACT", "") or _(
        "For help with this interface, contact the city's petitions office."
    )
    data = {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _(
            "API keys are issued by the system administrator (manage.py create_api_key)."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", data)


def _service_out(service: catalogue.Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": service.metadata,
        "type": "realtime",
        "keywords": service.keywords,
        "group": service.group,
    }


@open311_view
def service_list(request: HttpRequest, fmt: str, *, params: Params) -> HttpResponse:
    _methods(request, "GET", "HEAD")
    rows = [_service_out(s) for s in catalogue.service_list()]
    return respond(fmt, "services", rows, item="service")


@open311_view
def service_definition(
    request: HttpRequest, fmt: str, *, params: Params, code: str
) -> HttpResponse:
    _methods(request, "GET", "HEAD")
    service = _service(code)
    attributes = []
    for attr in sorted(service.attributes, key=lambda a: a.order):
        attributes.append(
            {
                "variable": attr.variable,
                "code": attr.code,
                "datatype": attr.datatype,
                "required": attr.required,
                "datatype_description": str(attr.datatype_description) or None,
                "order": attr.order,
                "description": str(attr.description),
                "values": [{"key": k, "name": n} for k, n in attr.value_pairs()],
            }
        )
    data = {"service_code": service.code, "attributes": attributes}
    return respond(fmt, "service_definition", data)


# --- requests -----------------------------------------------------------------------------------


@csrf_exempt
@open311_view
def requests(request: HttpRequest, fmt: str, *, params: Params) -> HttpResponse:
    _methods(request, "GET", "HEAD", "POST")
    if request.method == "POST":
        return request_create(request, fmt, params=params)
    return request_list(request, fmt, params=params)


def request_create(request: HttpRequest, fmt: str, *, params: Params) -> HttpResponse:
    """``POST requests.{fmt}`` — the one write of Open311, rate-limited per client address
    (scope ``open311_post``) with the answer in Open311's error shape and ``Retry-After``."""
    wait = ratelimit.hit("open311_post", ratelimit.client_key(request))
    if wait is not None:
        response = errors(fmt, 429, [ratelimit.refusal_message(wait)])
        response["Retry-After"] = str(wait)
        return response
    _user(request, params, required=True)
    service = _service(params.get("service_code"))
    try:
        created = intake.request_create(service=service, params=params)
    except catalogue.InvalidAttributes as exc:
        raise Failure(400, *exc.messages) from None
    except intake.Refused as exc:
        raise Failure(exc.status, *exc.messages) from None
    row = {
        "service_request_id": created.service_request_id,
        "token": created.token,
        "service_notice": created.service_notice,
        "account_id": None,
    }
    return respond(fmt, "service_requests", [row], item="request", status=201)


def _filters(params: Params) -> selectors.Filters:
    ids = params.get("service_request_id")
    if ids is not None:
        return selectors.Filters(ids=[i.strip() for i in ids.split(",") if i.strip()])
    filters = selectors.Filters()
    code = params.get("service_code")
    if code is not None:
        filters.service = _service(code)
    start_raw, end_raw = params.get("start_date"), params.get("end_date")
    start = catalogue.parse_w3c(start_raw) if start_raw else None
    end = catalogue.parse_w3c(end_raw) if end_raw else None
    bad = [
        n
        for n, raw, v in (("start_date", start_raw, start), ("end_date", end_raw, end))
        if raw and v is None
    ]
    if bad:
        raise Failure(
            400,
            *[
                _("%(name)s must be a W3C date and time, e.g. %(example)s.")
                % {"name": n, "example": "2026-11-27T12:00:00+08:00"}
                for n in bad
            ],
        )
    filters.start, filters.end = _window(start, end)
    status = params.get("status")
    if status is not None:
        statuses = frozenset(s.strip() for s in status.split(",") if s.strip())
        if not statuses or not statuses <= {"open", "closed"}:
            raise Failure(400, _("status must be open or closed."))
        filters.statuses = statuses
    return filters


def _window(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """The search window: the last 90 days by default; 90 days from a lone start or back from
    a lone end; never more than 90 days."""
    if start is None:
        end = end or timezone.now()
        start = end - selectors.WINDOW
    elif end is None:
        end = start + selectors.WINDOW
    if end < start:
        raise Failure(400, _("end_date is before start_date."))
    if end - start > selectors.WINDOW:
        raise Failure(400, _("start_date and end_date may be at most 90 days apart."))
    return start, end


def request_list(request: HttpRequest, fmt: str, *, params: Params) -> HttpResponse:
    user = _user(request, params, required=False)
    rows = selectors.request_list(user=user, filters=_filters(params))
    return respond(fmt, "service_requests", rows, item="request")


@open311_view
def request_detail(
    request: HttpRequest, fmt: str, *, params: Params, request_id: str
) -> HttpResponse:
    _methods(request, "GET", "HEAD")
    user = _user(request, params, required=False)
    row = selectors.request_get(user=user, request_id=request_id)
    if row is None:
        raise Failure(404, _("service_request_id %(id)s not found.") % {"id": request_id})
    return respond(fmt, "service_requests", [row], item="request")


@open311_view
def token_detail(request: HttpRequest, fmt: str, *, params: Params, token: str) -> HttpResponse:
    _methods(request, "GET", "HEAD")
    row = selectors.token_get(token)
    if row is None:
        raise Failure(404, _("token %(token)s not found.") % {"token": token})
    return respond(fmt, "service_requests", [row], item="request")


@open311_view
def not_found(request: HttpRequest, fmt: str, *, params: Params) -> HttpResponse:
    raise Failure(404, _("There is no such Open311 resource."))


@csrf_exempt
def fallback(request: HttpRequest, path: str = "") -> HttpResponse:
    return not_found(request, "json" if path.endswith(".json") else "xml")
