"""The hazard statistics page (隐患统计, 16号令 Art. 14): a unit in scope, a year, a quarter or
the whole year; the table, its .xlsx and the filing deadline of the period."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from anxin.core.forms import BootstrapMixin
from anxin.core.models import Unit
from anxin.core.scoping import can, scope_q
from anxin.core.types import AuthedHttpRequest
from anxin.safety import statistics

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERMISSION = "hazard.view"


def units_in_scope(user: Any) -> list[Unit]:
    """The active units the person may see hazards of (the chooser's options)."""
    q = scope_q(user, PERMISSION, ("",))
    if q is None:
        return []
    return list(Unit.objects.filter(q & Q(is_active=True)).order_by("path"))


class StatisticsForm(BootstrapMixin, forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("Unit"))
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", gettext_lazy("Whole year")),
            ("1", gettext_lazy("Q1")),
            ("2", gettext_lazy("Q2")),
            ("3", gettext_lazy("Q3")),
            ("4", gettext_lazy("Q4")),
        ],
    )

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            (u.code, f"{'　' * max(u.depth - units[0].depth, 0)}{u.name}") for u in units
        ]
        self.fields["year"].validators.append(MaxValueValidator(timezone.localdate().year + 1))


def _parse(request: AuthedHttpRequest) -> tuple[StatisticsForm, dict[str, Any] | None]:
    if not can(request.user, PERMISSION):
        raise PermissionDenied
    units = units_in_scope(request.user)
    if not units:
        raise PermissionDenied
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("unit", units[0].code)
    data.setdefault("year", str(today.year))
    if "quarter" not in request.GET:
        data["quarter"] = str((today.month - 1) // 3 + 1)
    form = StatisticsForm(data, units=units)
    if not form.is_valid():
        if "unit" in form.errors and request.GET.get("unit"):
            raise Http404  # a unit out of scope is not revealed
        return form, None
    unit = next(u for u in units if u.code == form.cleaned_data["unit"])
    year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
    return form, {
        "unit": unit,
        "year": year,
        "quarter": quarter,
        "period": statistics.period_label(year, quarter),
        "deadline": statistics.filing_deadline(year, quarter),
        "rows": statistics.hazard_statistics(
            user=request.user, unit=unit, year=year, quarter=quarter
        ),
    }


def _title(unit: Unit) -> str:
    return _("Statistics of hazard investigation and rectification — %(unit)s") % {
        "unit": unit.name
    }


@login_required
@require_GET
def hazard_statistics(request: AuthedHttpRequest) -> HttpResponse:
    form, result = _parse(request)
    context: dict[str, Any] = {"form": form, "result": result, "headers": statistics.headers()}
    if result is not None:
        context["title"] = _title(result["unit"])
        context["xlsx_query"] = request.GET.urlencode() or (
            f"unit={result['unit'].code}&year={result['year']}&quarter={result['quarter'] or ''}"
        )
    return render(request, "safety/statistics.html", context)


@login_required
@require_GET
def hazard_statistics_xlsx(request: AuthedHttpRequest) -> HttpResponse:
    _form, result = _parse(request)
    if result is None:
        raise Http404
    unit = result["unit"]
    statistics.statistics_export_record(
        actor=request.user, unit=unit, year=result["year"], quarter=result["quarter"]
    )
    body = statistics.statistics_xlsx(result["rows"], _title(unit), result["period"])
    suffix = f"Q{result['quarter']}" if result["quarter"] else "year"
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="anxin-hazard-statistics-{unit.code}-{result["year"]}-{suffix}.xlsx"'
    )
    return response
