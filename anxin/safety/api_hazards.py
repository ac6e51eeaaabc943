"""/api/v1/inspections and /api/v1/hazards — the contract of the safety issue (names are a
promise): ``GET/POST /inspections``, ``GET/POST /hazards``,
``POST /hazards/{id}/actions/{action}`` returning the updated hazard. Added to the API in
``config/api.py`` next to the safety router."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from anxin.core.attachments import content_disposition
from anxin.core.idempotency import idempotent
from anxin.core.models import User
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.safety import hazards, inspections
from anxin.safety import selectors_hazards as selectors
from anxin.safety.documents_enforcement import DOCX_CONTENT_TYPE
from anxin.safety.documents_inspections import ascii_filename, inspection_record_issue
from anxin.safety.hazard_review import resumption_applications
from anxin.safety.hazard_rules import ACTIONS
from anxin.safety.hazards import site_by_id
from anxin.safety.models_hazards import Hazard
from anxin.safety.models_inspections import Inspection
from anxin.safety.presenters_hazards import hazard_detail_out, hazard_out, inspection_out

router = Router(tags=["hazards"])


# --- schemas ----------------------------------------------------------------------------------


class SupervisionOut(Schema):
    unit: str
    unit_name: str
    listed_at: dt.datetime | None
    document: str


class HazardOut(Schema):
    id: str
    number: str = Field(description="the human reference, YH<year>-<id>")
    site: str | None
    site_name: str | None
    unit: str = Field(description="territorial unit code")
    description: str
    place: str
    grade: str = Field(description="general or major")
    status: str = Field(
        description="reported, registered, rectifying, submitted, verified, closed or void"
    )
    source: str
    found_at: dt.datetime
    deadline: dt.date | None
    overdue: bool
    responsible: str
    measures: str
    funds: float | None
    contingency_plan: str
    production_stopped: bool
    resumption_approved_at: dt.datetime | None
    supervision: SupervisionOut | None = Field(description="挂牌督办, or null")
    submitted_at: dt.datetime | None
    verified_at: dt.datetime | None
    verification_notes: str
    closed_at: dt.datetime | None
    void_reason: str
    recurrence_of: str | None
    inspection: str | None
    checklist_item: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class EvidenceOut(Schema):
    id: str
    name: str
    size: int
    uploaded_at: dt.datetime


class HazardEventOut(Schema):
    at: dt.datetime
    kind: str
    actor: str
    data: dict


class ResumptionApplicationOut(Schema):
    number: int
    text: str
    status: str = Field(description="pending, approved or refused")
    applied_at: dt.datetime
    review_by: dt.date | None = Field(description="the review is due by (16号令 Art. 23)")
    decided_at: dt.datetime | None
    reasons: str
    scan: str | None = Field(description="id of the scanned application among the files")


class HazardDetailOut(HazardOut):
    actions: list[str] = Field(description="the steps the caller may take now")
    evidence: list[EvidenceOut]
    timeline: list[HazardEventOut]
    resumption_applications: list[ResumptionApplicationOut]


class HazardListOut(Schema):
    items: list[HazardOut]
    count: int
    next: str | None


class HazardIn(Schema):
    site: str | None = Field(None, description="site id (GET /sites); required unless reported")
    description: str = Field(max_length=5000)
    grade: str = Field("general", description="general or major")
    deadline: dt.date | None = None
    place: str = Field("", max_length=200)
    found_at: dt.datetime | None = None
    status: str = Field("registered", description="registered (default) or reported")
    unit: str | None = Field(None, description="unit of the place, for a report without a site")
    source: str = Field("other", description="inspection, report, self_check or other")
    production_stopped: bool = False
    recurrence_of: str | None = Field(None, description="id of the closed hazard that recurs")


class HazardActionIn(Schema):
    """Body of POST /hazards/{id}/actions/{action}; each action reads the fields it needs."""

    version: int | None = Field(None, description="the version you read; stale → 409")
    # register; regrade (general or major)
    site: str | None = None
    grade: str | None = None
    # start_rectification (五落实), register, verify (a new deadline when sent back)
    responsible: str = ""
    measures: str = ""
    funds: Decimal | None = None
    deadline: dt.date | None = None
    contingency_plan: str = ""
    production_stopped: bool | None = None
    # submit_rectification (evidence first: POST /hazards/{id}/evidence)
    note: str = ""
    # verify
    passed: bool | None = None
    notes: str = ""
    # list_for_supervision
    unit: str | None = Field(None, description="the supervising authority's unit code")
    document: str = ""
    # void, regrade, refuse_resumption
    reason: str = ""
    # apply_resumption (the written application; a scan is attached on the page)
    text: str = Field("", max_length=5000)


class HazardFilter(Schema):
    status: str | None = Field(None, description="a status code, or 'open'")
    grade: str | None = None
    sector: str | None = None
    unit: str | None = Field(None, description="site's territorial unit or regulator within")
    overdue: bool | None = None
    supervised: bool | None = Field(None, description="listed for supervision (挂牌督办)")
    site: str | None = None
    source: str | None = None
    q: str | None = None
    found_from: str | None = Field(None, description="found on or after (YYYY-MM-DD)")
    found_to: str | None = Field(None, description="found on or before (YYYY-MM-DD)")
    closed_from: str | None = Field(None, description="closed on or after (YYYY-MM-DD)")
    closed_to: str | None = Field(None, description="closed on or before (YYYY-MM-DD)")


class ResultIn(Schema):
    item: int = Field(description="checklist item id")
    grade: str = Field(description="pass, fail or na")
    notes: str = ""


class InspectionIn(Schema):
    site: str = Field(description="site id")
    inspectors: list[str] = Field(
        default_factory=list, description="usernames; default: the caller"
    )
    started_at: dt.datetime | None = None
    place: str = Field("", max_length=200)
    content: str = Field("", max_length=5000)
    problems: str = Field("", max_length=10000)
    handling: str = Field("", max_length=10000)
    plan: str | None = Field(None, description="plan id")
    penalty_proposed: bool = Field(
        False, description="needs two or more inspectors (行政处罚法 Art. 42)"
    )
    results: list[ResultIn] = Field(default_factory=list)


class InspectionOut(Schema):
    id: str
    site: str
    site_name: str
    plan: str | None
    checklist: int | None
    checklist_version: int | None
    started_at: dt.datetime
    place: str
    content: str
    problems: str
    handling: str
    penalty_proposed: bool
    status: str = Field(description="draft, signed or refused_to_sign")
    leader_name: str
    refusal_note: str
    inspectors: list[str]
    version: int


class InspectionResultOut(Schema):
    item: int
    text: str
    basis: str
    grade: str | None
    notes: str
    photos: int
    hazards: list[str]


class InspectionDetailOut(InspectionOut):
    results: list[InspectionResultOut]
    signatures: list[dict]


class InspectionListOut(Schema):
    items: list[InspectionOut]
    count: int
    next: str | None


class InspectionFilter(Schema):
    status: str | None = None
    site: str | None = None
    plan: str | None = None
    sector: str | None = None
    unit: str | None = None
    date_from: str | None = None
    date_to: str | None = None


class FailedToHazardsIn(Schema):
    grades: dict[int, str] = Field(
        default_factory=dict, description="checklist item id → general or major"
    )
    deadline: dt.date | None = None


# --- helpers ----------------------------------------------------------------------------------


def _reader(user: Any, *actions: str) -> None:
    if not any(can(user, a) for a in actions):
        raise PermissionDenied


def _detail(user: Any, hazard: Hazard) -> dict[str, Any]:
    out = hazard_detail_out(
        hazard,
        actions=selectors.hazard_actions(user, hazard),
        evidence=selectors.hazard_evidence(hazard),
        events=selectors.hazard_timeline(hazard),
    )
    out["resumption_applications"] = [
        {**row, "scan": str(row["scan"].uid) if row["scan"] is not None else None}
        for row in resumption_applications(hazard)
    ]
    return out


def _inspectors_by_pk(items: list[Inspection]) -> dict[int, list[str]]:
    through = Inspection.inspectors.through
    names: dict[int, list[str]] = {i.pk: [] for i in items}
    for inspection_id, username in (
        through.objects.filter(inspection_id__in=list(names))
        .order_by("user__username")
        .values_list("inspection_id", "user__username")
    ):
        names[inspection_id].append(username)
    return names


def _inspection_detail(inspection: Inspection) -> dict[str, Any]:
    out = inspection_out(inspection, _inspectors_by_pk([inspection])[inspection.pk])
    out["results"] = [
        {
            "item": row["item"].pk,
            "text": row["item"].text,
            "basis": row["item"].basis,
            "grade": row["result"].grade if row["result"] else None,
            "notes": row["result"].notes if row["result"] else "",
            "photos": len(row["photos"]),
            "hazards": [str(h.uid) for h in row["hazards"]],
        }
        for row in selectors.inspection_sheet(inspection)
    ]
    out["signatures"] = [
        {"role": s.role, "name": s.name, "method": s.method, "signed_at": s.signed_at.isoformat()}
        for s in selectors.inspection_signatures(inspection)
    ]
    return out


def _users(usernames: list[str]) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    missing = [n for n in usernames if n not in found]
    if missing:
        raise ValidationError(
            {"inspectors": _("Unknown user: %(name)s") % {"name": ", ".join(missing)}}
        )
    return [found[n] for n in usernames]


# --- hazards -----------------------------------------------------------------------------------


@router.get("/hazards", response=HazardListOut, operation_id="hazards_list")
def hazards_list(
    request: AuthedHttpRequest,
    filters: Query[HazardFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    _reader(request.user, "hazard.view", "hazard.view_own")
    qs = selectors.hazard_list(user=request.user, **filters.dict())
    page = keyset_page(qs, selectors.HAZARD_ORDERING, cursor=cursor, limit=limit)
    return {
        "items": [hazard_out(h) for h in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.post("/hazards", response={201: HazardDetailOut}, operation_id="hazards_create")
@idempotent
def hazards_create(request: AuthedHttpRequest, payload: HazardIn) -> Status[dict]:
    recurrence_of = None
    if payload.recurrence_of:
        recurrence_of = selectors.hazard_get_for_user(user=request.user, id=payload.recurrence_of)
    hazard = hazards.hazard_create(
        actor=request.user,
        site=site_by_id(request.user, payload.site),
        unit=hazards.unit_by_code(payload.unit, "unit"),
        description=payload.description,
        grade=payload.grade,
        deadline=payload.deadline,
        place=payload.place,
        found_at=payload.found_at,
        status=payload.status,
        source=payload.source,
        production_stopped=payload.production_stopped,
        recurrence_of=recurrence_of,
    )
    hazard = selectors.hazard_get_for_user(user=request.user, id=str(hazard.uid))
    return Status(201, _detail(request.user, hazard))


@router.get("/hazards/{id}", response=HazardDetailOut, operation_id="hazards_get")
def hazards_get(request: AuthedHttpRequest, id: str) -> dict:
    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    return _detail(request.user, hazard)


@router.post(
    "/hazards/{id}/actions/{action}", response=HazardDetailOut, operation_id="hazards_action"
)
@idempotent
def hazards_action(
    request: AuthedHttpRequest, id: str, action: str, payload: HazardActionIn
) -> dict:
    if action not in ACTIONS:
        raise Http404
    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    hazards.run(action, actor=request.user, hazard=hazard, data=payload.dict())
    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    return _detail(request.user, hazard)


@router.post("/hazards/{id}/evidence", response={201: EvidenceOut}, operation_id="hazards_evidence")
@idempotent
def hazards_evidence(
    request: AuthedHttpRequest, id: str, file: UploadedFile = File(...)
) -> Status[dict]:
    """The enterprise contact adds a file showing the rectification (multipart ``file``)."""
    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    a = hazards.hazard_evidence_add(actor=request.user, hazard=hazard, upload=file)
    return Status(
        201, {"id": str(a.uid), "name": a.name, "size": a.size, "uploaded_at": a.uploaded_at}
    )


# --- inspections --------------------------------------------------------------------------------


@router.get("/inspections", response=InspectionListOut, operation_id="inspections_list")
def inspections_list(
    request: AuthedHttpRequest,
    filters: Query[InspectionFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    _reader(request.user, "inspection.view", "inspection.view_own")
    qs = selectors.inspection_list(user=request.user, **filters.dict())
    page = keyset_page(qs, selectors.INSPECTION_ORDERING, cursor=cursor, limit=limit)
    names = _inspectors_by_pk(page.items)
    return {
        "items": [inspection_out(i, names[i.pk]) for i in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.post("/inspections", response={201: InspectionDetailOut}, operation_id="inspections_create")
@idempotent
def inspections_create(request: AuthedHttpRequest, payload: InspectionIn) -> Status[dict]:
    site = site_by_id(request.user, payload.site)
    if site is None:
        raise ValidationError({"site": _("Unknown site.")})
    plan = selectors.plan_get(user=request.user, id=payload.plan) if payload.plan else None
    inspection = inspections.inspection_create(
        actor=request.user,
        site=site,
        inspectors=_users(payload.inspectors) if payload.inspectors else None,
        started_at=payload.started_at,
        place=payload.place,
        content=payload.content,
        problems=payload.problems,
        handling=payload.handling,
        plan=plan,
        penalty_proposed=payload.penalty_proposed,
        results=[inspections.ResultIn(r.item, r.grade, r.notes) for r in payload.results],
    )
    inspection = selectors.inspection_get_for_user(user=request.user, id=str(inspection.uid))
    return Status(201, _inspection_detail(inspection))


@router.get("/inspections/{id}", response=InspectionDetailOut, operation_id="inspections_get")
def inspections_get(request: AuthedHttpRequest, id: str) -> dict:
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    return _inspection_detail(inspection)


@router.get(
    "/inspections/{id}/record.docx",
    operation_id="inspections_record_docx",
    openapi_extra={
        "responses": {
            200: {
                "description": "The inspection record (.docx, GB/T 9704 layout); the download "
                "is audited.",
                "content": {DOCX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            },
            404: {"description": "No such inspection for this user."},
        }
    },
)
def inspections_record_docx(request: AuthedHttpRequest, id: str) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    filename, data = inspection_record_issue(actor=request.user, inspection=inspection)
    response = HttpResponse(data, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, ascii_filename(inspection))
    return response


@router.post(
    "/inspections/{id}/hazards",
    response={201: list[HazardOut]},
    operation_id="inspections_failed_to_hazards",
)
@idempotent
def inspections_failed_to_hazards(
    request: AuthedHttpRequest, id: str, payload: FailedToHazardsIn
) -> Status[list[dict]]:
    """Failed items become hazards in one step (one per item, linked to item and inspection)."""
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    made = inspections.inspection_failed_items_to_hazards(
        actor=request.user, inspection=inspection, grades=payload.grades, deadline=payload.deadline
    )
    qs = selectors.hazard_list(user=request.user).filter(pk__in=[h.pk for h in made])
    return Status(201, [hazard_out(h) for h in qs.order_by("pk")])
