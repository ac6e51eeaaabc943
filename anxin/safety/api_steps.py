"""/api/v1/ — the remaining steps of the safety pages, through the existing services only:

- inspection records: ``PATCH /inspections/{id}`` (record item results, the draft's fields),
  ``POST /inspections/{id}/sign``, ``POST /inspections/{id}/refusal`` (the leader refuses to
  sign: the record is complete), ``POST /inspections/{id}/penalty``;
- inspection plans (专项行动): ``GET/POST /inspection-plans``, ``GET /inspection-plans/{id}``;
- checklists (read): ``GET /checklists``, ``GET /checklists/{id}``;
- site permits: ``GET/POST /sites/{id}/permits``, ``PATCH /sites/{id}/permits/{pk}``;
- enforcement orders: ``POST /enforcement-orders/{id}/execute``,
  ``POST /enforcement-orders/{id}/reinspection``, ``GET /enforcement-orders/{id}/document.docx``.

Added to the API in ``config/api.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from anxin.core.attachments import attachment_response, attachments_of, content_disposition
from anxin.core.idempotency import idempotent
from anxin.core.models import Unit
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.safety import enforcement, inspections, selectors, services
from anxin.safety import selectors_enforcement as enforcement_selectors
from anxin.safety import selectors_hazards as hazard_selectors
from anxin.safety.api_enforcement import EnforcementOrderOut
from anxin.safety.api_hazards import InspectionDetailOut, ResultIn, _inspection_detail, _users
from anxin.safety.api_hazards import router as hazards_router
from anxin.safety.documents_enforcement import (
    DOCX_CONTENT_TYPE,
    ascii_filename,
    enforcement_document_issue,
)
from anxin.safety.models import Sector
from anxin.safety.schemas import PermitOut

router = Router(tags=["inspections"])


def _reader(user: Any, *actions: str) -> None:
    if not any(can(user, a) for a in actions):
        raise PermissionDenied


# --- inspection records ----------------------------------------------------------------------


class InspectionPatch(Schema):
    version: int = Field(description="the version you read; stale → 409")
    place: str | None = Field(None, max_length=200)
    content: str | None = Field(None, max_length=5000)
    problems: str | None = Field(None, max_length=10000)
    handling: str | None = Field(None, max_length=10000)
    started_at: dt.datetime | None = None
    inspectors: list[str] | None = Field(None, description="usernames")
    results: list[ResultIn] = Field(
        default_factory=list, description="item results to record (pass, fail or na)"
    )


class SignIn(Schema):
    version: int = Field(description="the version you read; stale → 409")
    signer: str = Field(description="inspector (the caller signs), leader, or all")
    drawn: str = Field(
        "", max_length=2_000_000, description="the drawn signature as a PNG data URL"
    )
    leader_name: str = Field("", max_length=50, description="leader: the leader's name")


class RefusalIn(Schema):
    version: int = Field(description="the version you read; stale → 409")
    note: str = Field(max_length=2000, description="what happened (安全生产法 Art. 68)")
    leader_name: str = Field("", max_length=50)


class PenaltyIn(Schema):
    version: int = Field(description="the version you read; stale → 409")
    proposed: bool = True


def _inspection(request: AuthedHttpRequest, id: str) -> Any:
    return hazard_selectors.inspection_get_for_user(user=request.user, id=id)


def _inspection_out(request: AuthedHttpRequest, id: str) -> dict[str, Any]:
    return _inspection_detail(_inspection(request, id))


# On the router that already holds GET /inspections/{id}: one URL pattern per path.
@hazards_router.patch(
    "/inspections/{id}", response=InspectionDetailOut, operation_id="inspections_update"
)
def inspections_update(request: AuthedHttpRequest, id: str, payload: InspectionPatch) -> dict:
    """Record item results and change the draft before anyone signs."""
    inspection = hazard_selectors.inspection_get_for_user(
        user=request.user, id=id, action="inspection.conduct"
    )
    given = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {
        k: given[k] or "" for k in ("place", "content", "problems", "handling") if k in given
    }
    if given.get("started_at") is not None:
        moment = given["started_at"]
        changes["started_at"] = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    inspections.inspection_update(
        actor=request.user,
        inspection=inspection,
        version=payload.version,
        inspectors=_users(payload.inspectors) if payload.inspectors else None,
        results=[inspections.ResultIn(r.item, r.grade, r.notes) for r in payload.results],
        **changes,
    )
    return _inspection_out(request, id)


@router.post(
    "/inspections/{id}/sign", response=InspectionDetailOut, operation_id="inspections_sign"
)
@idempotent
def inspections_sign(request: AuthedHttpRequest, id: str, payload: SignIn) -> dict:
    """Add a signature; when everyone has signed, the record is ``signed`` (finished)."""
    inspections.inspection_sign(
        actor=request.user,
        inspection=_inspection(request, id),
        version=payload.version,
        signer=payload.signer,
        drawn=payload.drawn,
        leader_name=payload.leader_name,
    )
    return _inspection_out(request, id)


@router.post(
    "/inspections/{id}/refusal", response=InspectionDetailOut, operation_id="inspections_refusal"
)
@idempotent
def inspections_refusal(request: AuthedHttpRequest, id: str, payload: RefusalIn) -> dict:
    """The site's leader refuses to sign: the record is finished as ``refused_to_sign``."""
    inspections.inspection_record_refusal(
        actor=request.user,
        inspection=_inspection(request, id),
        version=payload.version,
        note=payload.note,
        leader_name=payload.leader_name,
    )
    return _inspection_out(request, id)


