"""Staff pages of accidents: the list, the report form, the accident page and its steps.

Views parse, fetch through the read path of :mod:`anxin.safety.accidents`, call one service
and render. The steps go through ``accidents.run_action``, as the API does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.core.choices import DIVISION_KINDS
from anxin.core.errors import ServiceError
from anxin.core.forms import BootstrapMixin, UnitChoiceField
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors
from anxin.safety import accident_rules as rules
from anxin.safety import accidents
from anxin.safety.accident_rules import (
    AccidentGrade,
    AccidentKind,
    Criterion,
    Investigator,
    ReportLevel,
)
from anxin.safety.models import Site
from anxin.safety.models_accidents import Accident, AccidentStage

#: the accident's clocks (accident_rules.CLOCKS) as pages show them
CLOCK_LABELS = {
    "county_report_by": pgettext_lazy("accident clock", "Report to the county by"),
    "city_report_by": pgettext_lazy("accident clock", "Report to the city by"),
    "province_report_by": pgettext_lazy("accident clock", "Report to the province by"),
    "state_report_by": pgettext_lazy("accident clock", "Report to the State Council by"),
    "supplementary_until": pgettext_lazy("accident clock", "Supplementary reports until"),
    "investigation_report_by": pgettext_lazy("accident clock", "Investigation report by"),
    "approval_by": pgettext_lazy("accident clock", "Approval by"),
}


def clock_label(name: str) -> str:
    return str(CLOCK_LABELS.get(name, name))


def _require(user: Any, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied


# --- forms -----------------------------------------------------------------------------------


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DivisionField(UnitChoiceField):
    """The territorial unit: a division (city, district, township, village)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queryset = self.queryset.filter(kind__in=list(DIVISION_KINDS))  # type: ignore[union-attr]


