"""Core endpoints of /api/v1/: the organisation directory and the caller."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router

from anxin.core import selectors
from anxin.core.models import RoleAssignment, Unit, User
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.schemas import (
    MeOut,
    RoleOut,
    StaffFilter,
    StaffListOut,
    StaffOut,
    UnitFilter,
    UnitListOut,
    UnitOut,
)
from anxin.core.scoping import can, roles_of, unit_in_scope
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


# --- people (read) ------------------------------------------------------------------------------


def person_out(person: User, caller: User) -> dict:
    """A person as the caller may see them: never a secret; the phone number only for a
    caller who may manage the account (as on the staff page's edit form)."""
    may_manage = person.unit is not None and unit_in_scope(caller, "user.manage", person.unit)
    return {
        "username": person.username,
        "name": person.name,
        "unit": person.unit.code if person.unit is not None else None,
        "unit_name": person.unit.name if person.unit is not None else None,
        "is_active": person.is_active,
        "roles": sorted({a.role for a in person.role_assignments.all()}),
        "email": person.email,
        "phone": person.phone if may_manage else None,
        "last_login": person.last_login,
        "version": person.version,
    }


def _people_reader(user: User) -> None:
    if not can(user, "user.view"):
        raise PermissionDenied


_ROLES = Prefetch("role_assignments", queryset=RoleAssignment.objects.only("id", "user", "role"))


@router.get("/people", response=StaffListOut, operation_id="people_list")
def people_list(
    request: AuthedHttpRequest,
    filters: Query[StaffFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    _people_reader(request.user)
    qs = selectors.user_list(user=request.user, **filters.dict()).prefetch_related(_ROLES)
    page = keyset_page(qs, selectors.USER_ORDERING, cursor=cursor, limit=limit)
    return {
        "items": [person_out(p, request.user) for p in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.get("/people/{username}", response=StaffOut, operation_id="people_get")
def people_get(request: AuthedHttpRequest, username: str) -> dict:
    person = selectors.user_get_for_user(user=request.user, username=username)
    return person_out(person, request.user)


@router.get("/people/{username}/roles", response=list[RoleOut], operation_id="people_roles")
def people_roles(request: AuthedHttpRequest, username: str) -> list[dict]:
    person = selectors.user_get_for_user(user=request.user, username=username)
    return [
        {
            "id": a.pk,
            "role": a.role,
            "role_label": a.get_role_display(),
            "unit": a.unit.code,
            "unit_name": a.unit.name,
            "include_subtree": a.include_subtree,
            "granted_at": a.created_at,
        }
        for a in selectors.user_roles(person)
    ]
