"""/api/v1/petitions — the contract of the petitions issue (names are a promise)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from anxin.core.attachments import attachment_response, attachments_of
from anxin.core.idempotency import idempotent
from anxin.core.models import User
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.petitions import actions, reception, selectors, selectors_reception, services
from anxin.petitions.actions import accused_account, unit_by_code
from anxin.petitions.choices import DocumentKind
from anxin.petitions.documents import DOCX_CONTENT_TYPE, ascii_filename, petition_document_issue
from anxin.petitions.models import Category
from anxin.petitions.presenters import deadlines_for, petition_detail, petition_out
from anxin.petitions.schemas import (
    ActionIn,
    CategoryOut,
    EventOut,
    PetitionDetailOut,
    PetitionIn,
    PetitionListOut,
)
from anxin.petitions.views_documents import docx_attachment

router = Router(tags=["petitions"])


class PetitionFilter(Schema):
    status: str | None = Field(None, description="a status code, or 'open'")
    channel: str | None = None
    kind: str | None = None
    category: str | None = None
    unit: str | None = Field(None, description="current or lead unit within this unit code")
    leader: str | None = None
    overdue: bool | None = None
    backlog: bool | None = None
    date_from: str | None = None
    date_to: str | None = None
    received_in: str | None = Field(None, description="registering unit within this unit code")
    q: str | None = Field(None, description="Chinese full-text search")


@router.post("/petitions", response={201: PetitionDetailOut}, operation_id="petitions_create")
@idempotent
def petitions_create(request: AuthedHttpRequest, payload: PetitionIn) -> Status[dict]:
    category = Category.objects.filter(code=payload.category).first()
    if category is None:
        raise ValidationError(
            {"category": _("Unknown category: %(code)s") % {"code": payload.category}}
        )
    unit = unit_by_code(payload.unit, "unit")
    if unit is None:
        raise ValidationError({"unit": _("Choose a unit.")})
    result = services.petition_register(
        actor=request.user,
        channel=payload.channel,
        kind=payload.kind,
        category=category,
        title=payload.title,
        content=payload.content,
        unit=unit,
        received_on=payload.received_on,
        place_unit=unit_by_code(payload.place_unit, "place_unit"),
        complainants=[services.ComplainantIn(**p.dict()) for p in payload.complainants],
        representatives=[services.ComplainantIn(**p.dict()) for p in payload.representatives],
        anonymous=payload.anonymous,
        confidential=payload.confidential,
        accused_unit=unit_by_code(payload.accused_unit, "accused_unit"),
        accused_person=payload.accused_person,
        accused_user=accused_account(payload.accused_user),
    )
    petition = selectors.petition_registered_for_user(user=request.user, petition=result.petition)
    return Status(
        201,
        petition_detail(
            petition,
            request.user,
            related=result.related,
            query_code=result.query_code,
            complainants=result.complainants,
            deadlines=result.deadlines,
        ),
    )


@router.get("/petitions", response=PetitionListOut, operation_id="petitions_list")
def petitions_list(
    request: AuthedHttpRequest,
    filters: Query[PetitionFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    if not can(request.user, "petition.view"):
        raise PermissionDenied  # as the ledger page: no list, not an empty one
    qs = selectors.petition_list(user=request.user, **filters.dict())
    page = keyset_page(qs, selectors.LEDGER_ORDERING, cursor=cursor, limit=limit)
    deadlines = deadlines_for(page.items)
    return {
        "items": [petition_out(p, deadlines[p.pk]) for p in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.get("/petitions/{id}", response=PetitionDetailOut, operation_id="petitions_get")
def petitions_get(request: AuthedHttpRequest, id: str) -> dict:
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    return petition_detail(petition, request.user)


@router.get("/petitions/{id}/timeline", response=list[EventOut], operation_id="petitions_timeline")
def petitions_timeline(request: AuthedHttpRequest, id: str) -> list[dict]:
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    return [
        {
            "at": e.at.isoformat(),
            "kind": e.kind,
            "actor": e.actor_label,
            "unit": e.unit.code if e.unit is not None else None,
            "data": e.data,
        }
        for e in selectors.petition_timeline(petition)
    ]


@router.post(
    "/petitions/{id}/actions/{action}", response=PetitionDetailOut, operation_id="petitions_action"
)
@idempotent
def petitions_action(request: AuthedHttpRequest, id: str, action: str, payload: ActionIn) -> dict:
    if action not in actions.ACTIONS:
        raise Http404
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    actions.run(action, actor=request.user, petition=petition, data=payload.dict())
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    return petition_detail(petition, request.user)


@router.get("/petition-categories", response=list[CategoryOut], operation_id="petition_categories")
def petition_categories(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"code": c.code, "name": c.name} for c in selectors.categories()]


@router.get(
    "/petitions/{id}/documents/{kind}.docx",
    operation_id="petitions_document",
    openapi_extra={
        "responses": {
            200: {
                "description": "The document (.docx, GB/T 9704 layout); the download is audited.",
                "content": {DOCX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            },
            404: {"description": "No such case for this user, or no such document kind."},
            409: {
                "description": "Not available yet (the step has not happened or not signed off)."
            },
        }
    },
)
def petitions_document(request: AuthedHttpRequest, id: str, kind: str) -> HttpResponse:
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    if kind not in DocumentKind.values:
        raise Http404
    filename, data = petition_document_issue(actor=request.user, petition=petition, kind=kind)
    return docx_attachment(data, filename=filename, fallback=ascii_filename(petition, kind))


# --- materials (attachments) of a case ----------------------------------------------------------


class AttachmentOut(Schema):
    id: str
    name: str
    content_type: str
    size: int
    purpose: str
    uploaded_at: dt.datetime


@router.get(
    "/petitions/{id}/attachments",
    response=list[AttachmentOut],
    operation_id="petitions_attachments",
)
def petitions_attachments(request: AuthedHttpRequest, id: str) -> list[dict[str, Any]]:
    """The case's materials, for those who may see the case (the shield applies: 404)."""
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    return [
        {
            "id": str(a.uid),
            "name": a.name,
            "content_type": a.content_type,
            "size": a.size,
            "purpose": a.purpose,
            "uploaded_at": a.uploaded_at,
        }
        for a in attachments_of(petition).order_by("uploaded_at", "id")
    ]


