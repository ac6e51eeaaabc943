"""A 督办 notice as an official .docx (督办单 or 督办函) in the GB/T 9704 layout.

As with the petitions' papers and the enforcement documents, the document text is Chinese:
an official act of a Chinese organ is issued in Chinese whatever the interface language. What
it says of the item is the label fixed when the notice was issued (for an accusation, the case
number only — never the complainant). Every download is audited (``notice.document``) with the
SM3 digest of the bytes handed out.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from anxin.core.audit import audit_record
from anxin.core.crypto import sm3_hex
from anxin.core.documents import (
    Block,
    Heading,
    KeyValue,
    OfficialDocument,
    Paragraph,
    date_cn,
    paragraphs_from_text,
    render,
)
from anxin.supervision.models_notices import NoticeKind, SupervisionNotice

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TITLES = {NoticeKind.SHEET: "督办单", NoticeKind.LETTER: "督办函"}


def build_document(notice: SupervisionNotice) -> OfficialDocument:
    issued_on = timezone.localdate(notice.issued_at)
    body: list[Block] = []
    if notice.kind == NoticeKind.SHEET:
        body += [
            Paragraph("你单位承办的下列事项，现列为督办事项。"),
            KeyValue("督办事项", notice.subject_label),
        ]
    else:
        body.append(Paragraph("经查，你单位存在下列需要督促办理的问题，现予督办。"))
    body += [
        Heading(1, "督办要求"),
        *paragraphs_from_text(notice.matters),
        Heading(1, "答复期限"),
        Paragraph(
            f"请于{date_cn(notice.reply_by)}前将办理情况书面答复本机关。"
            "逾期未答复的，将按规定逐级督办。"
        ),
    ]
    if notice.round > 1:
        body.append(Paragraph(f"本件为第{notice.round}次要求答复。"))
    return OfficialDocument(
        issuer=notice.issuing_unit.name,
        doc_number=notice.number,
        title=TITLES[NoticeKind(notice.kind)],
        recipient=notice.unit.name,
        body=body,
        signature=notice.issuing_unit.name,
        date=issued_on,
    )


def notice_document(notice: SupervisionNotice) -> tuple[str, bytes]:
    doc = build_document(notice)
    return f"{notice.number}-{doc.title}.docx", render(doc)


def ascii_filename(notice: SupervisionNotice) -> str:
    """``DB2026-12-sheet.docx``."""
    return f"DB{notice.year}-{notice.serial}-{notice.kind}.docx"


@transaction.atomic
def notice_document_issue(*, actor: Any, notice: SupervisionNotice) -> tuple[str, bytes]:
    """The notice's document for ``actor`` (in scope), audited as ``notice.document``."""
    if not SupervisionNotice.objects.restrict(actor, "view").filter(pk=notice.pk).exists():
        raise PermissionDenied
    filename, data = notice_document(notice)
    audit_record(
        actor=actor,
        action="notice.document",
        obj=notice,
        after={"kind": notice.kind, "filename": filename, "sm3": sm3_hex(data)},
    )
    return filename, data
