"""The working-day calendar page: a year's table rows, and a form to set or remove a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from anxin.core import calendar
from anxin.core.forms import BootstrapMixin
from anxin.core.models_calendar import CalendarDayKind
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors


class CalendarDayForm(BootstrapMixin, forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDayKind.choices)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=calendar.NOTE_MAX,
        required=False,
        help_text=gettext_lazy("For example: National Day, or the notice it comes from."),
    )


def _require(user: Any) -> None:
    if not can(user, calendar.MANAGE_ACTION):
        raise PermissionDenied


def _year(raw: str | None) -> int:
    today = timezone.localdate()
    try:
        year = int(raw or today.year)
    except ValueError:
        return today.year
    return year if 2000 <= year <= 2100 else today.year


def _page_url(year: int) -> str:
    return f"{reverse('calendar')}?year={year}"


@login_required
@require_http_methods(["GET", "POST"])
def calendar_page(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user)
    year = _year(request.GET.get("year"))
    form = CalendarDayForm(request.POST or None, initial={"kind": CalendarDayKind.HOLIDAY})
    if request.method == "POST" and form.is_valid():
        try:
            day = calendar.calendar_day_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            messages.success(request, _("%(date)s saved.") % {"date": day.date.isoformat()})
            return redirect(_page_url(day.date.year))
    rows = [
        {"day": day, "default_working": calendar.default_is_working_day(day.date)}
        for day in calendar.calendar_day_list(user=request.user, year=year)
    ]
    return render(
        request,
        "core/calendar.html",
        {
            "year": year,
            "rows": rows,
            "form": form,
            "warning": calendar.coverage_warning(year),
            "package_has_year": calendar.package_has_year(year),
            "prev_url": _page_url(year - 1),
            "next_url": _page_url(year + 1),
        },
    )


@login_required
@require_POST
def calendar_day_delete(request: AuthedHttpRequest, date: str) -> HttpResponse:
    _require(request.user)
    try:
        day = dt.date.fromisoformat(date)
    except ValueError as exc:
        raise Http404 from exc
    try:
        calendar.calendar_day_delete(actor=request.user, date=day)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("%(date)s removed.") % {"date": day.isoformat()})
    return redirect(_page_url(day.year))