@router.get(
    "/petitions/{id}/attachments/{file}",
    operation_id="petitions_attachment",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, decrypted, as an attachment (sandboxed).",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            },
            404: {"description": "No such case for this user, or no such file."},
        }
    },
)
def petitions_attachment(request: AuthedHttpRequest, id: str, file: str) -> HttpResponse:
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    try:
        uid = uuid.UUID(file)
    except ValueError:
        raise Http404 from None
    attachment = attachments_of(petition).filter(uid=uid).first()
    if attachment is None:
        raise Http404
    return attachment_response(attachment)


# --- public reception days (staff side, read) ---------------------------------------------------


class ReceptionSessionOut(Schema):
    id: int
    unit: str = Field(description="receiving office code")
    leader: str = Field(description="the receiving leader's name")
    leader_title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    topics: str
    capacity: int
    booked: int = Field(description="bookings not cancelled")
    published: bool
    cancelled: bool
    version: int


class ReceptionSessionListOut(Schema):
    items: list[ReceptionSessionOut]
    count: int
    next: str | None


def _session_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "unit": s.unit.code,
        "leader": s.leader.display_name,
        "leader_title": s.leader_title,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "place": s.place,
        "topics": s.topics,
        "capacity": s.capacity,
        "booked": s.booked or 0,
        "published": s.published,
        "cancelled": s.cancelled_at is not None,
        "version": s.version,
    }


