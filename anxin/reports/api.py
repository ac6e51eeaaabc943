"""/api/v1/kpis and /api/v1/rankings — the contract of issue 5 (names are a promise)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.types import AuthedHttpRequest
from anxin.reports import indicators, rankings
from anxin.reports.indicators import Indicator, Period

router = Router(tags=["reports"])


class KpiFilter(Schema):
    unit: str | None = Field(None, description="unit code (its subtree); default: your unit")
    date_from: str | None = Field(None, alias="from", description="YYYY-MM-DD, inclusive")
    date_to: str | None = Field(None, alias="to", description="YYYY-MM-DD, inclusive")


class KpiOut(Schema):
    key: str
    label: str
    numerator: int
    denominator: int | None
    value: float | None
    numerator_url: str
    denominator_url: str | None


class KpisOut(Schema):
    unit: str
    date_from: str = Field(..., alias="from")
    date_to: str = Field(..., alias="to")
    indicators: list[KpiOut]


class KpiItemOut(Schema):
    """One item behind a figure. A petition shows its case number, status and due date only —
    never a person."""

    type: str
    id: str
    number: str
    status: str
    status_label: str
    due_on: str | None = None
    name: str | None = None
    grade: str | None = None
    unit: str | None = None
    date: str | None = None
    url: str


class KpiItemsOut(Schema):
    items: list[KpiItemOut]
    count: int
    next: str | None


class RankingCellOut(Schema):
    key: str
    numerator: int
    denominator: int | None
    value: float | None
    weight: float
    points: float
    numerator_url: str
    denominator_url: str | None


class RankingRowOut(Schema):
    rank: int
    unit: str
    unit_name: str
    score: float
    indicators: list[RankingCellOut]


class RankingOut(Schema):
    period: str
    start: str
    end: str
    kind: str
    parent: str | None
    formula: str
    weights: dict[str, float]
    units: list[RankingRowOut]


def _part_url(request: Any, indicator: Indicator, part: str, unit: Any, period: Period) -> str:
    query = urlencode(
        {
            "part": part,
            "unit": unit.code,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
        }
    )
    path = reverse("api-v1:kpis_items", kwargs={"key": indicator.key})
    return request.build_absolute_uri(f"{path}?{query}")


def figure_out(request: Any, fig: indicators.Figure, unit: Any, period: Period) -> dict:
    ind = fig.indicator
    return {
        "key": ind.key,
        "label": str(ind.label),
        "numerator": fig.numerator,
        "denominator": fig.denominator,
        "value": fig.value,
        "numerator_url": _part_url(request, ind, "numerator", unit, period),
        "denominator_url": None
        if ind.is_count
        else _part_url(request, ind, "denominator", unit, period),
    }


@router.get("/kpis", response=KpisOut, operation_id="kpis_list", by_alias=True)
def kpis_list(request: AuthedHttpRequest, filters: Query[KpiFilter]) -> dict:
    unit = indicators.resolve_unit(request.user, filters.unit)
    period = indicators.resolve_period(filters.date_from, filters.date_to)
    figs = indicators.figures(user=request.user, unit=unit, period=period)
    return {
        "unit": unit.code,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "indicators": [figure_out(request, f, unit, period) for f in figs],
    }


def item_out(indicator: Indicator, obj: Any) -> dict:
    """The fields of one listed item, by source (petitions: number, status and due date)."""
    if indicator.source == "petitions.Petition":
        return {
            "type": "petition",
            "id": str(obj.uid),
            "number": obj.number,
            "status": obj.status,
            "status_label": obj.get_status_display(),
            "due_on": obj.due_on.isoformat() if obj.due_on else None,
            "url": reverse("petition_detail", args=[obj.uid]),
        }
    if indicator.source == "safety.Hazard":
        return {
            "type": "hazard",
            "id": str(obj.uid),
            "number": obj.number,
            "status": obj.status,
            "status_label": obj.get_status_display(),
            "grade": obj.grade,
            "due_on": obj.deadline.isoformat() if obj.deadline else None,
            "unit": obj.unit.name,
            "date": obj.found_at.date().isoformat(),
            "url": reverse("hazard_detail", args=[obj.uid]),
        }
    if indicator.source == "safety.Site":
        return {
            "type": "site",
            "id": str(obj.uid),
            "number": obj.credit_code,
            "name": obj.name,
            "status": obj.status,
            "status_label": obj.get_status_display(),
            "unit": obj.unit.name,
            "url": reverse("site_detail", args=[obj.uid]),
        }
    return {
        "type": "accident",
        "id": str(obj.uid),
        "number": str(obj),
        "status": obj.grade,
        "status_label": obj.get_grade_display(),
        "grade": obj.grade,
        "unit": obj.unit.name,
        "date": obj.occurred_at.date().isoformat(),
        "url": reverse("accident_detail", args=[obj.uid]),
    }


def resolve_part(indicator: Indicator | None, part: str | None) -> tuple[Indicator, str]:
    from django.http import Http404

    if indicator is None:
        raise Http404
    part = part or "numerator"
    if part not in ("numerator", "denominator"):
        raise ValidationError({"part": [_("Choose numerator or denominator.")]}, code="invalid")
    if part == "denominator" and indicator.is_count:
        raise ValidationError(
            {"part": [_("This indicator is a count: it has no denominator.")]}, code="invalid"
        )
    return indicator, part


@router.get(
    "/kpis/{key}/items",
    response=KpiItemsOut,
    operation_id="kpis_items",
    url_name="kpis_items",
)
def kpis_items(
    request: AuthedHttpRequest,
    key: str,
    filters: Query[KpiFilter],
    part: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    indicator, part = resolve_part(indicators.get(key), part)
    unit = indicators.resolve_unit(request.user, filters.unit)
    period = indicators.resolve_period(filters.date_from, filters.date_to)
    qs = indicators.items(indicator, user=request.user, unit=unit, period=period, part=part)
    page = keyset_page(qs, indicator.ordering, cursor=cursor, limit=limit)
    return {
        "items": [item_out(indicator, obj) for obj in page.items],
        "count": page.count,
        "next": url_with_cursor(request.build_absolute_uri(), page.next_cursor),
    }


class RankingFilter(Schema):
    period: str | None = Field(None, description="a month (2026-11) or a quarter (2026-Q4)")
    kind: str | None = Field(None, description="the peers' kind of unit (default: district)")
    parent: str | None = Field(None, description="the peers' parent unit code")


def ranking_out(request: Any, result: rankings.Ranking) -> dict:
    period = Period(result.period.start, result.period.end, result.period.end)
    return {
        "period": result.period.code,
        "start": result.period.start.isoformat(),
        "end": result.period.end.isoformat(),
        "kind": result.kind,
        "parent": result.parent,
        "formula": str(rankings.FORMULA),
        "weights": {k: float(v) for k, v in result.weights.items()},
        "units": [
            {
                "rank": row.rank,
                "unit": row.unit.code,
                "unit_name": row.unit.name,
                "score": float(row.score),
                "indicators": [
                    {
                        **{
                            k: v
                            for k, v in figure_out(request, c.figure, row.unit, period).items()
                            if k != "label"
                        },
                        "weight": float(c.weight),
                        "points": float(c.points),
                    }
                    for c in row.cells
                ],
            }
            for row in result.rows
        ],
    }


@router.get("/rankings", response=RankingOut, operation_id="rankings_list")
def rankings_list(request: AuthedHttpRequest, filters: Query[RankingFilter]) -> dict:
    result = rankings.ranking(
        request.user,
        period=filters.period or rankings.current_period_code(),
        kind=filters.kind,
        parent=filters.parent,
    )
    return ranking_out(request, result)
