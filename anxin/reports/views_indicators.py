"""The indicator pages: the figures of a unit, and the exact list behind each figure."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from anxin.core.pagination import page_context
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.reports import indicators
from anxin.reports.api import item_out, resolve_part
from anxin.reports.indicators import Period


def _params(request: AuthedHttpRequest) -> tuple[Any, Period]:
    if not can(request.user, "kpi.view"):
        raise PermissionDenied
    try:
        unit = indicators.resolve_unit(request.user, request.GET.get("unit") or None)
    except indicators.UnitNotFound as exc:
        raise Http404 from exc
    period = indicators.resolve_period(request.GET.get("from"), request.GET.get("to"))
    return unit, period


def list_url(key: str, part: str, unit: Any, period: Period) -> str:
    """The page listing the items behind one figure."""
    query = urlencode({"part": part, "unit": unit.code, "from": period.start, "to": period.end})
    return f"{reverse('indicator_items', args=[key])}?{query}"


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for messages in exc.message_dict.values() for m in messages]


def _form(request: AuthedHttpRequest, unit: Any = None, period: Period | None = None) -> dict:
    """The values of the filter form: what was asked, or what was used."""
    return {
        "unit": unit.code if unit is not None else request.GET.get("unit", ""),
        "from": period.start.isoformat() if period else request.GET.get("from", ""),
        "to": period.end.isoformat() if period else request.GET.get("to", ""),
    }


@login_required
@require_GET
def indicator_list(request: AuthedHttpRequest) -> HttpResponse:
    try:
        unit, period = _params(request)
    except ValidationError as exc:
        return render(
            request,
            "reports/indicator_list.html",
            {"errors": _errors(exc), "form": _form(request)},
            status=400,
        )
    rows = [
        {
            "figure": fig,
            "numerator_url": list_url(fig.indicator.key, "numerator", unit, period),
            "denominator_url": None
            if fig.indicator.is_count
            else list_url(fig.indicator.key, "denominator", unit, period),
        }
        for fig in indicators.figures(user=request.user, unit=unit, period=period)
    ]
    return render(
        request,
        "reports/indicator_list.html",
        {"unit": unit, "period": period, "rows": rows, "form": _form(request, unit, period)},
    )


@login_required
@require_GET
def indicator_items(request: AuthedHttpRequest, key: str) -> HttpResponse:
    try:
        indicator, part = resolve_part(indicators.get(key), request.GET.get("part"))
        unit, period = _params(request)
    except ValidationError as exc:
        return render(request, "reports/indicator_items.html", {"errors": _errors(exc)}, status=400)
    qs = indicators.items(indicator, user=request.user, unit=unit, period=period, part=part)
    context = page_context(request, qs, indicator.ordering)
    context.update(
        {
            "indicator": indicator,
            "part": part,
            "unit": unit,
            "period": period,
            "rows": [item_out(indicator, obj) for obj in context["page"].items],
            "back_url": f"{reverse('indicator_list')}?"
            + urlencode({"unit": unit.code, "from": period.start, "to": period.end}),
        }
    )
    return render(request, "reports/indicator_items.html", context)
