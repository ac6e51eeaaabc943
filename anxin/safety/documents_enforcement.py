"""The enforcement documents (执法文书) as .docx in the GB/T 9704 layout.

One paper per order kind (``enforcement_rules.ORDER_TITLES``): 责令限期整改指令书, 责令停产停业整顿
决定书, 查封扣押决定书, 提请关闭建议书 and 停止供电决定书. Each names the site and its 统一社会信用代码,
states the facts, cites the legal bases picked from the maintained list with their texts
summarised, the demands and the deadline, the officers, and the site's right to administrative
reconsideration (60 days, 行政复议法 Art. 20) or litigation (6 months, 行政诉讼法 Art. 46).

As with the petitions' papers (``anxin.petitions.documents``), the document texts are Chinese
literals: an official act of a Chinese organ is issued in Chinese whatever the interface
language. Interface strings go through gettext. Every download is audited
(:func:`enforcement_document_issue`) with the SM3 digest of the bytes handed out.
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
from anxin.safety.enforcement_rules import (
    BASES_BY_CODE,
    LITIGATION_MONTHS,
    ORDER_TITLES,
    POWER_CUT_NOTICE_HOURS,
    RECONSIDERATION_DAYS,
    OrderKind,
)
from anxin.safety.models_enforcement import EnforcementOrder

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_CN_DIGITS = "〇一二三四五六七八九"

#: what each kind orders, before the demands
_ORDER_LEAD = {
    OrderKind.RECTIFY: "现责令你单位于{deadline}前整改完毕，达到安全生产要求，并书面报告整改情况：",
    OrderKind.SUSPEND: "现责令你单位自即日起停产停业整顿，于{deadline}前整顿完毕；整顿期间：",
    OrderKind.SEAL: "现决定对下列设施、设备、器材或者物品予以查封、扣押，期限至{deadline}：",
    OrderKind.CLOSURE: "{site}存在重大事故隐患且多次受到行政处罚，本机关提请予以关闭，请于{deadline}前作出决定：",
    OrderKind.POWER_CUT: "你单位拒不执行停产停业决定，有发生生产安全事故的现实危险。本机关已于{notice}"
    "通知你单位，将于通知送达满二十四小时后通知供电单位停止供电：",
}


def _cn_number(n: int) -> str:
    return "".join(_CN_DIGITS[int(d)] for d in str(n))


def _issuer_name(order: EnforcementOrder) -> str:
    unit = order.site.regulating_unit or order.site.unit
    return unit.name


def _rights() -> Paragraph:
    return Paragraph(
        f"你单位如对本文书不服，可以自收到本文书之日起{RECONSIDERATION_DAYS}日内依法申请行政复议，"
        f"或者自收到本文书之日起{LITIGATION_MONTHS}个月内依法向人民法院提起行政诉讼。"
        "行政复议和行政诉讼期间，本文书不停止执行，法律另有规定的除外。"
    )


def build_document(order: EnforcementOrder) -> OfficialDocument:
    site = order.site
    issued_on = timezone.localdate(order.issued_at)
    issuer = _issuer_name(order)
    bases = [BASES_BY_CODE[c] for c in order.basis_codes if c in BASES_BY_CODE]
    notice = (
        timezone.localtime(order.notice_at).strftime("%Y年%m月%d日%H时%M分")
        if order.notice_at
        else ""
    )
    lead = _ORDER_LEAD[OrderKind(order.kind)].format(
        deadline=date_cn(order.deadline), site=site.name, notice=notice
    )
    body: list[Block] = [
        KeyValue("被检查单位", site.name),
        KeyValue("统一社会信用代码", site.credit_code or "（无）"),
        KeyValue("地址", site.address),
        Heading(1, "违法事实"),
        *paragraphs_from_text(order.facts),
        Heading(1, "法律依据"),
        Paragraph(
            "依据"
            + "、".join(b.citation for b in bases)
            + "的规定，"
            + ("作出本决定。" if order.kind != OrderKind.RECTIFY else "责令你单位限期整改。")
        ),
        *[Paragraph(f"{b.citation}：{b.summary}") for b in bases],
        Heading(1, "决定事项"),
        Paragraph(lead),
        *paragraphs_from_text(order.demands),
    ]
    if order.fine_yuan:
        body.append(Paragraph(f"并处罚款人民币{order.fine_yuan}元。"))
    if order.kind == OrderKind.POWER_CUT:
        body.append(
            Paragraph(
                f"依据《中华人民共和国安全生产法》第七十条，本决定于通知送达满{POWER_CUT_NOTICE_HOURS}"
                "小时后执行；你单位依法履行行政决定、采取相应措施消除事故隐患的，本机关将及时解除。"
            )
        )
    body += [
        Paragraph(f"本机关将于{date_cn(order.deadline)}后对执行情况进行复查。"),
        _rights(),
        KeyValue(
            "执法人员",
            "、".join(o.display_name for o in order.officers.all().order_by("pk")),
        ),
        KeyValue("被检查单位负责人（签名）", ""),
    ]
    return OfficialDocument(
        doc_number=f"（{issued_on.year}）安监执〔{_cn_number(order.pk)}〕号",
        title=ORDER_TITLES[order.kind],
        recipient=site.name if order.kind != OrderKind.CLOSURE else f"{site.unit.name}人民政府",
        body=body,
        signature=issuer,
        date=issued_on,
        copy_to=site.name if order.kind == OrderKind.CLOSURE else "",
    )


def enforcement_document(order: EnforcementOrder) -> tuple[str, bytes]:
    doc = build_document(order)
    return f"{order.number}-{doc.title}.docx", render(doc)


def ascii_filename(order: EnforcementOrder) -> str:
    return f"{order.number.replace('-', '')}-{order.kind}.docx"


@transaction.atomic
def enforcement_document_issue(*, actor: Any, order: EnforcementOrder) -> tuple[str, bytes]:
    """The order's document for ``actor`` (in scope), audited as ``enforcement.document``."""
    if not EnforcementOrder.objects.restrict(actor, "view").filter(pk=order.pk).exists():
        raise PermissionDenied
    filename, data = enforcement_document(order)
    audit_record(
        actor=actor,
        action="enforcement.document",
        obj=order,
        after={"kind": order.kind, "filename": filename, "sm3": sm3_hex(data)},
    )
    return filename, data
