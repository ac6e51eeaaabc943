"""The ranking pages: the table (each figure linking to its list), its .xlsx, the 通报 .docx,
and the weights table kept by the system administrator."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from anxin.core.attachments import content_disposition
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.reports import documents, indicators, rankings
from anxin.reports.indicators import Period
from anxin.reports.services_rankings import indicator_weight_set, ranking_export_record
from anxin.reports.views_indicators import list_url


def _ranking(request: AuthedHttpRequest) -> rankings.Ranking:
    try:
        return rankings.ranking(
            request.user,
            period=request.GET.get("period") or rankings.current_period_code(),
            kind=request.GET.get("kind") or None,
            parent=request.GET.get("parent") or None,
        )
    except indicators.UnitNotFound as exc:
        raise Http404 from exc


def _query(result: rankings.Ranking) -> str:
    params = {"period": result.period.code, "kind": result.kind}
    if result.parent:
        params["parent"] = result.parent
    return urlencode(params)


@login_required
@require_GET
def ranking_list(request: AuthedHttpRequest) -> HttpResponse:
    if not can(request.user, "kpi.view") and can(request.user, "ranking.manage"):
        return redirect("ranking_weights")
    try:
        result = _ranking(request)
    except ValidationError as exc:
        errors = [str(m) for ms in exc.message_dict.values() for m in ms]
        context = {
            "errors": errors,
            "kinds": _kinds(),
            "period_value": request.GET.get("period", ""),
            "kind_value": request.GET.get("kind", ""),
            "parent_value": request.GET.get("parent", ""),
        }
        return render(request, "reports/ranking_list.html", context, status=400)
    span = Period(result.period.start, result.period.end, result.period.end)
    rows = [
        {
            "row": row,
            "cells": [
                {
                    "cell": c,
                    "numerator_url": list_url(c.indicator.key, "numerator", row.unit, span),
                    "denominator_url": list_url(c.indicator.key, "denominator", row.unit, span),
                }
                for c in row.cells
            ],
        }
        for row in result.rows
    ]
    return render(
        request,
        "reports/ranking_list.html",
        {
            "result": result,
            "columns": [(i, result.weights[i.key]) for i in result.indicators],
            "rows": rows,
            "query": _query(result),
            "formula": rankings.FORMULA,
            "repeat_reason": rankings.REPEAT_CONTROL_REASON,
            "kinds": _kinds(),
            "period_value": result.period.code,
            "kind_value": result.kind,
            "parent_value": result.parent or "",
            "can_manage": can(request.user, "ranking.manage"),
        },
    )


def _kinds() -> list[tuple[str, str]]:
    from anxin.core.choices import UnitKind

    return [(k.value, str(k.label)) for k in UnitKind]


def _issuer(request: AuthedHttpRequest, result: rankings.Ranking) -> str:
    if result.rows and result.rows[0].unit.parent_id:
        from anxin.core.models import Unit

        parent = Unit.objects.filter(pk=result.rows[0].unit.parent_id).first()
        if parent is not None:
            return parent.name
    unit = getattr(request.user, "unit", None)
    return unit.name if unit is not None else ""


@login_required
@require_GET
def ranking_docx(request: AuthedHttpRequest) -> HttpResponse:
    try:
        result = _ranking(request)
    except ValidationError as exc:
        raise Http404 from exc
    data = documents.ranking_notice(result, issuer=_issuer(request, result))
    ranking_export_record(
        actor=request.user,
        period=result.period.code,
        kind=result.kind,
        parent=result.parent,
        fmt="docx",
    )
    response = HttpResponse(data, content_type=documents.DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        f"考核排名通报-{result.period.code}.docx", f"ranking-notice-{result.period.code}.docx"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def ranking_xlsx(request: AuthedHttpRequest) -> HttpResponse:
    try:
        result = _ranking(request)
    except ValidationError as exc:
        raise Http404 from exc
    labels = {i.key: str(i.label) for i in result.indicators}
    headers = {
        "sheet": _("Ranking"),
        "rank": _("Rank"),
        "code": _("Unit code"),
        "unit": _("Unit"),
        "numerator": _("Numerator"),
        "denominator": _("Denominator"),
        "rate": _("Rate"),
        "points": _("Points"),
        "score": _("Score"),
        "weights": _("Weights"),
        "indicator": _("Indicator"),
        "weight": _("Weight"),
        "formula": str(rankings.FORMULA),
    }
    data = documents.ranking_xlsx(result, labels=labels, headers=headers)
    ranking_export_record(
        actor=request.user,
        period=result.period.code,
        kind=result.kind,
        parent=result.parent,
        fmt="xlsx",
    )
    response = HttpResponse(data, content_type=documents.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        f"考核排名-{result.period.code}.xlsx", f"ranking-{result.period.code}.xlsx"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def ranking_weights(request: AuthedHttpRequest) -> HttpResponse:
    """The weights table: everyone who may see rankings reads it; the system administrator
    changes it (one indicator per submit)."""
    manage = can(request.user, "ranking.manage")
    if not manage and not can(request.user, "kpi.view"):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        key = request.POST.get("key", "")
        try:
            indicator_weight_set(
                actor=request.user,
                key=key,
                weight=request.POST.get("weight", ""),
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            errors = {"key": key, "messages": [m for ms in exc.message_dict.values() for m in ms]}
        else:
            messages.success(request, _("The weight was saved."))
            return redirect("ranking_weights")
    from anxin.reports.models_rankings import IndicatorWeight

    rows_by_key = {w.key: w for w in IndicatorWeight.objects.select_related("updated_by")}
    in_force = rankings.weights()
    table = [
        {
            "indicator": indicators.get(key),
            "key": key,
            "weight": in_force[key],
            "default": rankings.DEFAULT_WEIGHTS[key],
            "row": rows_by_key.get(key),
        }
        for key in rankings.RANKED_KEYS
    ]
    return render(
        request,
        "reports/ranking_weights.html",
        {
            "table": table,
            "manage": manage,
            "errors": errors,
            "formula": rankings.FORMULA,
            "repeat_reason": rankings.REPEAT_CONTROL_REASON,
            "today": timezone.localdate(),
        },
        status=400 if errors else 200,
    )