@router.get(
    "/reception-sessions",
    response=ReceptionSessionListOut,
    operation_id="reception_sessions_list",
)
def reception_sessions_list(
    request: AuthedHttpRequest,
    when: str = Query("upcoming", description="upcoming, past or all"),
    unit: str | None = Query(None, description="receiving office code"),
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    if not can(request.user, "reception.view"):
        raise PermissionDenied
    if when not in ("upcoming", "past", "all"):
        when = "upcoming"
    qs = selectors_reception.reception_session_list(
        user=request.user, when=None if when == "all" else when, unit=unit
    )
    ordering = ("starts_at", "id") if when == "upcoming" else selectors_reception.SESSION_ORDERING
    page = keyset_page(qs, ordering, cursor=cursor, limit=limit)
    return {
        "items": [_session_out(s) for s in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.get(
    "/reception-sessions/{id}", response=ReceptionSessionOut, operation_id="reception_sessions_get"
)
def reception_sessions_get(request: AuthedHttpRequest, id: int) -> dict:
    return _session_out(
        selectors_reception.reception_session_get_for_user(user=request.user, pk=id)
    )


@router.post(
    "/petitions/{id}/attachments",
    response={201: list[AttachmentOut]},
    operation_id="petitions_attach",
)
@idempotent
def petitions_attach(
    request: AuthedHttpRequest,
    id: str,
    files: list[UploadedFile] = File(..., description="one or more files (multipart)"),
    purpose: str = Form("material", description="material, agreement or evidence"),
) -> Status[list[dict[str, Any]]]:
    """Add materials to the case (checked, encrypted, audited like the page's upload)."""
    if purpose not in ("material", "agreement", "evidence"):
        raise ValidationError({"purpose": _("Choose material, agreement or evidence.")})
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    added = services.petition_attach(
        actor=request.user, petition=petition, files=list(files), purpose=purpose
    )
    return Status(
        201,
        [
            {
                "id": str(a.uid),
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "purpose": a.purpose,
                "uploaded_at": a.uploaded_at,
            }
            for a in added
        ],
    )


# --- the resolution plan (化解方案) and the backlog (积案) ----------------------------------------


class OwnerOut(Schema):
    level: str
    name: str
    username: str | None
    unit: str | None


class PlanStepOut(Schema):
    id: int
    text: str
    due_on: dt.date | None
    done_on: dt.date | None


class ResolutionPlanOut(Schema):
    owners: list[OwnerOut]
    steps: list[PlanStepOut]
    backlog: bool
    backlog_since: dt.date | None
    backlog_target_on: dt.date | None


class PlanOpIn(Schema):
    """Body of POST /petitions/{id}/plan/{op}; each op reads the fields it needs."""

    level: str = Field("", description="owner: the leader's level")
    name: str = Field("", max_length=50, description="owner: the leader's name")
    username: str = Field("", description="owner: the leader's account, if any")
    text: str = Field("", max_length=300, description="step: what is to be done")
    due_on: dt.date | None = Field(None, description="step: by when")
    step: int | None = Field(None, description="done: the step's id")
    target_on: dt.date | None = Field(None, description="backlog: the target date")
    version: int | None = Field(None, description="the version you read; stale → 409")


PLAN_OPS = ("owner", "step", "done", "backlog")


def _plan_out(petition: Any) -> dict[str, Any]:
    return {
        "owners": [
            {
                "level": o.level,
                "name": o.name,
                "username": o.user.username if o.user is not None else None,
                "unit": o.unit.code if o.unit is not None else None,
            }
            for o in petition.owners.select_related("user", "unit").order_by("level", "id")
        ],
        "steps": [
            {"id": s.pk, "text": s.text, "due_on": s.due_on, "done_on": s.done_on}
            for s in petition.plan_steps.order_by("id")
        ],
        "backlog": petition.is_backlog,
        "backlog_since": petition.backlog_since,
        "backlog_target_on": petition.backlog_target_on,
    }


@router.get("/petitions/{id}/plan", response=ResolutionPlanOut, operation_id="petitions_plan")
def petitions_plan(request: AuthedHttpRequest, id: str) -> dict[str, Any]:
    return _plan_out(selectors.petition_get_for_user(user=request.user, id=id))


@router.post(
    "/petitions/{id}/plan/{op}", response=ResolutionPlanOut, operation_id="petitions_plan_op"
)
@idempotent
def petitions_plan_op(
    request: AuthedHttpRequest, id: str, op: str, payload: PlanOpIn
) -> dict[str, Any]:
    """``owner`` (a leader per level), ``step`` (add), ``done`` (a step), ``backlog`` (list)."""
    if op not in PLAN_OPS:
        raise Http404
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    if op == "owner":
        owner = None
        if payload.username:
            owner = User.objects.filter(username=payload.username, is_active=True).first()
            if owner is None:
                raise ValidationError(
                    {"username": _("Unknown user: %(name)s") % {"name": payload.username}}
                )
        services.petition_owner_set(
            actor=request.user,
            petition=petition,
            level=payload.level,
            name=payload.name,
            user=owner,
            unit=owner.unit if owner is not None else None,
            version=payload.version,
        )
    elif op == "step":
        services.petition_plan_step_add(
            actor=request.user,
            petition=petition,
            text=payload.text,
            due_on=payload.due_on,
            version=payload.version,
        )
    elif op == "done":
        services.petition_plan_step_done(
            actor=request.user,
            petition=petition,
            step_id=payload.step or 0,
            version=payload.version,
        )
    else:
        if payload.target_on is None:
            raise ValidationError({"target_on": _("Give the target date.")})
        services.petition_backlog_set(
            actor=request.user,
            petition=petition,
            target_on=payload.target_on,
            version=payload.version,
        )
    return _plan_out(selectors.petition_get_for_user(user=request.user, id=id))


# --- a petition about a safety problem becomes a hazard -------------------------------------


class PetitionHazardIn(Schema):
    site: str = Field(description="site id (GET /sites)")
    description: str = Field(max_length=5000)
    grade: str = Field("general", description="general or major")
    deadline: dt.date | None = None


class PetitionHazardOut(Schema):
    hazard: str = Field(description="the hazard's id (GET /hazards/{id})")
    number: str
    site: str


@router.post(
    "/petitions/{id}/hazard",
    response={201: PetitionHazardOut},
    operation_id="petitions_to_hazard",
)
@idempotent
def petitions_to_hazard(
    request: AuthedHttpRequest, id: str, payload: PetitionHazardIn
) -> Status[dict[str, Any]]:
    """Register a hazard at a site from this case and link the two (both ways)."""
    from anxin.safety.models import Site

    petition = selectors.petition_get_for_user(user=request.user, id=id)
    try:
        site_uid = uuid.UUID(payload.site)
    except ValueError:
        site_uid = None
    site = (
        Site.objects.restrict(request.user, "view").filter(uid=site_uid).first()
        if site_uid
        else None
    )
    if site is None:
        raise ValidationError({"site": _("Unknown site: %(id)s") % {"id": payload.site}})
    hazard = services.petition_to_hazard(
        actor=request.user,
        petition=petition,
        site=site,
        description=payload.description,
        grade=payload.grade,
        deadline=payload.deadline,
    )
    return Status(201, {"hazard": str(hazard.uid), "number": hazard.number, "site": str(site.uid)})


class ReceptionSessionIn(Schema):
    leader: str = Field(description="the receiving leader's username")
    leader_title: str = Field("", max_length=100)
    unit: str = Field(description="receiving office code")
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = Field(max_length=200)
    topics: str = Field(max_length=2000)
    capacity: int = Field(ge=1, le=500)


class ReceptionOpIn(Schema):
    version: int | None = Field(None, description="the version you read; stale → 409")
    reason: str = Field("", max_length=200, description="cancel: the reason, told to bookers")


def _aware(moment: dt.datetime) -> dt.datetime:
    """A time without an offset is Asia/Shanghai (the current time zone)."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@router.post(
    "/reception-sessions",
    response={201: ReceptionSessionOut},
    operation_id="reception_sessions_create",
)
@idempotent
def reception_sessions_create(
    request: AuthedHttpRequest, payload: ReceptionSessionIn
) -> Status[dict]:
    """A draft session; publish it to open the booking."""
    leader = User.objects.filter(username=payload.leader, is_active=True).first()
    if leader is None:
        raise ValidationError({"leader": _("Unknown user: %(name)s") % {"name": payload.leader}})
    unit = unit_by_code(payload.unit, "unit")
    if unit is None:
        raise ValidationError({"unit": _("Choose a unit.")})
    session = reception.reception_session_create(
        actor=request.user,
        leader=leader,
        unit=unit,
        starts_at=_aware(payload.starts_at),
        ends_at=_aware(payload.ends_at),
        place=payload.place,
        topics=payload.topics,
        capacity=payload.capacity,
        leader_title=payload.leader_title,
    )
    return Status(
        201,
        _session_out(
            selectors_reception.reception_session_get_for_user(user=request.user, pk=session.pk)
        ),
    )


@router.post(
    "/reception-sessions/{id}/{op}",
    response=ReceptionSessionOut,
    operation_id="reception_sessions_op",
)
@idempotent
def reception_sessions_op(
    request: AuthedHttpRequest, id: int, op: str, payload: ReceptionOpIn
) -> dict:
    """``publish`` (opens the booking) or ``cancel`` (with a reason; bookers are told)."""
    if op not in ("publish", "cancel"):
        raise Http404
    session = selectors_reception.reception_session_get_for_user(user=request.user, pk=id)
    if op == "publish":
        reception.reception_session_publish(
            actor=request.user, session=session, version=payload.version
        )
    else:
        reception.reception_session_cancel(
            actor=request.user, session=session, reason=payload.reason, version=payload.version
        )
    return _session_out(
        selectors_reception.reception_session_get_for_user(user=request.user, pk=id)
    )
