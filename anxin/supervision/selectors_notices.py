"""The read path of 督办 notices: every query for a person starts from ``restrict``."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.models import Unit
from anxin.core.models_attachments import Attachment
from anxin.core.scoping import get_for_user
from anxin.supervision.models_notices import (
    NoticeReply,
    NoticeStatus,
    SupervisionNotice,
)

#: keyset ordering of the list: newest first (the id grows with the time of issue)
ORDERING = ("-id",)


def notice_filter(
    qs: QuerySet[SupervisionNotice],
    *,
    status: str | None = None,
    overdue: bool | None = None,
    unit: str | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
) -> QuerySet[SupervisionNotice]:
    """The list filters shared by the page and the API.

    ``unit`` is a unit code: notices addressed to that unit or inside its subtree.
    ``overdue`` is a notice awaiting a reply past its deadline (the last day ends at 24:00).
    """
    if status:
        if status not in NoticeStatus.values:
            raise ValidationError({"status": _("Unknown status: %(code)s") % {"code": status}})
        qs = qs.filter(status=status)
    if overdue is not None:
        late = {"status": NoticeStatus.PENDING, "reply_by__lt": timezone.localdate()}
        qs = qs.filter(**late) if overdue else qs.exclude(**late)
    if unit:
        path = Unit.objects.filter(code=unit).values_list("path", flat=True).first()
        if path is None:
            raise ValidationError({"unit": _("Unknown unit: %(code)s") % {"code": unit}})
        qs = qs.filter(unit__path__startswith=path)
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
        if subject_id is not None:
            qs = qs.filter(subject_id=subject_id)
    return qs


def notice_list(*, user: Any, **filters: Any) -> QuerySet[SupervisionNotice]:
    qs = SupervisionNotice.objects.restrict(user, "view").select_related(
        "unit", "issuing_unit", "issued_by"
    )
    return notice_filter(qs, **filters)


def notice_get_for_user(*, user: Any, id: str, action: str = "view") -> SupervisionNotice:
    try:
        uid = uuid.UUID(str(id))
    except ValueError as exc:
        raise Http404 from exc
    qs = SupervisionNotice.objects.select_related("unit", "issuing_unit", "issued_by")
    return get_for_user(qs, user, action=action, uid=uid)


def notice_replies(notice: SupervisionNotice) -> list[NoticeReply]:
    """The notice's replies in order, each with its files as ``files`` (three queries)."""
    replies = list(
        NoticeReply.objects.filter(notice=notice)
        .select_related("replied_by", "decided_by")
        .order_by("round")
    )
    files: dict[int, list[Attachment]] = {r.pk: [] for r in replies}
    if replies:
        for attachment in Attachment.objects.filter(
            owner_type=NoticeReply._meta.label_lower, owner_id__in=list(files)
        ).order_by("uploaded_at", "id"):
            files[int(attachment.owner_id)].append(attachment)
    for reply in replies:
        reply.files = files[reply.pk]  # type: ignore[attr-defined]
    return replies


def notice_attachment(notice: SupervisionNotice, file: str) -> Attachment:
    """A file of one of the notice's replies (the caller fetched the notice in scope)."""
    try:
        uid = uuid.UUID(str(file))
    except ValueError as exc:
        raise Http404 from exc
    reply_ids = NoticeReply.objects.filter(notice=notice).values("pk")
    attachment = Attachment.objects.filter(
        uid=uid,
        owner_type=NoticeReply._meta.label_lower,
        owner_id__in=reply_ids,
    ).first()
    if attachment is None:
        raise Http404
    return attachment