@router.post(
    "/inspections/{id}/penalty", response=InspectionDetailOut, operation_id="inspections_penalty"
)
@idempotent
def inspections_penalty(request: AuthedHttpRequest, id: str, payload: PenaltyIn) -> dict:
    """Propose (or withdraw) a penalty: two or more inspectors needed (行政处罚法 Art. 42)."""
    inspections.inspection_penalty_propose(
        actor=request.user,
        inspection=_inspection(request, id),
        version=payload.version,
        proposed=payload.proposed,
    )
    return _inspection_out(request, id)


# --- inspection plans (专项行动) ----------------------------------------------------------------


class PlanOut(Schema):
    id: str
    title: str
    organiser: str = Field(description="organising unit code")
    unit: str = Field(description="area: the unit whose subtree the plan covers")
    sectors: list[str] = Field(description="sector codes; empty: every sector")
    starts_on: dt.date
    ends_on: dt.date
    coverage_target: int = Field(description="per cent of the sites to inspect")
    site_count: int = Field(description="sites in the plan's area and sectors (not closed)")
    inspected_count: int = Field(description="of which inspected within the period")
    coverage: int | None = Field(description="inspected ÷ sites, whole per cent")
    state: str = Field(description="upcoming, running or ended")
    notes: str
    version: int


class PlanListOut(Schema):
    items: list[PlanOut]
    count: int
    next: str | None


class PlanIn(Schema):
    title: str = Field(max_length=200)
    organiser: str = Field(description="organising unit code")
    unit: str = Field(description="area unit code")
    starts_on: dt.date
    ends_on: dt.date
    sectors: list[str] = Field(default_factory=list, description="sector codes")
    coverage_target: int = Field(100, ge=1, le=100)
    notes: str = Field("", max_length=5000)


def _plan_out(plan: Any) -> dict[str, Any]:
    today = timezone.localdate()
    state = "upcoming" if today < plan.starts_on else "ended" if today > plan.ends_on else "running"
    return {
        "id": str(plan.uid),
        "title": plan.title,
        "organiser": plan.organiser.code,
        "unit": plan.unit.code,
        "sectors": sorted(s.code for s in plan.sectors.all()),
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "coverage_target": plan.coverage_target,
        "site_count": plan.site_count or 0,
        "inspected_count": plan.inspected_count or 0,
        "coverage": hazard_selectors.coverage(plan),
        "state": state,
        "notes": plan.notes,
        "version": plan.version,
    }


def _unit_code(code: str, field: str) -> Unit:
    unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise ValidationError({field: _("Unknown unit code: %(code)s") % {"code": code}})
    return unit


