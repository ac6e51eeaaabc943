"""Monthly reports (issue 5 item 9): per unit (its subtree) and for the city, a .docx narrative
with charts drawn server-side by matplotlib (Agg, a CJK font) and an .xlsx of the tables.

Write path: :func:`monthly_report_request` (a person, in scope) creates the row and enqueues
the Huey task after commit; the task calls :func:`monthly_report_build` (the system), which
updates ``progress`` in short transactions of its own so the page polling it sees each step,
stores both files as encrypted attachments of the report and records the audit events.
:func:`monthly_report_download` audits every download. Figures come from the daily rollups (and
the clock table for what is overdue now); they count matters, never people.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anxin.core.attachments import attachment_add
from anxin.core.audit import audit_record
from anxin.core.models import Unit, User
from anxin.core.models_attachments import Attachment
from anxin.core.scoping import unit_in_scope
from anxin.reports.dashboards import add_months, month_end, month_start
from anxin.reports.models_monthly import MonthlyReport, MonthlyReportStatus
from anxin.reports.models_rollups import AccidentDaily, HazardDaily, InspectionDaily, PetitionDaily

log = logging.getLogger(__name__)

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
TREND_MONTHS = 12


# --- services ---------------------------------------------------------------------------------


@transaction.atomic
def monthly_report_request(*, actor: User | None, unit: Unit, month: dt.date) -> MonthlyReport:
    """Ask for the report of ``unit`` (its subtree) for the month holding ``month``."""
    if actor is not None and not unit_in_scope(actor, "monthly_report.request", unit):
        raise PermissionDenied
    first = month_start(month)
    if first > month_start(timezone.localdate()):
        raise ValidationError({"month": _("The month has not begun yet.")})
    report = MonthlyReport.objects.create(
        unit=unit,
        month=first,
        requested_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(
        actor=actor,
        action="monthly_report.request",
        obj=report,
        after={"unit": unit.code, "month": f"{first:%Y-%m}"},
    )
    pk = report.pk
    transaction.on_commit(lambda: _enqueue(pk))
    return report


def _enqueue(pk: int) -> None:
    from anxin.reports.tasks import build_monthly_report

    build_monthly_report(pk)


def monthly_report_download(*, actor: User, report: MonthlyReport, kind: str) -> Attachment:
    """The report's .docx or .xlsx for a person who may see the report; audited."""
    attachment = report.docx if kind == "docx" else report.xlsx if kind == "xlsx" else None
    if attachment is None:
        raise ValidationError(_("This file is not ready."))
    audit_record(
        actor=actor,
        action="monthly_report.download",
        obj=report,
        after={"file": attachment.name, "kind": kind},
    )
    return attachment


def _progress(report_id: int, progress: int, step: str, **extra: Any) -> None:
    with transaction.atomic():
        MonthlyReport.objects.filter(pk=report_id).update(
            progress=progress, step=step[:100], **extra
        )


