"""/api/v1/supervision-notices: 督办 notices (list, issue, read, reply / accept / send back)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from anxin.core.idempotency import idempotent
from anxin.core.models import Unit
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.supervision import notices
from anxin.supervision import selectors_notices as selectors
from anxin.supervision.models_notices import SupervisionNotice

router = Router(tags=["supervision"])

ACTIONS = ("reply", "accept", "send_back")


class NoticeFilter(Schema):
    status: str | None = Field(None, description="pending, replied or closed")
    overdue: bool | None = Field(None, description="awaiting a reply past its deadline")
    unit: str | None = Field(None, description="addressed to this unit code or its subtree")


class NoticeIn(Schema):
    kind: str = Field(description="sheet (督办单, on an item) or letter (督办函, on a unit)")
    unit: str | None = Field(None, description="addressed unit code (a sheet: default the item's)")
    subject_type: str = Field("", description="a sheet's item type, e.g. petitions.petition")
    subject_id: int | None = None
    matters: str
    reply_by: dt.date


class NoticeActionIn(Schema):
    text: str = Field("", description="reply: the written reply")
    reason: str = Field("", description="send_back: the reasons")
    reply_by: dt.date | None = Field(None, description="send_back: the new deadline")
    version: int | None = None


class UnitRef(Schema):
    code: str
    name: str


class ReplyOut(Schema):
    round: int
    text: str
    replied_at: str
    replied_by: str
    decision: str
    reason: str
    files: list[str]


class NoticeOut(Schema):
    id: str
    number: str
    kind: str
    status: str
    issuing_unit: UnitRef
    unit: UnitRef
    subject_type: str
    subject_id: int | None
    subject_label: str
    matters: str
    reply_by: str
    overdue: bool
    round: int
    issued_at: str
    closed_at: str | None
    version: int


class NoticeDetailOut(NoticeOut):
    replies: list[ReplyOut]


class NoticeListOut(Schema):
    items: list[NoticeOut]
    count: int | None
    next: str | None


def _unit(unit: Unit) -> dict[str, str]:
    return {"code": unit.code, "name": unit.name}


def notice_out(n: SupervisionNotice) -> dict[str, Any]:
    return {
        "id": str(n.uid),
        "number": n.number,
        "kind": n.kind,
        "status": n.status,
        "issuing_unit": _unit(n.issuing_unit),
        "unit": _unit(n.unit),
        "subject_type": n.subject_type,
        "subject_id": n.subject_id,
        "subject_label": n.subject_label,
        "matters": n.matters,
        "reply_by": n.reply_by.isoformat(),
        "overdue": n.is_overdue(),
        "round": n.round,
        "issued_at": n.issued_at.isoformat(),
        "closed_at": n.closed_at.isoformat() if n.closed_at else None,
        "version": n.version,
    }


def notice_detail_out(n: SupervisionNotice) -> dict[str, Any]:
    return {
        **notice_out(n),
        "replies": [
            {
                "round": r.round,
                "text": r.text,
                "replied_at": r.replied_at.isoformat(),
                "replied_by": r.replied_by.display_name,
                "decision": r.decision,
                "reason": r.reason,
                "files": [f.name for f in r.files],  # type: ignore[attr-defined]
            }
            for r in selectors.notice_replies(n)
        ],
    }


def _unit_by_code(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise ValidationError({"unit": _("Unknown unit: %(code)s") % {"code": code}})
    return unit


@router.get("/supervision-notices", response=NoticeListOut, operation_id="supervision_notices_list")
def supervision_notices_list(
    request: AuthedHttpRequest,
    filters: Query[NoticeFilter],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    if not can(request.user, "notice.view"):
        raise PermissionDenied  # as the list page: no list, not an empty one
    qs = selectors.notice_list(user=request.user, **filters.dict())
    page = keyset_page(qs, selectors.ORDERING, cursor=cursor, limit=limit)
    return {
        "items": [notice_out(n) for n in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


@router.post(
    "/supervision-notices",
    response={201: NoticeDetailOut},
    operation_id="supervision_notices_create",
)
@idempotent
def supervision_notices_create(request: AuthedHttpRequest, payload: NoticeIn) -> Status[dict]:
    notice = notices.notice_issue(
        actor=request.user,
        kind=payload.kind,
        unit=_unit_by_code(payload.unit),
        subject_type=payload.subject_type,
        subject_id=payload.subject_id,
        matters=payload.matters,
        reply_by=payload.reply_by,
    )
    notice = selectors.notice_get_for_user(user=request.user, id=str(notice.uid))
    return Status(201, notice_detail_out(notice))


@router.get(
    "/supervision-notices/{id}",
    response=NoticeDetailOut,
    operation_id="supervision_notices_get",
)
def supervision_notices_get(request: AuthedHttpRequest, id: str) -> dict:
    return notice_detail_out(selectors.notice_get_for_user(user=request.user, id=id))


@router.post(
    "/supervision-notices/{id}/actions/{action}",
    response=NoticeDetailOut,
    operation_id="supervision_notices_action",
)
@idempotent
def supervision_notices_action(
    request: AuthedHttpRequest, id: str, action: str, payload: NoticeActionIn
) -> dict:
    if action not in ACTIONS:
        raise Http404
    notice = selectors.notice_get_for_user(user=request.user, id=id)
    if action == "reply":
        notices.notice_reply(
            actor=request.user, notice=notice, text=payload.text, version=payload.version
        )
    elif action == "accept":
        notices.notice_accept(actor=request.user, notice=notice, version=payload.version)
    else:
        if payload.reply_by is None:
            raise ValidationError({"reply_by": _("Enter a valid date.")})
        notices.notice_send_back(
            actor=request.user,
            notice=notice,
            reason=payload.reason,
            reply_by=payload.reply_by,
            version=payload.version,
        )
    return notice_detail_out(selectors.notice_get_for_user(user=request.user, id=id))
