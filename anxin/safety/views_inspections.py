"""Staff pages of inspections: the list, a new inspection, the phone-friendly checklist, the
record with its signatures (drawn on the phone or a signed scan), the leader's refusal to
sign, failed items becoming hazards; and the plans (专项行动) with their coverage.

Views parse, fetch through :mod:`anxin.safety.selectors_hazards`, call one service, render.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.core.attachments import content_disposition
from anxin.core.choices import DIVISION_KINDS
from anxin.core.errors import ServiceError
from anxin.core.forms import BootstrapMixin, UnitChoiceField
from anxin.core.models import User
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors
from anxin.safety import inspections
from anxin.safety import selectors_hazards as selectors
from anxin.safety.documents_enforcement import DOCX_CONTENT_TYPE
from anxin.safety.documents_inspections import ascii_filename, inspection_record_issue
from anxin.safety.hazard_rules import HazardGrade
from anxin.safety.models import Sector, Site
from anxin.safety.models_inspections import InspectionPlan, InspectionStatus, ResultGrade
from anxin.safety.presenters_hazards import inspection_tone
from anxin.safety.views_hazards import file_response


def _require(user: Any, *actions: str) -> None:
    if not any(can(user, a) for a in actions):
        raise PermissionDenied


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _say(request: AuthedHttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, "；".join(exc.messages))
    elif isinstance(exc, ServiceError):
        messages.error(request, str(exc.message))


# --- forms -----------------------------------------------------------------------------------


class InspectionForm(BootstrapMixin, forms.Form):
    site = forms.ModelChoiceField(
        label=gettext_lazy("Site"), queryset=Site.objects.none(), to_field_name="uid"
    )
    started_at = forms.DateTimeField(
        label=gettext_lazy("Time of the inspection"), widget=DateTimeInput()
    )
    place = forms.CharField(
        label=gettext_lazy("Place"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Leave empty for the site's address."),
    )
    content = forms.CharField(
        label=gettext_lazy("Content of the inspection"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Leave empty for the checklist's title."),
    )
    plan: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Plan or campaign"),
        queryset=None,
        to_field_name="uid",
        required=False,
    )
    other_inspectors = forms.CharField(
        label=gettext_lazy("Other inspectors (usernames, separated by commas)"),
        required=False,
        help_text=gettext_lazy("A penalty needs at least two inspectors."),
    )
    penalty_proposed = forms.BooleanField(
        label=gettext_lazy("A penalty is proposed"), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from anxin.safety.models_inspections import InspectionPlan

        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = (  # type: ignore[attr-defined]
            Site.objects.restrict(user, "inspection.conduct")
            .exclude(status="closed")
            .order_by("name", "id")
        )
        self.fields["plan"].queryset = InspectionPlan.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in selectors.plan_choices(user=user)]
        ).order_by("-starts_on", "-id")

    def clean_other_inspectors(self) -> list[User]:
        raw = self.cleaned_data.get("other_inspectors") or ""
        names = [n.strip() for n in raw.replace("，", ",").split(",") if n.strip()]
        found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        missing = [n for n in names if n not in found]
        if missing:
            raise forms.ValidationError(_("Unknown user: %(name)s") % {"name": "、".join(missing)})
        return [found[n] for n in names]


class InspectionFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *InspectionStatus.choices],
    )
    sector = forms.ChoiceField(label=gettext_lazy("Sector"), required=False)
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
    plan = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, sectors: list[Sector], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [  # type: ignore[attr-defined]
            ("", gettext_lazy("Any sector")),
            *[(s.code, s.name) for s in sectors],
        ]


class DivisionField(UnitChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queryset = self.queryset.filter(kind__in=list(DIVISION_KINDS))  # type: ignore[union-attr]


class PlanForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    organiser = UnitChoiceField(label=gettext_lazy("Organiser"))
    unit = DivisionField(
        label=gettext_lazy("Area"),
        help_text=gettext_lazy("Sites whose territorial unit lies in this unit."),
    )
    sectors = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Sectors"),
        queryset=Sector.objects.filter(is_active=True).order_by("sort_order", "code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None chosen: every sector."),
    )
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    coverage_target = forms.IntegerField(
        label=gettext_lazy("Coverage target (%)"), min_value=1, max_value=100, initial=100
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sectors"].widget.attrs["class"] = "form-check-input"


class PlanEditForm(PlanForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


# --- list and new ------------------------------------------------------------------------------


@login_required
@require_GET
def inspection_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "inspection.view", "inspection.view_own")
    sectors = list(Sector.objects.filter(is_active=True).order_by("sort_order", "code"))
    form = InspectionFilterForm(request.GET or None, sectors=sectors)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.inspection_list(user=request.user, **filters)
    page = keyset_page(
        qs, selectors.INSPECTION_ORDERING, cursor=request.GET.get("cursor") or None, limit=50
    )
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "safety/inspection_list.html",
        {
            "page": page,
            "rows": [(i, inspection_tone(i.status)) for i in page.items],
            "filter_form": form,
            "first_query": params.urlencode(),
            "next_url": url_with_cursor(request.get_full_path(), page.next_cursor),
            "may_create": can(request.user, "inspection.conduct"),
            "may_plan": can(request.user, "inspection_plan.view"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "inspection.conduct")
    initial = {
        "site": request.GET.get("site") or None,
        "plan": request.GET.get("plan") or None,
        "started_at": timezone.localtime().replace(second=0, microsecond=0),
    }
    form = InspectionForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = inspections.inspection_create(
                actor=request.user,
                site=data["site"],
                inspectors=[request.user, *data["other_inspectors"]],
                started_at=data["started_at"],
                place=data["place"],
                content=data["content"],
                plan=data["plan"],
                penalty_proposed=data["penalty_proposed"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {"inspectors": "other_inspectors"})
        else:
            return redirect("inspection_fill", id=inspection.uid)
    return render(request, "safety/inspection_form.html", {"form": form})


# --- the checklist (phone) --------------------------------------------------------------------


def _parse_results(request: AuthedHttpRequest, sheet: list[dict[str, Any]]) -> list[Any]:
    results = []
    for row in sheet:
        pk = row["item"].pk
        grade = request.POST.get(f"grade_{pk}") or ""
        photos = request.FILES.getlist(f"photos_{pk}")
        notes = request.POST.get(f"notes_{pk}", "")
        if not grade:
            if photos or notes.strip():
                raise ValidationError(
                    _("Item %(n)s: choose pass, fail or not applicable.") % {"n": row["item"].order}
                )
            continue
        results.append(
            inspections.ResultIn(
                item_id=pk,
                grade=grade,
                notes=notes,
                photos=photos,
                keep_gps=request.POST.get(f"keep_gps_{pk}") == "on",
            )
        )
    return results


@login_required
@require_http_methods(["GET", "POST"])
def inspection_fill(request: AuthedHttpRequest, id: str) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(
        user=request.user, id=id, action="inspection.conduct"
    )
    sheet = selectors.inspection_sheet(inspection)
    if request.method == "POST":
        try:
            inspections.inspection_update(
                actor=request.user,
                inspection=inspection,
                version=int(request.POST.get("version") or 0),
                results=_parse_results(request, sheet),
                problems=request.POST.get("problems", ""),
                handling=request.POST.get("handling", ""),
            )
        except (ValidationError, ServiceError) as exc:
            _say(request, exc)
            inspection = selectors.inspection_get_for_user(user=request.user, id=id)
        else:
            messages.success(request, _("Saved."))
            return redirect("inspection_detail", id=inspection.uid)
    return render(
        request,
        "safety/inspection_fill.html",
        {"inspection": inspection, "sheet": sheet, "grades": ResultGrade.choices},
    )


# --- the record ---------------------------------------------------------------------------------


@login_required
@require_GET
def inspection_detail(request: AuthedHttpRequest, id: str) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    sheet = selectors.inspection_sheet(inspection)
    signatures = selectors.inspection_signatures(inspection)
    inspectors = list(inspection.inspectors.order_by("username"))
    signed_ids = {s.user_id for s in signatures if s.role == "inspector"}
    leader_signed = any(s.role == "leader" for s in signatures)
    conduct = selectors.inspection_may(request.user, inspection, "inspection.conduct")
    draft = inspection.status == InspectionStatus.DRAFT
    failed_open = [
        r for r in sheet if r["result"] and r["result"].grade == "fail" and not r["hazards"]
    ]
    return render(
        request,
        "safety/inspection_detail.html",
        {
            "inspection": inspection,
            "tone": inspection_tone(inspection.status),
            "sheet": sheet,
            "signatures": signatures,
            "inspectors": [(p, p.pk in signed_ids) for p in inspectors],
            "leader_signed": leader_signed,
            "may_edit": conduct and draft and not signatures,
            "may_sign": conduct and draft,
            "i_must_sign": draft
            and request.user.pk in {p.pk for p in inspectors}
            and request.user.pk not in signed_ids,
            "may_refuse": conduct
            and draft
            and not leader_signed
            and all(p.pk in signed_ids for p in inspectors),
            "may_penalty": conduct,
            "failed_open": failed_open
            if selectors.inspection_may(request.user, inspection, "hazard.manage")
            else [],
            "hazard_grades": HazardGrade.choices,
        },
    )


@login_required
@require_POST
def inspection_sign(request: AuthedHttpRequest, id: str) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    try:
        inspections.inspection_sign(
            actor=request.user,
            inspection=inspection,
            version=int(request.POST.get("version") or 0),
            signer=request.POST.get("signer", ""),
            drawn=request.POST.get("drawn", ""),
            scan=request.FILES.get("scan"),
            leader_name=request.POST.get("leader_name", ""),
        )
    except (ValidationError, ServiceError) as exc:
        _say(request, exc)
    else:
        messages.success(request, _("Signature recorded."))
    return redirect("inspection_detail", id=inspection.uid)


@login_required
@require_POST
def inspection_refusal(request: AuthedHttpRequest, id: str) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    try:
        inspections.inspection_record_refusal(
            actor=request.user,
            inspection=inspection,
            version=int(request.POST.get("version") or 0),
            note=request.POST.get("note", ""),
            leader_name=request.POST.get("leader_name", ""),
        )
    except (ValidationError, ServiceError) as exc:
        _say(request, exc)
    else:
        messages.success(request, _("The refusal to sign is recorded."))
    return redirect("inspection_detail", id=inspection.uid)


@login_required
@require_POST
def inspection_penalty(request: AuthedHttpRequest, id: str) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    try:
        inspections.inspection_penalty_propose(
            actor=request.user,
            inspection=inspection,
            version=int(request.POST.get("version") or 0),
            proposed=request.POST.get("proposed") == "1",
        )
    except (ValidationError, ServiceError) as exc:
        _say(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("inspection_detail", id=inspection.uid)


@login_required
@require_POST
def inspection_hazards(request: AuthedHttpRequest, id: str) -> HttpResponse:
    """Failed items become hazards in one step."""
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    grades: dict[int, str] = {
        int(k.removeprefix("hazard_grade_")): str(v)
        for k, v in request.POST.items()
        if k.startswith("hazard_grade_") and k.removeprefix("hazard_grade_").isdigit()
    }
    try:
        deadline = request.POST.get("deadline") or None
        made = inspections.inspection_failed_items_to_hazards(
            actor=request.user,
            inspection=inspection,
            grades=grades,
            deadline=datetime.date.fromisoformat(deadline) if deadline else None,
        )
    except ValueError:
        messages.error(request, _("Enter a valid date."))
    except (ValidationError, ServiceError) as exc:
        _say(request, exc)
    else:
        messages.success(
            request,
            _("%(n)d hazards recorded: %(numbers)s")
            % {"n": len(made), "numbers": "、".join(h.number for h in made)},
        )
    return redirect("inspection_detail", id=inspection.uid)


@login_required
@require_GET
def inspection_file(request: AuthedHttpRequest, id: str, file: str) -> HttpResponse:
    """A photo or a signature of the record, for those who may see the record."""
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    return file_response(selectors.result_photo(inspection, file))


# --- plans (专项行动) -----------------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "inspection_plan.view")
    qs = selectors.plan_list(user=request.user)
    page = keyset_page(
        qs, selectors.PLAN_ORDERING, cursor=request.GET.get("cursor") or None, limit=50
    )
    params = request.GET.copy()
    params.pop("cursor", None)
    today = timezone.localdate()
    return render(
        request,
        "safety/inspection_plan_list.html",
        {
            "page": page,
            "rows": [
                (
                    p,
                    selectors.coverage(p),
                    today < p.starts_on
                    and "upcoming"
                    or (today > p.ends_on and "ended")
                    or "running",
                )
                for p in page.items
            ],
            "first_query": params.urlencode(),
            "next_url": url_with_cursor(request.get_full_path(), page.next_cursor),
            "may_create": can(request.user, "inspection_plan.manage"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "inspection_plan.manage")
    home = request.user.unit
    initial = {"organiser": home.code if home else None, "coverage_target": 100}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspections.inspection_plan_create(actor=request.user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            messages.success(request, _("Saved."))
            return redirect("inspection_plan_list")
    return render(request, "safety/inspection_plan_form.html", {"form": form, "plan": None})


@login_required
@require_GET
def plan_detail(request: AuthedHttpRequest, id: str) -> HttpResponse:
    _require(request.user, "inspection_plan.view")
    plan = selectors.plan_get(user=request.user, id=id)
    today = timezone.localdate()
    return render(
        request,
        "safety/inspection_plan_detail.html",
        {
            "plan": plan,
            "sectors": list(plan.sectors.order_by("sort_order", "code")),
            "coverage": selectors.coverage(plan),
            "phase": "upcoming"
            if today < plan.starts_on
            else ("ended" if today > plan.ends_on else "running"),
            "pending": selectors.plan_sites_pending(user=request.user, plan=plan),
            "pending_count": plan.site_count - plan.inspected_count,  # type: ignore[attr-defined]
            "linked_count": selectors.inspection_list(user=request.user, plan=str(plan.uid))
            .order_by()
            .count(),
            "may_edit": InspectionPlan.objects.restrict(request.user, "manage")
            .filter(pk=plan.pk)
            .exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthedHttpRequest, id: str) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, id=id, action="manage")
    initial = {
        "title": plan.title,
        "organiser": plan.organiser.code,
        "unit": plan.unit.code,
        "sectors": [s.code for s in plan.sectors.all()],
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "coverage_target": plan.coverage_target,
        "notes": plan.notes,
        "version": plan.version,
    }
    form = PlanEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            inspections.inspection_plan_update(
                actor=request.user, plan=plan, version=version, **data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except ServiceError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("inspection_plan_detail", id=plan.uid)
    return render(request, "safety/inspection_plan_form.html", {"form": form, "plan": plan})


@login_required
@require_GET
def inspection_record_docx(request: AuthedHttpRequest, id: str) -> HttpResponse:
    """The inspection record as .docx (GB/T 9704 layout); the download is audited."""
    inspection = selectors.inspection_get_for_user(user=request.user, id=id)
    filename, data = inspection_record_issue(actor=request.user, inspection=inspection)
    response = HttpResponse(data, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, ascii_filename(inspection))
    return response
