"""/api/v1/ endpoints of the safety app. Each part adds its operations to this router."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from anxin.core.models import Unit, User
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.safety import selectors, services
from anxin.safety.models import Sector
from anxin.safety.presenters import site_detail, site_out
from anxin.safety.schemas import SectorOut, SiteDetailOut, SiteIn, SiteListOut, SitePatch

router = Router(tags=["safety"])


# --- sites and sectors (一企一档) -------------------------------------------------------------


class SiteFilter(Schema):
    sector: str | None = Field(None, description="sector code")
    unit: str | None = Field(
        None, description="territorial unit within, or regulating department within, this code"
    )
    risk_level: str | None = None
    status: str | None = None
    q: str | None = Field(None, description="part of the name, or the credit code")


def _site_reader(user: Any) -> None:
    if not (can(user, "site.view") or can(user, "site.view_own")):
        raise PermissionDenied


def _sector(code: str | None, field: str = "sector") -> Sector:
    sector = Sector.objects.select_related("department").filter(code=code or "").first()
    if sector is None:
        raise ValidationError({field: _("Unknown sector: %(code)s") % {"code": code}})
    return sector


def _unit(code: str | None, field: str) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise ValidationError({field: _("Unknown unit code: %(code)s") % {"code": code}})
    return unit


def _contact(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError(
            {"contact_user": _("Unknown user: %(name)s") % {"name": username}}
        )
    return user


@router.get("/sectors", response=list[SectorOut], operation_id="sectors_list")
def sectors_list(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    _site_reader(request.user)
    return [
        {"code": s.code, "name": s.name, "department": s.department.code if s.department else None}
        for s in selectors.sector_list()
    ]


@router.get("/sites", response=SiteListOut, operation_id="sites_list")
def sites_list(
    request: AuthedHttpRequest,
    filters: Query[SiteFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    _site_reader(request.user)
    qs = selectors.site_list(user=request.user, **filters.dict())
    page = keyset_page(qs, selectors.SITE_ORDERING, cursor=cursor, limit=limit)
    return {
        "items": [site_out(s, request.user) for s in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.post("/sites", response={201: SiteDetailOut}, operation_id="sites_create")
def sites_create(request: AuthedHttpRequest, payload: SiteIn) -> tuple[int, dict]:
    unit = _unit(payload.unit, "unit")
    if unit is None:
        raise ValidationError({"unit": _("Choose a unit.")})
    site = services.site_create(
        actor=request.user,
        name=payload.name,
        credit_code=payload.credit_code,
        sector=_sector(payload.sector),
        unit=unit,
        regulating_unit=_unit(payload.regulating_unit, "regulating_unit"),
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        risk_level=payload.risk_level,
        status=payload.status,
        contact_user=_contact(payload.contact_user),
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
    )
    site = selectors.site_get_for_user(user=request.user, id=str(site.uid))
    return 201, site_detail(site, request.user)


@router.get("/sites/{id}", response=SiteDetailOut, operation_id="sites_get")
def sites_get(request: AuthedHttpRequest, id: str) -> dict:
    site = selectors.site_get_for_user(user=request.user, id=id)
    return site_detail(site, request.user)


@router.patch("/sites/{id}", response=SiteDetailOut, operation_id="sites_update")
def sites_update(request: AuthedHttpRequest, id: str, payload: SitePatch) -> dict:
    site = selectors.site_get_for_user(user=request.user, id=id, action="manage")
    given = payload.dict(exclude_unset=True)
    version = given.pop("version")
    changes: dict[str, Any] = {}
    for field, value in given.items():
        if field == "sector":
            changes["sector"] = _sector(value)
        elif field == "unit":
            changes["unit"] = _unit(value, "unit") or site.unit
        elif field == "regulating_unit":
            changes["regulating_unit"] = _unit(value, "regulating_unit")
        elif field == "contact_user":
            changes["contact_user"] = _contact(value)
        elif field in ("latitude", "longitude"):
            changes[field] = value
        else:
            changes[field] = value if value is not None else ""
    services.site_update(actor=request.user, site=site, version=version, **changes)
    site = selectors.site_get_for_user(user=request.user, id=id)
    return site_detail(site, request.user)
