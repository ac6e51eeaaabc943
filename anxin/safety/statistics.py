"""Periodic hazard statistics (隐患统计分析) per unit — issue 4, item 10.

安全监管总局令第16号 Art. 14: the unit reports its quarterly and yearly statistics of hazard
investigation and rectification, signed by its principal leader — the quarter's before the
15th of the next quarter's first month, the year's before 31 January (rules.md §4).

The figures are computed set-based: one query for the child units of the chosen unit, one
aggregate query over the hazards in the person's scope (``Hazard.objects.restrict``), grouped by
the child whose subtree holds the hazard's site (its territorial unit's path). Hazards directly
at the chosen unit form an "own level" row; the total row sums every row.

Counted: registered hazards (not those still in the triage queue, not voided ones).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from anxin.core.exports import safe_cell
from anxin.core.models import Unit
from anxin.safety.hazard_rules import HazardGrade, HazardStatus
from anxin.safety.models_hazards import Hazard

#: the figures of a row, in the order of the table's columns
FIGURES = (
    "found_general",
    "found_major",
    "closed_general",
    "closed_major",
    "rate_general",
    "rate_major",
    "open_at_end",
    "overdue_at_end",
    "supervised",
)
COUNTS = tuple(f for f in FIGURES if not f.startswith("rate_"))


def period_bounds(year: int, quarter: int | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day of the quarter (1–4), or of the year when ``quarter`` is None."""
    if quarter is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1–4")
    first = dt.date(year, 3 * quarter - 2, 1)
    following = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, following - dt.timedelta(days=1)


def filing_deadline(year: int, quarter: int | None = None) -> dt.date:
    """16号令 Art. 14: the statistics are filed before this day — the 15th of the next
    quarter's first month for a quarter, 31 January of the next year for the year."""
    if quarter is None:
        return dt.date(year + 1, 1, 31)
    period_bounds(year, quarter)  # validates the quarter
    return dt.date(year + 1, 1, 15) if quarter == 4 else dt.date(year, 3 * quarter + 1, 15)


def period_label(year: int, quarter: int | None = None) -> str:
    if quarter is None:
        return _("Year %(year)s") % {"year": year}
    return _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": year}


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _rate(closed: int, found: int) -> float | None:
    return closed / found if found else None


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["rate_general"] = _rate(row["closed_general"], row["found_general"])
    row["rate_major"] = _rate(row["closed_major"], row["found_major"])
    return row


def hazard_statistics(
    *,
    user: Any,
    unit: Unit,
    year: int,
    quarter: int | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """One row per child unit of ``unit`` (covering its subtree), an own-level row, and a total
    row (``is_total``), for the hazards the person may see. Each row has ``unit_code``,
    ``unit_name`` and the ``FIGURES``: found in the period (by found date) general and major,
    closed (销号) in the period, the rectification rates (closed ÷ found, None without any
    found), open and overdue at the period's end (or today, for a period still running), and
    listed for supervision (挂牌督办) in the period. Two queries."""
    start, end = period_bounds(year, quarter)
    as_of = min(end, today or timezone.localdate())
    start_at, end_at = _start_of(start), _start_of(end + dt.timedelta(days=1))
    as_of_end = _start_of(as_of + dt.timedelta(days=1))

    children = list(Unit.objects.filter(parent=unit).order_by("sort_order", "path"))
    bucket = Case(
        *[When(site__unit__path__startswith=c.path, then=Value(c.pk)) for c in children],
        default=Value(unit.pk),
        output_field=IntegerField(),
    )
    in_period = Q(found_at__gte=start_at, found_at__lt=end_at)
    closed = Q(closed_at__gte=start_at, closed_at__lt=end_at)
    open_at_end = Q(found_at__lt=as_of_end) & (
        Q(closed_at__isnull=True) | Q(closed_at__gte=as_of_end)
    )
    general, major = Q(grade=HazardGrade.GENERAL), Q(grade=HazardGrade.MAJOR)
    figures = (
        Hazard.objects.restrict(user, "view")
        .filter(site__unit__path__startswith=unit.path)
        .exclude(status__in=[HazardStatus.REPORTED, HazardStatus.VOID])
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(
            found_general=Count("pk", filter=in_period & general),
            found_major=Count("pk", filter=in_period & major),
            closed_general=Count("pk", filter=closed & general),
            closed_major=Count("pk", filter=closed & major),
            open_at_end=Count("pk", filter=open_at_end),
            overdue_at_end=Count("pk", filter=open_at_end & Q(deadline__lt=as_of)),
            supervised=Count(
                "pk",
                filter=Q(supervision_listed_at__gte=start_at, supervision_listed_at__lt=end_at),
            ),
        )
        .order_by()
    )
    by_bucket = {r["bucket"]: r for r in figures}

    def row(u: Unit, name: str) -> dict[str, Any]:
        found = by_bucket.get(u.pk, {})
        return _with_rates(
            {
                "unit_code": u.code,
                "unit_name": name,
                "is_total": False,
                **{k: found.get(k, 0) for k in COUNTS},
            }
        )

    rows = [row(c, c.name) for c in children]
    rows.append(row(unit, _("%(unit)s (own level)") % {"unit": unit.name}))
    total = {
        "unit_code": unit.code,
        "unit_name": unit.name,
        "is_total": True,
        **{k: sum(r[k] for r in rows) for k in COUNTS},
    }
    rows.append(_with_rates(total))
    return rows


def headers() -> list[str]:
    return [
        str(h)
        for h in (
            _("Unit"),
            _("General hazards found"),
            _("Major hazards found"),
            _("General hazards closed"),
            _("Major hazards closed"),
            _("Rectification rate (general)"),
            _("Rectification rate (major)"),
            _("Open at the end of the period"),
            _("Overdue at the end of the period"),
            pgettext("hazard statistics", "Listed for supervision"),
        )
    ]


def statistics_xlsx(rows: list[dict[str, Any]], title: str, period: str) -> bytes:
    """The statistics as an .xlsx: title, period, unit, headers, rows, the total and the
    signature footer of 16号令 Art. 14 (填报单位, 主要负责人签字, 填报日期)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Statistics"))
    total = next((r for r in rows if r["is_total"]), None)
    unit_name = total["unit_name"] if total else ""

    def cells(values: list[Any]) -> list[Any]:
        return [safe_cell(v) if isinstance(v, str) else v for v in values]

    sheet.append(cells([title]))
    sheet.append(cells([_("Period"), period]))
    sheet.append(cells([_("Unit"), unit_name]))
    sheet.append([])
    sheet.append(cells(headers()))
    for r in rows:
        line: list[Any] = [_("Total") if r["is_total"] else r["unit_name"]]
        for key in FIGURES:
            value = r[key]
            if key.startswith("rate_"):
                cell = WriteOnlyCell(sheet, value="—" if value is None else value)
                if value is not None:
                    cell.number_format = "0.0%"
                line.append(cell)
            else:
                line.append(value)
        sheet.append(cells(line))
    sheet.append([])
    sheet.append(
        cells(
            [
                _("Reporting unit:"),
                "",
                _("Principal leader (signature):"),
                "",
                _("Date of filing:"),
                "",
            ]
        )
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def statistics_export_record(*, actor: Any, unit: Any, year: int, quarter: int | None) -> None:
    """Downloading the statistics leaves a trace, like every other export."""
    from django.db import transaction

    from anxin.core.audit import audit_record

    with transaction.atomic():
        audit_record(
            actor=actor,
            action="hazard.statistics_export",
            obj=unit,
            after={"year": year, "quarter": quarter},
        )