def monthly_report_build(report_id: int) -> MonthlyReport | None:
    """The task's body: figures, charts, .docx, .xlsx, stored; progress 0 → 100."""
    report = MonthlyReport.objects.select_related("unit").filter(pk=report_id).first()
    if report is None or report.status == MonthlyReportStatus.DONE:
        return report
    from django.conf import settings

    with translation.override(settings.LANGUAGE_CODE):
        try:
            _progress(report_id, 5, _("Collecting the figures"), status=MonthlyReportStatus.RUNNING)
            figures = collect(report.unit, report.month)
            _progress(report_id, 35, _("Drawing the charts"))
            charts = draw_charts(figures)
            _progress(report_id, 65, _("Writing the document"))
            docx = build_docx(figures, charts)
            _progress(report_id, 80, _("Writing the tables"))
            xlsx = build_xlsx(figures)
            _progress(report_id, 90, _("Storing the files"))
            with transaction.atomic():
                locked = MonthlyReport.objects.select_for_update().get(pk=report_id)
                stem = f"{report.unit.name}{report.month:%Y年%m月}"
                locked.docx = attachment_add(
                    actor=None,
                    owner=locked,
                    upload=ContentFile(
                        docx, name=_("%(stem)s monthly report.docx") % {"stem": stem}
                    ),
                    purpose="monthly_report",
                )
                locked.xlsx = attachment_add(
                    actor=None,
                    owner=locked,
                    upload=ContentFile(
                        xlsx, name=_("%(stem)s monthly tables.xlsx") % {"stem": stem}
                    ),
                    purpose="monthly_report",
                )
                locked.status = MonthlyReportStatus.DONE
                locked.progress = 100
                locked.step = ""
                locked.finished_at = timezone.now()
                locked.save(
                    update_fields=["docx", "xlsx", "status", "progress", "step", "finished_at"]
                )
                audit_record(
                    actor=None,
                    action="monthly_report.done",
                    obj=locked,
                    after={"docx": str(locked.docx.uid), "xlsx": str(locked.xlsx.uid)},
                )
            return locked
        except Exception as exc:
            log.exception("monthly report %s failed", report_id)
            with transaction.atomic():
                MonthlyReport.objects.filter(pk=report_id).update(
                    status=MonthlyReportStatus.FAILED, error=str(exc)[:300]
                )
                failed = MonthlyReport.objects.get(pk=report_id)
                audit_record(
                    actor=None,
                    action="monthly_report.failed",
                    obj=failed,
                    after={"error": failed.error},
                )
            return failed


# --- figures ----------------------------------------------------------------------------------


@dataclass
class Figures:
    unit: Unit
    month: dt.date
    petitions: dict[str, int] = field(default_factory=dict)
    petitions_before: dict[str, int] = field(default_factory=dict)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    trend: list[tuple[str, int, int, int]] = field(
        default_factory=list
    )  # month, received, found, closed
    hazards: dict[str, int] = field(default_factory=dict)
    hazards_before: dict[str, int] = field(default_factory=dict)
    hazards_by_grade: list[tuple[str, int]] = field(default_factory=list)
    hazards_by_sector: list[tuple[str, int]] = field(default_factory=list)
    accidents_by_grade: list[tuple[str, int]] = field(default_factory=list)
    inspections: int = 0
    overdue_now: dict[str, int] = field(default_factory=dict)
    by_child: list[tuple[str, int, int, int]] = field(
        default_factory=list
    )  # unit, received, found, closed


def _in(qs: QuerySet[Any], unit: Unit, *lookups: str) -> QuerySet[Any]:
    from django.db.models import Q

    q = Q()
    for lookup in lookups:
        q |= Q(**{f"{lookup}__path__startswith": unit.path})
    return qs.filter(q)


def _sums(qs: QuerySet[Any], first: dt.date, counters: tuple[str, ...]) -> dict[str, int]:
    row = qs.filter(day__gte=first, day__lte=month_end(first)).aggregate(
        **{c: Sum(c) for c in counters}
    )
    return {c: int(row[c] or 0) for c in counters}


def _by(qs: QuerySet[Any], first: dt.date, dim: str, counter: str) -> dict[Any, int]:
    rows = (
        qs.filter(day__gte=first, day__lte=month_end(first))
        .values(dim)
        .annotate(n=Sum(counter))
        .order_by()
    )
    return {r[dim]: int(r["n"] or 0) for r in rows if r["n"]}


