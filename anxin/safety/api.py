"""/api/v1/ endpoints of the safety app. Each part adds its operations to this router."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from anxin.core.idempotency import idempotent
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
        raise ValidationError({"contact_user": _("Unknown user: %(name)s") % {"name": username}})
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
@idempotent
def sites_create(request: AuthedHttpRequest, payload: SiteIn) -> Status[dict]:
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
    return Status(201, site_detail(site, request.user))


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


# --- accidents (生产安全事故, 493号令) ------------------------------------------------------------

import datetime as dt  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.http import Http404  # noqa: E402
from django.utils import timezone  # noqa: E402

from anxin.safety import accident_rules, accidents  # noqa: E402
from anxin.safety.models_accidents import Accident  # noqa: E402


class AccidentIn(Schema):
    occurred_at: dt.datetime = Field(description="ISO date-time; without offset: Asia/Shanghai")
    unit_informed_at: dt.datetime | None = Field(
        None, description="when the unit leader was told (Art. 9); default occurred_at"
    )
    place: str = Field(max_length=200)
    kind: str = Field(description="road_traffic, fire, production, construction, … other")
    summary: str = Field(max_length=20000)
    deaths: int = Field(0, ge=0)
    serious_injuries: int = Field(0, ge=0, description="including acute industrial poisoning")
    missing: int = Field(0, ge=0, description="reported; never counted toward the grade")
    direct_loss_yuan: Decimal = Field(Decimal(0), ge=0)
    site: str | None = Field(None, description="site id (GET /sites)")
    unit: str | None = Field(None, description="territorial unit code; default the site's unit")
    reported_to_county_at: dt.datetime | None = Field(
        None, description="already reported to the county: when (records the county report)"
    )
    reporter: str = Field("", max_length=100)


class AccidentOut(Schema):
    id: str
    occurred_at: str
    unit_informed_at: str
    place: str
    kind: str
    kind_label: str
    deaths: int
    serious_injuries: int
    missing: int
    direct_loss_yuan: Decimal
    grade: str
    grade_label: str
    grade_decided_by: list[str]
    grade_article: str
    required_level: str
    highest_level: str
    investigated_by: str
    stage: str
    unit: str
    site: str | None
    reported_to_county_at: str | None
    investigation_report_received_on: dt.date | None
    approved_on: dt.date | None
    version: int
    deadlines: dict[str, str]


class AccidentClockOut(Schema):
    name: str
    rule: str
    due: str
    state: str
    extra: int
    paused: int


class AccidentReportOut(Schema):
    kind: str
    level: str
    reported_at: str
    reporter: str
    deaths: int
    serious_injuries: int
    missing: int
    direct_loss_yuan: Decimal
    grade: str
    grade_before: str
    note: str


class FineOut(Schema):
    low: Decimal
    high: Decimal
    article: str


class AccidentDetailOut(AccidentOut):
    summary: str
    investigation_extension_days: int
    approval_extension_days: int
    approval_reference: str
    fine_range: FineOut
    clocks: list[AccidentClockOut]
    reports: list[AccidentReportOut]
    hazards: list[str] = Field(description="ids of the hazards found in the investigation")


class AccidentListOut(Schema):
    items: list[AccidentOut]
    count: int
    next: str | None


class AccidentFilter(Schema):
    grade: str | None = None
    kind: str | None = None
    unit: str | None = Field(None, description="accidents in this unit's subtree")
    stage: str | None = Field(None, description="investigating, awaiting_approval or approved")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str | None = Field(None, description="part of the place or the summary")


class AccidentActionIn(Schema):
    """Body of POST /accidents/{id}/actions/{action}; each action reads the fields it needs."""

    version: int | None = Field(None, description="the version you read; stale → 409")
    at: dt.datetime | None = Field(None, description="county_reported, reported_up, supplement")
    level: str = Field("", description="reported_up: city, province or state")
    reporter: str = Field("", max_length=100)
    deaths: int | None = None
    serious_injuries: int | None = None
    missing: int | None = None
    direct_loss_yuan: Decimal | None = None
    note: str = ""
    days: int | None = Field(None, description="extend_investigation, extend_approval")
    reason: str = ""
    on: dt.date | None = Field(None, description="pause, resume, report_received, approve")
    reference: str = Field("", max_length=100, description="approve: the document number")
    hazards: list[str] = Field(
        default_factory=list, description="link_hazards, unlink_hazards: hazard ids"
    )


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment is not None else None


def accident_out(a: Accident, deadlines: dict[str, str]) -> dict[str, Any]:
    grading = accident_rules.grade_accident(
        deaths=a.deaths,
        serious_injuries=a.serious_injuries,
        direct_loss_yuan=a.direct_loss_yuan,
    )
    return {
        "id": str(a.uid),
        "occurred_at": _iso(a.occurred_at),
        "unit_informed_at": _iso(a.unit_informed_at),
        "place": a.place,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "deaths": a.deaths,
        "serious_injuries": a.serious_injuries,
        "missing": a.missing,
        "direct_loss_yuan": a.direct_loss_yuan,
        "grade": a.grade,
        "grade_label": a.get_grade_display(),
        "grade_decided_by": list(grading.decided_by),
        "grade_article": f"{accident_rules.REGULATION} {grading.article}",
        "required_level": accident_rules.required_level(a.grade),
        "highest_level": a.highest_level,
        "investigated_by": accident_rules.investigated_by(a.grade),
        "stage": a.stage,
        "unit": a.unit.code,
        "site": str(a.site.uid) if a.site is not None else None,
        "reported_to_county_at": _iso(a.reported_to_county_at),
        "investigation_report_received_on": a.investigation_report_received_on,
        "approved_on": a.approved_on,
        "version": a.version,
        "deadlines": dict(sorted(deadlines.items())),
    }


def accident_detail(a: Accident, user: Any) -> dict[str, Any]:
    clocks = accidents.accident_clocks(a)
    data = accident_out(a, {n: accidents.clock_due(c) for n, c in clocks.items()})
    fine = accident_rules.FINES[a.grade]
    data.update(
        {
            "summary": a.summary,
            "investigation_extension_days": a.investigation_extension_days,
            "approval_extension_days": a.approval_extension_days,
            "approval_reference": a.approval_reference,
            "fine_range": {"low": fine.low, "high": fine.high, "article": fine.article},
            "clocks": [
                {
                    "name": c.name,
                    "rule": c.rule,
                    "due": accidents.clock_due(c),
                    "state": c.state,
                    "extra": c.extra_days,
                    "paused": c.paused_days,
                }
                for c in sorted(clocks.values(), key=lambda c: (c.due_on, c.pk))
            ],
            "reports": [
                {
                    "kind": r.kind,
                    "level": r.level,
                    "reported_at": _iso(r.reported_at),
                    "reporter": r.reporter,
                    "deaths": r.deaths,
                    "serious_injuries": r.serious_injuries,
                    "missing": r.missing,
                    "direct_loss_yuan": r.direct_loss_yuan,
                    "grade": r.grade,
                    "grade_before": r.grade_before,
                    "note": r.note,
                }
                for r in accidents.accident_reports(a)
            ],
            "hazards": [
                str(uid)
                for uid in accidents.accident_hazards(user=user, accident=a).values_list(
                    "uid", flat=True
                )
            ],
        }
    )
    return data


def _accident_reader(user: Any) -> None:
    if not can(user, "accident.view"):
        raise PermissionDenied


def _accident_site(user: Any, site_id: str | None) -> Any:
    if not site_id:
        return None
    try:
        return selectors.site_get_for_user(user=user, id=site_id)
    except Http404:
        raise ValidationError({"site": _("Unknown site: %(id)s") % {"id": site_id}}) from None


@router.get("/accidents", response=AccidentListOut, operation_id="accidents_list")
def accidents_list(
    request: AuthedHttpRequest,
    filters: Query[AccidentFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    _accident_reader(request.user)
    qs = accidents.accident_list(user=request.user, **filters.dict())
    page = keyset_page(qs, accidents.ACCIDENT_ORDERING, cursor=cursor, limit=limit)
    deadlines = accidents.deadlines_for(page.items)
    return {
        "items": [accident_out(a, deadlines[a.pk]) for a in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.post("/accidents", response={201: AccidentDetailOut}, operation_id="accidents_create")
@idempotent
def accidents_create(request: AuthedHttpRequest, payload: AccidentIn) -> Status[dict]:
    site = _accident_site(request.user, payload.site)
    unit = _unit(payload.unit, "unit") or (site.unit if site is not None else None)
    if unit is None:
        raise ValidationError({"unit": _("Choose a unit.")})
    occurred_at = accidents.parse_moment(payload.occurred_at, "occurred_at")
    assert occurred_at is not None  # required by the schema
    accident = accidents.accident_report(
        actor=request.user,
        occurred_at=occurred_at,
        unit_informed_at=accidents.parse_moment(payload.unit_informed_at, "unit_informed_at"),
        place=payload.place,
        kind=payload.kind,
        summary=payload.summary,
        deaths=payload.deaths,
        serious_injuries=payload.serious_injuries,
        missing=payload.missing,
        direct_loss_yuan=payload.direct_loss_yuan,
        site=site,
        unit=unit,
        reported_to_county_at=accidents.parse_moment(
            payload.reported_to_county_at, "reported_to_county_at"
        ),
        reporter=payload.reporter,
    )
    accident = accidents.accident_get_for_user(user=request.user, id=str(accident.uid))
    return Status(201, accident_detail(accident, request.user))


@router.get("/accidents/{id}", response=AccidentDetailOut, operation_id="accidents_get")
def accidents_get(request: AuthedHttpRequest, id: str) -> dict:
    accident = accidents.accident_get_for_user(user=request.user, id=id)
    return accident_detail(accident, request.user)


@router.post(
    "/accidents/{id}/actions/{action}",
    response=AccidentDetailOut,
    operation_id="accidents_action",
)
@idempotent
def accidents_action(
    request: AuthedHttpRequest, id: str, action: str, payload: AccidentActionIn
) -> dict:
    if action not in accidents.ACTIONS:
        raise Http404
    accident = accidents.accident_get_for_user(user=request.user, id=id, action="manage")
    accidents.run_action(action, actor=request.user, accident=accident, data=payload.dict())
    accident = accidents.accident_get_for_user(user=request.user, id=id)
    return accident_detail(accident, request.user)
