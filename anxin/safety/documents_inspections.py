"""The inspection record (安全生产监督检查记录) as an official .docx in the GB/T 9704 layout.

The record states what 安全生产法 Art. 66 and 68 ask of it: the time and place of the
inspection, its content, the problems found and how they were handled, the result of each
checklist item, and the signatures of the inspectors and of the inspected unit's leader — or,
when the leader refuses to sign, the refusal with the inspectors' note (Art. 68: 拒绝签字的，
检查人员应当将情况记录在案).

As with the enforcement documents, the texts are Chinese literals (an official record of a
Chinese organ is in Chinese whatever the interface language). Every download is audited by
:func:`inspection_record_issue` with the SM3 digest of the bytes handed out.
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
    Table,
    paragraphs_from_text,
    render,
)
from anxin.safety.models_inspections import (
    Inspection,
    InspectionResult,
    InspectionSignature,
    InspectionStatus,
    SignatureMethod,
    SignatureRole,
)

TITLE = "安全生产监督检查记录"
RESULT_CN = {"pass": "合格", "fail": "不合格", "na": "不适用"}
METHOD_CN: dict[str, str] = {
    SignatureMethod.DRAWN: "手写签名",
    SignatureMethod.SCAN: "纸质记录签名扫描件",
}


def _moment(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y年%m月%d日%H时%M分")


def record_number(inspection: Inspection) -> str:
    """JC + the year of the inspection + the id (JC2026-000123)."""
    return f"JC{timezone.localtime(inspection.started_at):%Y}-{inspection.pk:06d}"


def _signature_lines(inspection: Inspection, signatures: list[InspectionSignature]) -> list[Block]:
    by_inspector = {s.user_id: s for s in signatures if s.role == SignatureRole.INSPECTOR}
    leader = next((s for s in signatures if s.role == SignatureRole.LEADER), None)
    blocks: list[Block] = [Heading(1, "签名")]
    for person in inspection.inspectors.order_by("username"):
        sig = by_inspector.get(person.pk)
        blocks.append(
            KeyValue(
                f"检查人员 {person.display_name}",
                f"已签名（{METHOD_CN[sig.method]}，{_moment(sig.signed_at)}）" if sig else "",
            )
        )
    if leader is not None:
        blocks.append(
            KeyValue(
                f"被检查单位负责人 {leader.name}",
                f"已签名（{METHOD_CN[leader.method]}，{_moment(leader.signed_at)}）",
            )
        )
    elif inspection.status == InspectionStatus.REFUSED_TO_SIGN:
        who = inspection.leader_name or "被检查单位负责人"
        blocks.append(KeyValue("被检查单位负责人", f"{who}拒绝签字"))
        blocks.append(
            Paragraph(
                f"被检查单位负责人于{_moment(inspection.refused_at)}拒绝在本记录上签字，"
                "检查人员已将情况记录在案（《中华人民共和国安全生产法》第六十八条）："
                f"{inspection.refusal_note}"
            )
        )
    else:
        blocks.append(KeyValue("被检查单位负责人（签名）", ""))
    return blocks


def build_record(inspection: Inspection) -> OfficialDocument:
    site = inspection.site
    results = {
        r.item_id: r for r in InspectionResult.objects.filter(inspection=inspection)
    }  # one query
    template, plan = inspection.template, inspection.plan
    items = list(template.items.order_by("order")) if template is not None else []
    signatures = list(inspection.signatures.order_by("signed_at", "id"))
    inspectors = "、".join(p.display_name for p in inspection.inspectors.order_by("username"))
    body: list[Block] = []
    if inspection.status == InspectionStatus.DRAFT:
        body.append(Paragraph("（草稿：本记录尚未由全部检查人员和被检查单位负责人签名。）"))
    body += [
        KeyValue("记录编号", record_number(inspection)),
        KeyValue("被检查单位", site.name),
        KeyValue("统一社会信用代码", site.credit_code or "（无）"),
        KeyValue("地址", site.address),
        KeyValue("检查时间", _moment(inspection.started_at)),
        KeyValue("检查场所", inspection.place or site.address),
        KeyValue("检查人员", inspectors),
    ]
    if plan is not None:
        body.append(KeyValue("专项行动（检查计划）", plan.title))
    if template is not None:
        body.append(KeyValue("检查表", f"{template.title}（第{template.version}版）"))
    body += [Heading(1, "检查内容"), *paragraphs_from_text(inspection.content)]
    if items:
        rows = [["序号", "检查项目", "检查依据", "结果", "说明"]]
        for n, item in enumerate(items, 1):
            r = results.get(item.pk)
            rows.append(
                [
                    str(n),
                    item.text,
                    item.basis,
                    RESULT_CN.get(r.grade, "") if r else "未检查",
                    r.notes if r else "",
                ]
            )
        body.append(Table(rows, widths=[1, 6, 4, 1.6, 3]))
    body += [
        Heading(1, "发现的问题"),
        *(paragraphs_from_text(inspection.problems) or [Paragraph("未发现问题。")]),
        Heading(1, "处理情况"),
        *(paragraphs_from_text(inspection.handling) or [Paragraph("无。")]),
    ]
    if inspection.penalty_proposed:
        body.append(
            Paragraph(
                "检查人员提出行政处罚建议（由两名以上执法人员实施，《行政处罚法》第四十二条）。"
            )
        )
    body += _signature_lines(inspection, signatures)
    unit = site.regulating_unit or site.unit
    return OfficialDocument(
        title=TITLE,
        body=body,
        signature=unit.name,
        date=timezone.localdate(
            inspection.signed_at or inspection.refused_at or inspection.started_at
        ),
        sealed=False,
    )


def inspection_record(inspection: Inspection) -> tuple[str, bytes]:
    return f"{record_number(inspection)}-{TITLE}.docx", render(build_record(inspection))


def ascii_filename(inspection: Inspection) -> str:
    return f"{record_number(inspection).replace('-', '')}-inspection-record.docx"


@transaction.atomic
def inspection_record_issue(*, actor: Any, inspection: Inspection) -> tuple[str, bytes]:
    """The inspection record for ``actor`` (who may view it), audited as
    ``inspection.record_document`` with the SM3 digest of the file."""
    if not Inspection.objects.restrict(actor, "view").filter(pk=inspection.pk).exists():
        raise PermissionDenied
    filename, data = inspection_record(inspection)
    audit_record(
        actor=actor,
        action="inspection.record_document",
        obj=inspection,
        after={"status": inspection.status, "filename": filename, "sm3": sm3_hex(data)},
    )
    return filename, data