def collect(unit: Unit, month: dt.date) -> Figures:
    """Every figure of the report, from the rollups of ``unit``'s subtree (system read)."""
    from anxin.petitions.choices import Channel, Kind
    from anxin.petitions.models import Category
    from anxin.safety.accident_rules import AccidentGrade
    from anxin.safety.hazard_rules import HazardGrade
    from anxin.safety.models import Sector
    from anxin.supervision.models import Clock

    first = month_start(month)
    before = add_months(first, -1)
    f = Figures(unit=unit, month=first)
    petitions = _in(PetitionDaily.objects.all(), unit, "unit")
    hazards = _in(HazardDaily.objects.all(), unit, "unit", "regulating_unit")
    f.petitions = _sums(petitions, first, PetitionDaily.COUNTERS)
    f.petitions_before = _sums(petitions, before, PetitionDaily.COUNTERS)
    channels = _by(petitions, first, "channel", "received")
    f.by_channel = [(str(label), channels.get(v, 0)) for v, label in Channel.choices]
    kinds = _by(petitions, first, "kind", "received")
    f.by_kind = [(str(label), kinds.get(v, 0)) for v, label in Kind.choices]
    cats = _by(petitions, first, "category_id", "received")
    names = dict(Category.objects.filter(pk__in=list(cats)).values_list("pk", "name"))
    f.by_category = sorted(((names[k], n) for k, n in cats.items()), key=lambda t: (-t[1], t[0]))[
        :10
    ]
    f.hazards = _sums(hazards, first, HazardDaily.COUNTERS)
    f.hazards_before = _sums(hazards, before, HazardDaily.COUNTERS)
    grades = _by(hazards, first, "grade", "found")
    f.hazards_by_grade = [(str(label), grades.get(v, 0)) for v, label in HazardGrade.choices]
    sectors = _by(hazards, first, "sector_id", "found")
    sector_names = dict(Sector.objects.filter(pk__in=list(sectors)).values_list("pk", "name"))
    f.hazards_by_sector = sorted(
        ((sector_names[k], n) for k, n in sectors.items()), key=lambda t: (-t[1], t[0])
    )
    accidents = _by(_in(AccidentDaily.objects.all(), unit, "unit"), first, "grade", "occurred")
    f.accidents_by_grade = [(str(label), accidents.get(v, 0)) for v, label in AccidentGrade.choices]
    f.inspections = _sums(
        _in(InspectionDaily.objects.all(), unit, "unit"), first, ("inspections",)
    )["inspections"]
    start = add_months(first, 1 - TREND_MONTHS)
    trend: dict[dt.date, list[int]] = {add_months(start, i): [0, 0, 0] for i in range(TREND_MONTHS)}
    for qs, counters, offset in (
        (petitions, ("received",), 0),
        (hazards, ("found", "closed"), 1),
    ):
        rows = (
            qs.filter(day__gte=start, day__lte=month_end(first))
            .annotate(m=TruncMonth("day"))
            .values("m")
            .annotate(**{c: Sum(c) for c in counters})
            .order_by()
        )
        for row in rows:
            m = row["m"].date() if isinstance(row["m"], dt.datetime) else row["m"]
            for i, c in enumerate(counters):
                trend[m][offset + i] += int(row[c] or 0)
    f.trend = [(f"{m:%Y-%m}", *values) for m, values in trend.items()]  # type: ignore[misc]
    today = timezone.localdate()
    overdue = (
        Clock.objects.filter(state="running", due_on__lt=today, unit__path__startswith=unit.path)
        .values("subject_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    f.overdue_now = {r["subject_type"]: r["n"] for r in overdue}
    children = list(Unit.objects.filter(parent=unit).order_by("code"))
    if children:
        p_rows = _by_child(petitions, first, children, ("unit",), ("received",))
        h_rows = _by_child(
            hazards, first, children, ("unit", "regulating_unit"), ("found", "closed")
        )
        f.by_child = [(c.name, p_rows[c.pk][0], h_rows[c.pk][0], h_rows[c.pk][1]) for c in children]
    return f


def _by_child(
    qs: QuerySet[Any],
    first: dt.date,
    children: list[Unit],
    lookups: tuple[str, ...],
    counters: tuple[str, ...],
) -> dict[int, list[int]]:
    """Per child unit, its subtree's sums: one aggregate query per child (a handful of units)."""
    out: dict[int, list[int]] = {}
    for child in children:
        sums = _sums(_in(qs, child, *lookups), first, counters)
        out[child.pk] = [sums[c] for c in counters]
    return out


# --- charts -----------------------------------------------------------------------------------


def _font() -> Any:
    from matplotlib import font_manager

    return font_manager.FontProperties(fname=CJK_FONT)


def _figure(width: float = 7.0, height: float = 3.2) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=150)


def _png(fig: Any) -> bytes:
    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _bars(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> bytes:
    font = _font()
    fig = _figure()
    ax = fig.add_subplot()
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        ax.bar(xs, values, width=width, label=name)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(
        labels, fontproperties=font, rotation=30 if len(labels) > 6 else 0, fontsize=8
    )
    ax.set_title(title, fontproperties=font)
    ax.yaxis.get_major_locator().set_params(integer=True)
    if len(series) > 1:
        ax.legend(prop=font)
    return _png(fig)


def draw_charts(f: Figures) -> dict[str, bytes]:
    months = [t[0] for t in f.trend]
    charts = {
        "trend_petitions": _bars(
            _("Petitions received, last twelve months"),
            months,
            [(_("Received"), [t[1] for t in f.trend])],
        ),
        "channels": _bars(
            _("Petitions received by channel"),
            [c for c, _n in f.by_channel],
            [(_("Received"), [n for _c, n in f.by_channel])],
        ),
        "trend_hazards": _bars(
            _("Hazards found and closed"),
            months,
            [
                (_("Hazards found"), [t[2] for t in f.trend]),
                (_("Hazards closed"), [t[3] for t in f.trend]),
            ],
        ),
    }
    if f.by_category:
        charts["categories"] = _bars(
            _("Petitions received by category"),
            [c for c, _n in f.by_category],
            [(_("Received"), [n for _c, n in f.by_category])],
        )
    return charts


# --- documents --------------------------------------------------------------------------------


def _change(now: int, before: int) -> str:
    if now == before:
        return _("the same as the month before")
    if before == 0:
        return _("none the month before")
    pct = round((now - before) * 100 / before)
    return (
        _("%(pct)d%% more than the month before") % {"pct": pct}
        if pct > 0
        else _("%(pct)d%% fewer than the month before") % {"pct": -pct}
    )


def build_docx(f: Figures, charts: dict[str, bytes]) -> bytes:
    from anxin.core.documents import Heading, Image, OfficialDocument, Paragraph, Table, render

    p, h = f.petitions, f.hazards
    month = _("%(year)d-%(month)02d") % {"year": f.month.year, "month": f.month.month}
    body: list[Any] = [
        Heading(1, _("Petitions")),
        Paragraph(
            _(
                "In %(month)s, %(received)d petitions were received (%(change)s); %(accepted)d "
                "were accepted, %(declined)d not accepted, %(replied)d answered with a handling "
                "opinion and %(closed)d closed. %(overdue)d time limits were missed."
            )
            % {
                "month": month,
                "received": p["received"],
                "change": _change(p["received"], f.petitions_before["received"]),
                "accepted": p["accepted"],
                "declined": p["declined"],
                "replied": p["replied"],
                "closed": p["closed"],
                "overdue": p["overdue"],
            }
        ),
        Image(charts["trend_petitions"], alt=_("Petitions received, last twelve months")),
        Image(charts["channels"], alt=_("Petitions received by channel")),
        Table([[_("Channel"), _("Received")], *[[c, str(n)] for c, n in f.by_channel]]),
    ]
    if f.by_category:
        top = "、".join(f"{c}（{n}）" for c, n in f.by_category[:3])
        body += [
            Paragraph(_("The most frequent problems: %(top)s.") % {"top": top}),
            Image(charts["categories"], alt=_("Petitions received by category")),
        ]
    body += [
        Heading(1, _("Work safety")),
        Paragraph(
            _(
                "%(found)d hazards were found (%(change)s) and %(closed)d closed; %(inspections)d "
                "inspections were recorded."
            )
            % {
                "found": h["found"],
                "change": _change(h["found"], f.hazards_before["found"]),
                "closed": h["closed"],
                "inspections": f.inspections,
            }
        ),
        Image(charts["trend_hazards"], alt=_("Hazards found and closed")),
        Table([[_("Grade"), _("Hazards found")], *[[g, str(n)] for g, n in f.hazards_by_grade]]),
        Paragraph(
            _("Accidents: %(list)s.")
            % {"list": "，".join(f"{g}{n}起" for g, n in f.accidents_by_grade)}
        ),
        Heading(1, _("Overdue now")),
        Paragraph(
            _(
                "On %(today)s, %(petitions)d petition and %(hazards)d hazard time limits are overdue."
            )
            % {
                "today": timezone.localdate().isoformat(),
                "petitions": f.overdue_now.get("petitions.petition", 0),
                "hazards": f.overdue_now.get("safety.hazard", 0),
            }
        ),
    ]
    if f.by_child:
        body += [
            Heading(1, _("Subordinate units")),
            Table(
                [
                    [_("Unit"), _("Petitions received"), _("Hazards found"), _("Hazards closed")],
                    *[[name, str(a), str(b), str(c)] for name, a, b, c in f.by_child],
                ],
                widths=[3, 2, 2, 2],
            ),
        ]
    doc = OfficialDocument(
        title=_("%(unit)s monthly report on petitions and work safety, %(month)s")
        % {"unit": f.unit.name, "month": month},
        signature=f.unit.name,
        date=timezone.localdate(),
        body=body,
        sealed=False,
    )
    return render(doc)


def build_xlsx(f: Figures) -> bytes:
    from openpyxl import Workbook

    from anxin.core.exports import safe_cell

    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary of the month")
    rows: list[list[Any]] = [
        [_("Unit"), f.unit.name],
        [_("Month"), f"{f.month:%Y-%m}"],
        [],
        [_("Figure"), _("This month"), _("Last month")],
    ]
    labels = {
        "received": _("Petitions received"),
        "accepted": _("Petitions accepted"),
        "declined": _("Petitions not accepted"),
        "replied": _("Handling opinions issued"),
        "closed": _("Petitions closed"),
        "overdue": _("Petition time limits missed"),
    }
    rows += [[labels[k], f.petitions[k], f.petitions_before[k]] for k in PetitionDaily.COUNTERS]
    rows += [
        [_("Hazards found"), f.hazards["found"], f.hazards_before["found"]],
        [_("Hazards closed"), f.hazards["closed"], f.hazards_before["closed"]],
        [_("Inspections"), f.inspections, ""],
    ]
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for title, header, data in (
        (_("By channel"), [_("Channel"), _("Received")], f.by_channel),
        (_("By kind"), [_("Kind"), _("Received")], f.by_kind),
        (_("By category"), [_("Category"), _("Received")], f.by_category),
        (_("Hazards by grade"), [_("Grade"), _("Hazards found")], f.hazards_by_grade),
        (_("Hazards by sector"), [_("Sector"), _("Hazards found")], f.hazards_by_sector),
        (_("Accidents by grade"), [_("Grade"), _("Accidents")], f.accidents_by_grade),
        (
            _("Trend"),
            [_("Month"), _("Petitions received"), _("Hazards found"), _("Hazards closed")],
            f.trend,
        ),
        (
            _("Subordinate units"),
            [_("Unit"), _("Petitions received"), _("Hazards found"), _("Hazards closed")],
            f.by_child,
        ),
    ):
        sheet = wb.create_sheet(title[:31])
        sheet.append(header)
        for record in data:
            sheet.append([safe_cell(v) for v in record])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
