"""/api/v1/petitions — the contract of the petitions issue (names are a promise)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from anxin.core.attachments import attachment_response, attachments_of
from anxin.core.idempotency import idempotent
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.petitions import actions, selectors, selectors_reception, services
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
    assert unit is not None
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
    petition = selectors.petition_get_for_user(user=request.user, id=str(result.petition.uid))
    return Status(
        201,
        petition_detail(
            petition, request.user, related=result.related, query_code=result.query_code
        ),
    )


@router.get("/petitions", response=PetitionListOut, operation_id="petitions_list")
def petitions_list(
    request: AuthedHttpRequest,
    filters: Query[PetitionFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
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
