"""/api/v1/enforcement-orders — enforcement orders (执法文书): ``GET/POST /enforcement-orders``,
``GET /enforcement-orders/{id}``. Added to the API in ``config/api.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from anxin.core.idempotency import idempotent
from anxin.core.models import User
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.safety import enforcement
from anxin.safety import selectors_enforcement as selectors
from anxin.safety.hazards import site_by_id
from anxin.safety.selectors_hazards import hazard_get_for_user

router = Router(tags=["enforcement"])


class EnforcementOrderOut(Schema):
    id: str
    number: str = Field(description="the human reference, ZF<year>-<id>")
    site: str
    site_name: str
    hazard: str | None
    kind: str = Field(description="rectify, suspend, seal, closure or power_cut")
    status: str = Field(description="issued, executed or reinspected")
    basis_codes: list[str]
    facts: str
    demands: str
    deadline: dt.date = Field(description="deadline; the re-inspection (复查) is due on it")
    fine_yuan: float | None
    is_penalty: bool
    officers: list[str]
    issued_at: dt.datetime
    notice_at: dt.datetime | None
    executed_at: dt.datetime | None
    reinspected_at: dt.datetime | None
    reinspection_passed: bool | None
    version: int


class EnforcementOrderListOut(Schema):
    items: list[EnforcementOrderOut]
    count: int
    next: str | None


class EnforcementOrderIn(Schema):
    site: str = Field(description="site id")
    kind: str = Field(description="rectify, suspend, seal, closure or power_cut")
    hazard: str | None = Field(None, description="hazard id (of the same site)")
    basis_codes: list[str] = Field(description="codes from the maintained legal-basis list")
    facts: str = Field(max_length=10000)
    demands: str = Field(max_length=10000)
    deadline: dt.date
    officers: list[str] = Field(description="usernames; two or more for a penalty")
    fine_yuan: Decimal | None = None


class EnforcementFilter(Schema):
    site: str | None = None
    kind: str | None = None
    status: str | None = None


def _users(usernames: list[str]) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    missing = [n for n in usernames if n not in found]
    if missing:
        raise ValidationError(
            {"officers": _("Unknown user: %(name)s") % {"name": ", ".join(missing)}}
        )
    return [found[n] for n in dict.fromkeys(usernames)]


@router.get(
    "/enforcement-orders", response=EnforcementOrderListOut, operation_id="enforcement_list"
)
def enforcement_list(
    request: AuthedHttpRequest,
    filters: Query[EnforcementFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    if not can(request.user, "enforcement.view"):
        raise PermissionDenied
    site = site_by_id(request.user, filters.site) if filters.site else None
    qs = selectors.order_list(
        user=request.user, site=site, kind=filters.kind, status=filters.status
    )
    page = keyset_page(qs, selectors.ORDERING, cursor=cursor, limit=limit)
    return {
        "items": [selectors.order_out(o) for o in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.post(
    "/enforcement-orders",
    response={201: EnforcementOrderOut},
    operation_id="enforcement_create",
)
@idempotent
def enforcement_create(request: AuthedHttpRequest, payload: EnforcementOrderIn) -> Status[dict]:
    if not can(request.user, "enforcement.issue"):
        raise PermissionDenied
    site = site_by_id(request.user, payload.site)
    if site is None:
        raise ValidationError({"site": _("Unknown site.")})
    hazard = hazard_get_for_user(user=request.user, id=payload.hazard) if payload.hazard else None
    order = enforcement.enforcement_order_issue(
        actor=request.user,
        site=site,
        kind=payload.kind,
        hazard=hazard,
        basis_codes=payload.basis_codes,
        facts=payload.facts,
        demands=payload.demands,
        deadline=payload.deadline,
        officers=_users(payload.officers),
        fine_yuan=payload.fine_yuan,
    )
    order = selectors.order_get_for_user(user=request.user, id=str(order.uid))
    return Status(201, selectors.order_out(order))


@router.get(
    "/enforcement-orders/{id}", response=EnforcementOrderOut, operation_id="enforcement_get"
)
def enforcement_get(request: AuthedHttpRequest, id: str) -> dict:
    return selectors.order_out(selectors.order_get_for_user(user=request.user, id=id))
