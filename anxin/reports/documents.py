"""The ranking as files: the 通报 (.docx, GB/T 9704 via :mod:`anxin.core.documents`) and the
table as .xlsx (every text cell through :func:`~anxin.core.exports.safe_cell`).

As with the petitions' documents, the text of the 通报 is Chinese: it is an official paper of a
Chinese organ, issued in Chinese whatever the interface language of the person printing it.
The 通报 names units and figures of matters, never a person.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.utils import timezone
from openpyxl import Workbook

from anxin.core.documents import (
    Heading,
    OfficialDocument,
    Paragraph,
    Table,
    render,
)
from anxin.core.exports import safe_cell
from anxin.reports.rankings import Ranking

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: the Chinese names of the ranked indicators in the 通报 (a document text, not an interface)
NAMES_CN = {
    "timely_acceptance_rate": "及时受理率",
    "on_time_reply_rate": "按期答复率",
    "participation_rate": "参评率",
    "satisfaction_rate": "满意率",
    "repeat_petition_rate": "重复信访率",
    "first_petition_resolution_rate": "初信初访化解率",
    "backlog_clearance_rate": "积案化解率",
    "hazard_rectification_rate": "隐患整改率",
    "major_hazard_rectification_rate": "重大隐患整改率",
    "inspection_coverage_rate": "检查覆盖率",
}


def _period_cn(result: Ranking) -> str:
    start = result.period.start
    if "Q" in result.period.code:
        return f"{start.year}年第{(start.month + 2) // 3}季度"
    return f"{start.year}年{start.month}月"


def _percent(numerator: int, denominator: int | None) -> str:
    if not denominator:
        return "—"
    return f"{Decimal(numerator * 100) / Decimal(denominator):.1f}%"


def _weight(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _repeat_control(weight: Decimal) -> str:
    """rules.md §7: the weight of repeat-petition control, and why it is 0 by default."""
    if not weight:
        return (
            "重复信访控制的权重为0：以群众再次信访扣减单位得分，会形成拦截、压制信访人的导向。"
            "如需调整，由系统管理员在权重表中修改。"
        )
    return (
        f"重复信访控制的权重为{_weight(weight)}分，按（1－重复信访率）计分。以群众再次信访扣减"
        "单位得分，容易形成拦截、压制信访人的导向；各单位不得以任何方式拦截、压制信访人。"
    )


def ranking_notice(result: Ranking, *, issuer: str, on: dt.date | None = None) -> bytes:
    """考核排名通报 as .docx."""
    on = on or timezone.localdate()
    period = _period_cn(result)
    scored = [i for i in result.indicators if result.weights[i.key] > 0]
    scheme = "、".join(
        f"{NAMES_CN.get(i.key, i.key)}{_weight(result.weights[i.key])}分" for i in scored
    )
    body: list[Any] = [
        Paragraph(
            f"根据考核办法，现将{period}各单位信访工作和安全生产有关指标考核排名情况通报如下。"
        ),
        Heading(1, "考核办法"),
        Paragraph(
            f"得分＝Σ（权重×指标率）。本期计分指标及权重：{scheme or '无'}，满分"
            f"{_weight(result.full_marks)}分。重复信访率越低越好，按（1－重复信访率）计分；"
            "某项指标本期无考核对象的，按满分计。得分相同的，名次并列，按单位代码排列。"
        ),
        Paragraph(_repeat_control(result.weights.get("repeat_petition_rate", Decimal(0)))),
        Heading(1, "排名情况"),
    ]
    # the scored indicators only (the others are in the .xlsx and on the page): an A4 column
    # cannot hold more
    shown = [n for n, i in enumerate(result.indicators) if result.weights[i.key] > 0]
    header = ["名次", "单位", *[NAMES_CN.get(result.indicators[n].key, "") for n in shown], "得分"]
    rows = [header]
    for row in result.rows:
        cells = [row.cells[n] for n in shown]
        rows.append(
            [
                str(row.rank),
                row.unit.name,
                *[_percent(c.figure.numerator, c.figure.denominator) for c in cells],
                f"{row.score:.2f}",
            ]
        )
    if not result.rows:
        body.append(Paragraph("本期无参加排名的单位。"))
    else:
        body.append(Table(rows, widths=[1, 3, *[2] * len(shown), 1.5]))
    body.append(
        Paragraph(
            "各项数据均可在安信系统“考核排名”页面点击查看对应事项清单核对。"
            "请排名靠后的单位认真分析原因，改进工作。"
        )
    )
    doc = OfficialDocument(
        issuer=issuer,
        title=f"关于{period}考核排名情况的通报",
        recipient="各有关单位",
        body=body,
        signature=issuer,
        date=on,
    )
    return render(doc)


def ranking_xlsx(result: Ranking, *, labels: dict[str, str], headers: dict[str, str]) -> bytes:
    """The ranking table as .xlsx: rank, unit, numerator/denominator/rate/points per indicator,
    score; a second sheet with the weights and the formula."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = safe_cell(headers["sheet"])[:31]
    head = [headers["rank"], headers["code"], headers["unit"]]
    for ind in result.indicators:
        label = labels[ind.key]
        head += [
            f"{label} {headers['numerator']}",
            f"{label} {headers['denominator']}",
            f"{label} {headers['rate']}",
            f"{label} {headers['points']}",
        ]
    head.append(headers["score"])
    ws.append([safe_cell(h) for h in head])
    for row in result.rows:
        line: list[Any] = [row.rank, safe_cell(row.unit.code), safe_cell(row.unit.name)]
        for c in row.cells:
            value = c.figure.value
            line += [
                c.figure.numerator,
                c.figure.denominator,
                value if value is not None else "",
                float(c.points),
            ]
        line.append(float(row.score))
        ws.append(line)
    weights = wb.create_sheet(safe_cell(headers["weights"])[:31])
    weights.append([safe_cell(headers["indicator"]), safe_cell(headers["weight"])])
    for ind in result.indicators:
        weights.append([safe_cell(labels[ind.key]), float(result.weights[ind.key])])
    weights.append([])
    weights.append([safe_cell(headers["formula"])])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