@router.get("/inspection-plans", response=PlanListOut, operation_id="inspection_plans_list")
def inspection_plans_list(
    request: AuthedHttpRequest, cursor: str | None = None, limit: int = 50
) -> dict:
    _reader(request.user, "inspection_plan.view")
    qs = hazard_selectors.plan_list(user=request.user)
    page = keyset_page(qs, hazard_selectors.PLAN_ORDERING, cursor=cursor, limit=limit)
    return {
        "items": [_plan_out(p) for p in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.post("/inspection-plans", response={201: PlanOut}, operation_id="inspection_plans_create")
@idempotent
def inspection_plans_create(request: AuthedHttpRequest, payload: PlanIn) -> Status[dict]:
    sectors = list(Sector.objects.filter(code__in=payload.sectors))
    unknown = sorted(set(payload.sectors) - {s.code for s in sectors})
    if unknown:
        raise ValidationError(
            {"sectors": _("Unknown sector: %(code)s") % {"code": ", ".join(unknown)}}
        )
    plan = inspections.inspection_plan_create(
        actor=request.user,
        title=payload.title,
        organiser=_unit_code(payload.organiser, "organiser"),
        unit=_unit_code(payload.unit, "unit"),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        sectors=sectors,
        coverage_target=payload.coverage_target,
        notes=payload.notes,
    )
    return Status(201, _plan_out(hazard_selectors.plan_get(user=request.user, id=str(plan.uid))))


@router.get("/inspection-plans/{id}", response=PlanOut, operation_id="inspection_plans_get")
def inspection_plans_get(request: AuthedHttpRequest, id: str) -> dict:
    return _plan_out(hazard_selectors.plan_get(user=request.user, id=id))


# --- checklists (read) --------------------------------------------------------------------------


class ChecklistOut(Schema):
    id: int
    sector: str
    sector_name: str
    version: int
    title: str
    is_current: bool
    published_at: dt.datetime


class ChecklistItemOut(Schema):
    id: int
    order: int
    text: str
    basis: str
    severity_hint: str


class ChecklistDetailOut(ChecklistOut):
    items: list[ChecklistItemOut]
    versions: list[int] = Field(description="ids of every version of this sector's checklist")


def _checklist_out(t: Any) -> dict[str, Any]:
    return {
        "id": t.pk,
        "sector": t.sector.code,
        "sector_name": t.sector.name,
        "version": t.version,
        "title": t.title,
        "is_current": t.is_current,
        "published_at": t.published_at,
    }


@router.get(
    "/checklists", response=list[ChecklistOut], tags=["safety"], operation_id="checklists_list"
)
def checklists_list(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    """The current checklist of every sector."""
    _reader(request.user, "checklist.view", "checklist.manage")
    return [_checklist_out(t) for t in selectors.checklist_current_list()]


@router.get(
    "/checklists/{id}", response=ChecklistDetailOut, tags=["safety"], operation_id="checklists_get"
)
def checklists_get(request: AuthedHttpRequest, id: int) -> dict[str, Any]:
    _reader(request.user, "checklist.view", "checklist.manage")
    template = selectors.checklist_get(id)
    out = _checklist_out(template)
    out["items"] = [
        {
            "id": i.pk,
            "order": i.order,
            "text": i.text,
            "basis": i.basis,
            "severity_hint": i.severity_hint,
        }
        for i in template.items.order_by("order")
    ]
    out["versions"] = list(
        selectors.checklist_versions(template.sector).values_list("pk", flat=True)
    )
    return out


# --- site permits -------------------------------------------------------------------------------


class PermitIn(Schema):
    kind: str = Field(description="a permit kind code")
    number: str = Field(max_length=64)
    issued_by: str = Field("", max_length=100)
    issued_on: dt.date
    expires_on: dt.date | None = None


class PermitPatch(Schema):
    version: int = Field(description="the version you read; stale → 409")
    kind: str | None = None
    number: str | None = Field(None, max_length=64)
    issued_by: str | None = Field(None, max_length=100)
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None


def _permit_out(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "number": p.number,
        "issued_by": p.issued_by,
        "issued_on": p.issued_on,
        "expires_on": p.expires_on,
        "version": p.version,
    }


@router.get(
    "/sites/{id}/permits", response=list[PermitOut], tags=["safety"], operation_id="permits_list"
)
def permits_list(request: AuthedHttpRequest, id: str) -> list[dict[str, Any]]:
    site = selectors.site_get_for_user(user=request.user, id=id)
    return [_permit_out(p) for p in selectors.site_permits(site)]


@router.post(
    "/sites/{id}/permits",
    response={201: PermitOut},
    tags=["safety"],
    operation_id="permits_create",
)
@idempotent
def permits_create(request: AuthedHttpRequest, id: str, payload: PermitIn) -> Status[dict]:
    site = selectors.site_get_for_user(user=request.user, id=id, action="manage")
    permit = services.permit_add(actor=request.user, site=site, **payload.dict())
    return Status(201, _permit_out(permit))


@router.patch(
    "/sites/{id}/permits/{pk}", response=PermitOut, tags=["safety"], operation_id="permits_update"
)
def permits_update(request: AuthedHttpRequest, id: str, pk: int, payload: PermitPatch) -> dict:
    site = selectors.site_get_for_user(user=request.user, id=id, action="manage")
    permit = selectors.permit_get_for_site(site=site, pk=pk)
    given = payload.dict(exclude_unset=True)
    version = given.pop("version")
    for field in ("kind", "number", "issued_on"):
        if field in given and given[field] is None:
            given.pop(field)
    if "issued_by" in given and given["issued_by"] is None:
        given["issued_by"] = ""
    permit = services.permit_update(actor=request.user, permit=permit, version=version, **given)
    return _permit_out(selectors.permit_get_for_site(site=site, pk=permit.pk))


# --- enforcement orders: carry out, re-inspect, the document -----------------------------------


class ReinspectionIn(Schema):
    passed: bool
    notes: str = Field("", max_length=5000)


def _order(request: AuthedHttpRequest, id: str, action: str = "view") -> Any:
    return enforcement_selectors.order_get_for_user(user=request.user, id=id, action=action)


@router.post(
    "/enforcement-orders/{id}/execute",
    response=EnforcementOrderOut,
    tags=["enforcement"],
    operation_id="enforcement_execute",
)
@idempotent
def enforcement_execute(request: AuthedHttpRequest, id: str) -> dict:
    """Record that the order was carried out (a power cut-off: 24 h after notice)."""
    enforcement.enforcement_execute(actor=request.user, order=_order(request, id, "issue"))
    return enforcement_selectors.order_out(_order(request, id))


@router.post(
    "/enforcement-orders/{id}/reinspection",
    response=EnforcementOrderOut,
    tags=["enforcement"],
    operation_id="enforcement_reinspect",
)
@idempotent
def enforcement_reinspect(request: AuthedHttpRequest, id: str, payload: ReinspectionIn) -> dict:
    """Record the re-inspection (复查); it stops the ``reinspect_by`` clock."""
    enforcement.enforcement_reinspection_record(
        actor=request.user,
        order=_order(request, id, "issue"),
        passed=payload.passed,
        notes=payload.notes,
        at=timezone.now(),
    )
    return enforcement_selectors.order_out(_order(request, id))


@router.get(
    "/enforcement-orders/{id}/document.docx",
    tags=["enforcement"],
    operation_id="enforcement_document",
    openapi_extra={
        "responses": {
            200: {
                "description": "The order as an official document (.docx); the download is "
                "audited.",
                "content": {DOCX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            },
            404: {"description": "No such order for this user."},
        }
    },
)
def enforcement_document(request: AuthedHttpRequest, id: str) -> HttpResponse:
    order = _order(request, id)
    filename, data = enforcement_document_issue(actor=request.user, order=order)
    response = HttpResponse(data, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, ascii_filename(order))
    return response


# --- a public report: arrange an inspection (triage) -------------------------------------------


class InspectionTaskIn(Schema):
    site: str | None = Field(None, description="site id, when the report names none (GET /sites)")


@router.post(
    "/hazards/{id}/inspection-task",
    response={201: InspectionDetailOut},
    tags=["hazards"],
    operation_id="hazards_inspection_task",
)
@idempotent
def hazards_inspection_task(
    request: AuthedHttpRequest, id: str, payload: InspectionTaskIn
) -> Status[dict]:
    """Triage of a public report: a draft inspection of the site, linked to the report."""
    from anxin.safety.hazards import site_by_id
    from anxin.safety.public_reports import hazard_inspection_task

    hazard = hazard_selectors.hazard_get_for_user(user=request.user, id=id)
    site = site_by_id(request.user, payload.site) if payload.site else None
    inspection = hazard_inspection_task(actor=request.user, hazard=hazard, site=site)
    return Status(201, _inspection_out(request, str(inspection.uid)))


# --- files: a hazard's evidence, an inspection's photos and signatures -------------------------

_FILE_RESPONSES = {
    "responses": {
        200: {
            "description": "The file, decrypted, as a sandboxed download.",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        },
    }
}


@router.get(
    "/hazards/{id}/files/{file}",
    tags=["hazards"],
    operation_id="hazards_file",
    openapi_extra=_FILE_RESPONSES,
)
def hazards_file(request: AuthedHttpRequest, id: str, file: str) -> HttpResponse:
    """A file of the hazard (its ``evidence`` ids), for those who may see the hazard."""
    hazard = hazard_selectors.hazard_get_for_user(user=request.user, id=id)
    attachment = attachments_of(hazard).filter(uid=hazard_selectors.uuid_or_404(file)).first()
    if attachment is None:
        raise Http404
    return attachment_response(attachment)


@router.get(
    "/inspections/{id}/files/{file}",
    tags=["inspections"],
    operation_id="inspections_file",
    openapi_extra=_FILE_RESPONSES,
)
def inspections_file(request: AuthedHttpRequest, id: str, file: str) -> HttpResponse:
    """A photo or a signature of the record, for those who may see the record."""
    inspection = _inspection(request, id)
    return attachment_response(hazard_selectors.result_photo(inspection, file))
