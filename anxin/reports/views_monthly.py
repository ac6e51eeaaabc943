"""Monthly report pages: ask for one, watch its progress (htmx polling), download the files."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from anxin.core.attachments import attachment_response
from anxin.core.forms import BootstrapMixin, UnitChoiceField
from anxin.core.models import Unit
from anxin.core.scoping import can, get_for_user, scope_q
from anxin.core.types import AuthedHttpRequest
from anxin.reports import monthly
from anxin.reports.models_monthly import MonthlyReport, MonthlyReportStatus


class MonthlyReportForm(BootstrapMixin, forms.Form):
    unit = UnitChoiceField(label=gettext_lazy("Unit"))
    month = forms.CharField(
        label=gettext_lazy("Month"), widget=forms.DateInput(attrs={"type": "month"})
    )

    def clean_month(self) -> dt.date:
        try:
            return dt.date.fromisoformat(self.cleaned_data["month"] + "-01")
        except ValueError:
            raise ValidationError(gettext_lazy("Give the month as YYYY-MM.")) from None


def _report(request: AuthedHttpRequest, uid: str) -> MonthlyReport:
    try:
        value = uuid.UUID(uid)
    except ValueError:
        raise Http404 from None
    return get_for_user(
        MonthlyReport.objects.select_related("unit", "docx", "xlsx"), request.user, uid=value
    )


@login_required
@require_http_methods(["GET", "POST"])
def monthly_list(request: AuthedHttpRequest) -> HttpResponse:
    if not can(request.user, "monthly_report.view"):
        raise PermissionDenied
    may_request = can(request.user, "monthly_report.request")
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    home = request.user.unit
    initial = {"unit": home.code if home is not None else None, "month": last_month}
    form = MonthlyReportForm(request.POST or None, initial=initial)
    scope = scope_q(request.user, "monthly_report.request", ("",))
    units = form.fields["unit"]
    assert isinstance(units, UnitChoiceField)
    active = Unit.objects.filter(is_active=True).order_by("path")
    units.queryset = active.filter(scope) if scope is not None else active.none()
    if request.method == "POST":
        if not may_request:
            raise PermissionDenied
        if form.is_valid():
            try:
                report = monthly.monthly_report_request(
                    actor=request.user,
                    unit=form.cleaned_data["unit"],
                    month=form.cleaned_data["month"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("monthly_detail", uid=report.uid)
    reports = (
        MonthlyReport.objects.restrict(request.user, "view")
        .select_related("unit")
        .order_by("-month", "-id")[:100]
    )
    return render(
        request,
        "reports/monthly_list.html",
        {"reports": reports, "form": form, "may_request": may_request, "page": "monthly"},
    )


def _context(report: MonthlyReport) -> dict[str, Any]:
    return {
        "report": report,
        "working": report.status in (MonthlyReportStatus.QUEUED, MonthlyReportStatus.RUNNING),
    }


@login_required
@require_GET
def monthly_detail(request: AuthedHttpRequest, uid: str) -> HttpResponse:
    report = _report(request, uid)
    return render(request, "reports/monthly_detail.html", {**_context(report), "page": "monthly"})


@login_required
@require_GET
def monthly_progress(request: AuthedHttpRequest, uid: str) -> HttpResponse:
    """The progress fragment the detail page polls (htmx) until the report is ready."""
    report = _report(request, uid)
    return render(request, "reports/monthly_progress.html", _context(report))


@login_required
@require_GET
def monthly_download(request: AuthedHttpRequest, uid: str, kind: str) -> HttpResponse:
    report = _report(request, uid)
    try:
        attachment = monthly.monthly_report_download(actor=request.user, report=report, kind=kind)
    except ValidationError:
        raise Http404 from None
    return attachment_response(attachment)