class AccidentReportForm(BootstrapMixin, forms.Form):
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("Time of the accident"), widget=DateTimeInput()
    )
    unit_informed_at = forms.DateTimeField(
        label=gettext_lazy("Unit leader informed at"),
        required=False,
        widget=DateTimeInput(),
        help_text=gettext_lazy(
            "The one-hour limit for the report to the county runs from here "
            "(Regulation No. 493, Art. 9). Leave empty if it is the time of the accident."
        ),
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AccidentKind.choices)
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "The unit, the scene, the brief course of events and the measures taken (Art. 12)."
        ),
    )
    deaths = forms.IntegerField(label=gettext_lazy("Deaths"), min_value=0, initial=0)
    serious_injuries = forms.IntegerField(
        label=gettext_lazy("Serious injuries (incl. acute industrial poisoning)"),
        min_value=0,
        initial=0,
    )
    missing = forms.IntegerField(
        label=gettext_lazy("Missing"),
        min_value=0,
        initial=0,
        help_text=gettext_lazy("Reported, but never counted toward the grade."),
    )
    direct_loss_yuan = forms.DecimalField(
        label=gettext_lazy("Direct economic loss (yuan)"),
        min_value=Decimal(0),
        max_digits=15,
        decimal_places=2,
        initial=0,
    )
    unit = DivisionField(label=gettext_lazy("Territorial unit"))
    site = forms.ModelChoiceField(
        label=gettext_lazy("Site"),
        queryset=Site.objects.none(),
        to_field_name="uid",
        required=False,
    )
    reported_to_county_at = forms.DateTimeField(
        label=gettext_lazy("Already reported to the county at"),
        required=False,
        widget=DateTimeInput(),
    )
    reporter = forms.CharField(label=gettext_lazy("Reported by"), max_length=100, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = (  # type: ignore[attr-defined]
            Site.objects.restrict(user, "view").order_by("name", "id")
        )


class AccidentFilterForm(BootstrapMixin, forms.Form):
    grade = forms.ChoiceField(
        label=gettext_lazy("Grade"),
        required=False,
        choices=[("", gettext_lazy("Any grade")), *AccidentGrade.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("Any kind")), *AccidentKind.choices],
    )
    stage = forms.ChoiceField(
        label=gettext_lazy("Stage"),
        required=False,
        choices=[("", gettext_lazy("Any stage")), *AccidentStage.choices],
    )
    unit = forms.CharField(
        label=gettext_lazy("Unit code"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Unit code")}),
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Place or summary")}),
    )


# --- presentation ------------------------------------------------------------------------------


def grading_explained(a: Accident) -> dict[str, Any]:
    """The grade and the criterion (or criteria) that decided it, for the accident page."""
    grading = rules.grade_accident(
        deaths=a.deaths, serious_injuries=a.serious_injuries, direct_loss_yuan=a.direct_loss_yuan
    )
    values = {
        Criterion.DEATHS: a.deaths,
        Criterion.SERIOUS_INJURIES: a.serious_injuries,
        Criterion.DIRECT_LOSS: a.direct_loss_yuan,
    }
    deciding = [
        {
            "label": Criterion(c).label,
            "value": _amount(values[Criterion(c)], c),
            "bound": _amount(rules.tier_bound(grading.grade, c), c),
        }
        for c in grading.decided_by
    ]
    relatively_large = rules.TIERS[-1]
    fine = rules.FINES[a.grade]
    return {
        "grade": grading.grade,
        "label": AccidentGrade(grading.grade).label,
        "article": f"{rules.REGULATION} {grading.article}",
        "deciding": deciding,
        "next_tier": (
            {
                "deaths": relatively_large.deaths,
                "serious_injuries": relatively_large.serious_injuries,
                "loss": _money(relatively_large.direct_loss_yuan, cents=False),
            }
            if not deciding
            else None
        ),
        "required_level": ReportLevel(rules.required_level(a.grade)).label,
        "investigated_by": Investigator(rules.investigated_by(a.grade)).label,
        "fine": {
            "low": _money(fine.low, cents=False),
            "high": _money(fine.high, cents=False),
            "article": fine.article,
        },
    }


def _money(value: Any, *, cents: bool = True) -> str:
    """¥1,234,567.50 — thousands grouped the way the ledgers write them."""
    return f"¥{Decimal(value):,.2f}" if cents else f"¥{Decimal(value):,.0f}"


def _amount(value: Any, criterion: str) -> str:
    if criterion == Criterion.DIRECT_LOSS:
        return _money(value, cents=value % 1 != 0)
    return str(value)


def _clock_rows(a: Accident) -> list[dict[str, Any]]:
    rows = []
    for c in sorted(accidents.accident_clocks(a).values(), key=lambda c: (c.due_on, c.pk)):
        rows.append(
            {
                "name": c.name,
                "label": clock_label(c.name),
                "due_at": timezone.localtime(c.due_at) if c.due_at is not None else None,
                "due_on": c.due_on,
                "state": c.state,
                "state_label": c.get_state_display(),
                "paused_days": c.paused_days,
                "extra_days": c.extra_days,
                "article": rules.CLOCKS[c.name].article if c.name in rules.CLOCKS else "",
                "overdue": c.state == "running"
                and (
                    (c.due_at is not None and c.due_at < timezone.now())
                    or (c.due_at is None and c.due_on < timezone.localdate())
                ),
            }
        )
    return rows


def _due_text(iso: str) -> str:
    """``2026-09-16T09:30:00+08:00`` → ``2026-09-16 09:30`` (local time); a date stays."""
    return iso[:16].replace("T", " ") if "T" in iso else iso


# --- views -------------------------------------------------------------------------------------


@login_required
@require_GET
def accident_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "accident.view")
    form = AccidentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = accidents.accident_list(user=request.user, **filters)
    page = keyset_page(
        qs, accidents.ACCIDENT_ORDERING, cursor=request.GET.get("cursor") or None, limit=50
    )
    deadlines = accidents.deadlines_for(page.items)
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "safety/accident_list.html",
        {
            "page": page,
            "rows": [
                (
                    a,
                    [
                        (clock_label(n), _due_text(due))
                        for n, due in sorted(deadlines[a.pk].items(), key=lambda kv: kv[1])
                    ],
                )
                for a in page.items
            ],
            "filter_form": form,
            "first_query": params.urlencode(),
            "next_url": url_with_cursor(request.get_full_path(), page.next_cursor),
            "may_report": can(request.user, "accident.manage"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def accident_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "accident.manage")
    home = request.user.unit
    initial = {"unit": home.code if home is not None and home.kind in DIVISION_KINDS else None}
    form = AccidentReportForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accident = accidents.accident_report(
                actor=request.user,
                occurred_at=data["occurred_at"],
                unit_informed_at=data["unit_informed_at"],
                place=data["place"],
                kind=data["kind"],
                summary=data["summary"],
                deaths=data["deaths"],
                serious_injuries=data["serious_injuries"],
                missing=data["missing"],
                direct_loss_yuan=data["direct_loss_yuan"],
                unit=data["unit"],
                site=data["site"],
                reported_to_county_at=data["reported_to_county_at"],
                reporter=data["reporter"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {"at": "reported_to_county_at"})
        except PermissionDenied:
            form.add_error("unit", _("You may not record accidents of this unit."))
        else:
            messages.success(request, _("The accident is recorded."))
            return redirect("accident_detail", id=accident.uid)
    return render(request, "safety/accident_form.html", {"form": form})


@login_required
@require_GET
def accident_detail(request: AuthedHttpRequest, id: str) -> HttpResponse:
    accident = accidents.accident_get_for_user(user=request.user, id=id)
    may_manage = accidents.accident_may_manage(request.user, accident)
    open_clocks = {
        n: c
        for n, c in accidents.accident_clocks(accident).items()
        if c.state in ("running", "paused")
    }
    next_levels = (
        rules.levels_above(accident.highest_level, accident.grade) if accident.highest_level else ()
    )
    linked = list(accidents.accident_hazards(user=request.user, accident=accident))
    candidates = (
        list(
            accidents.accident_hazard_candidates(user=request.user, accident=accident).exclude(
                pk__in=[h.pk for h in linked]
            )[:200]
        )
        if may_manage
        else []
    )
    return render(
        request,
        "safety/accident_detail.html",
        {
            "accident": accident,
            "may_manage": may_manage,
            "linked_hazards": linked,
            "hazard_candidates": candidates,
            "grading": grading_explained(accident),
            "loss": _money(accident.direct_loss_yuan),
            "clocks": _clock_rows(accident),
            "reports": list(accidents.accident_reports(accident)),
            "actions": [
                (name, accidents.ACTION_LABELS[name])
                for name in (
                    accidents.available_actions(accident, open_clocks) if may_manage else []
                )
            ],
            "levels": [(lv, ReportLevel(lv).label) for lv in next_levels],
            "highest_level_label": (
                ReportLevel(accident.highest_level).label if accident.highest_level else ""
            ),
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "today": timezone.localdate().isoformat(),
            "max_investigation_extension": rules.MAX_INVESTIGATION_EXTENSION_DAYS
            - accident.investigation_extension_days,
            "max_approval_extension": rules.max_approval_extension_days(accident.grade)
            - accident.approval_extension_days,
        },
    )


@login_required
@require_POST
def accident_action(request: AuthedHttpRequest, id: str, action: str) -> HttpResponse:
    if action not in accidents.ACTIONS:
        raise Http404
    accident = accidents.accident_get_for_user(user=request.user, id=id, action="manage")
    post = request.POST
    data: dict[str, Any] = {k: post.get(k) for k in post if k != "csrfmiddlewaretoken"}
    data["hazards"] = post.getlist("hazards")
    data["version"] = int(post["version"]) if post.get("version", "").isdigit() else None
    try:
        accidents.run_action(action, actor=request.user, accident=accident, data=data)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Done: %(action)s.") % {"action": accidents.ACTION_LABELS[action]}
        )
    return redirect("accident_detail", id=accident.uid)
