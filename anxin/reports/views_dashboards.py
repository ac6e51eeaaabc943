"""Dashboard pages: server-rendered, their chart data as JSON (``json_script``) drawn by
``static/anxin/dashboard.js``; every figure comes from the rollups through
:mod:`anxin.reports.dashboards`, limited to the person's scope."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from anxin.core.models import Unit
from anxin.core.scoping import can, unit_in_scope
from anxin.core.types import AuthedHttpRequest
from anxin.reports import dashboards

ACTION = "dashboard.view"


def _require(user: Any) -> None:
    if not can(user, ACTION):
        raise PermissionDenied


def _unit_param(request: AuthedHttpRequest, default: Unit | None) -> Unit | None:
    code = request.GET.get("unit") or None
    if code is None:
        return default
    unit = Unit.objects.filter(code=code).first()
    if unit is None or not unit_in_scope(request.user, ACTION, unit):
        raise Http404
    return unit


def _charts_page(request: AuthedHttpRequest, root: Unit | None, page: str) -> HttpResponse:
    panels = [
        {
            "chart": chart,
            "data_id": f"data-{chart['key']}",
            "rows": [
                (s["name"], list(zip(s["data"], s["links"], strict=True))) for s in chart["series"]
            ],
        }
        for chart in dashboards.city_charts(request.user, root)
    ]
    return render(request, "reports/dashboard.html", {"panels": panels, "root": root, "page": page})


@login_required
@require_GET
def dashboard_city(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user)
    return _charts_page(request, None, "city")


@login_required
@require_GET
def dashboard_unit(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user)
    home = request.user.unit if request.user.unit_id else None
    root = _unit_param(
        request, home if home and unit_in_scope(request.user, ACTION, home) else None
    )
    if root is None:
        raise Http404
    return _charts_page(request, root, "unit")


@login_required
@require_GET
def dashboard_leader(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user)
    return render(
        request,
        "reports/dashboard_leader.html",
        {
            "cases": list(dashboards.leader_cases(request.user)[:200]),
            "hazards": list(dashboards.supervised_hazards(request.user)[:200]),
            "page": "leader",
        },
    )


@login_required
@require_GET
def dashboard_hotspots(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user)
    root = _unit_param(request, None)
    spots = dashboards.hot_spots(request.user, root)
    return render(
        request,
        "reports/dashboard_hotspots.html",
        {
            "spots": spots,
            "tables": [
                (_("Petition categories"), spots["categories"]),
                (_("Places of hazards"), spots["places"]),
                (_("Sectors of hazards"), spots["sectors"]),
            ],
            "root": root,
            "page": "hotspots",
        },
    )
