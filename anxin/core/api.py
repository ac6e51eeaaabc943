"""Core endpoints of /api/v1/: the organisation directory and the caller."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from anxin.core import selectors
from anxin.core.models import Unit
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.schemas import MeOut, UnitFilter, UnitListOut, UnitOut
from anxin.core.scoping import roles_of
from anxin.core.types import AuthedHttpRequest

router = Router(tags=["core"])


def unit_out(unit: Unit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent.code if unit.parent is not None else None,
        "division_code": unit.division_code,
        "version": unit.version,
    }


@router.get("/units", response=UnitListOut, operation_id="units_list")
def units_list(
    request: HttpRequest,
    filters: Query[UnitFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    qs = selectors.unit_list(user=request.user, **filters.dict())
    page = keyset_page(qs, selectors.UNIT_ORDERING, cursor=cursor, limit=limit)
    return {
        "items": [unit_out(u) for u in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.get("/units/{code}", response=UnitOut, operation_id="units_get")
def units_get(request: AuthedHttpRequest, code: str) -> dict:
    return unit_out(selectors.unit_get_for_user(user=request.user, code=code))


@router.get("/me", response=MeOut, operation_id="me")
def me(request: AuthedHttpRequest) -> dict:
    user = request.user
    return {
        "username": user.username,
        "name": user.name,
        "roles": sorted(roles_of(user)),
        "unit": user.unit.code if user.unit is not None else None,
    }
