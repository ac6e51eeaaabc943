"""Staff pages of hazards: the ledger (隐患台账), recording a hazard, the hazard page with its
timeline, 五落实, the enterprise's evidence, the verification and the other steps.

Views parse, fetch through :mod:`anxin.safety.selectors_hazards`, call one service and render.
The steps go through ``hazards.run``, as the API does.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.core.attachments import attachment_response, attachments_of
from anxin.core.errors import ServiceError
from anxin.core.forms import BootstrapMixin
from anxin.core.models import Unit
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors
from anxin.safety import accidents, hazards
from anxin.safety import selectors_hazards as selectors
from anxin.safety.forms import SiteForm
from anxin.safety.hazard_review import resumption_applications
from anxin.safety.hazard_rules import (
    ACTIONS,
    CLOCK_NAME,
    CLOCK_SUBJECT,
    HazardGrade,
    HazardStatus,
    needs_resumption_approval,
)
from anxin.safety.models import Sector, Site
from anxin.safety.presenters_hazards import CLOCK_LABELS, hazard_event_label, hazard_tone
from anxin.safety.public_reports import reporter_masked, reporter_may_reveal
from anxin.supervision.selectors import clocks_for


def _require(user: Any, *actions: str) -> None:
    if not any(can(user, a) for a in actions):
        raise PermissionDenied


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


# --- forms -----------------------------------------------------------------------------------


class HazardFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Description or site")}),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("Any status")),
            ("open", gettext_lazy("Open")),
            *HazardStatus.choices,
        ],
    )
    grade = forms.ChoiceField(
        label=gettext_lazy("Grade"),
        required=False,
        choices=[("", gettext_lazy("Any grade")), *HazardGrade.choices],
    )
    sector = forms.ChoiceField(label=gettext_lazy("Sector"), required=False)
    unit = forms.CharField(
        label=gettext_lazy("Unit code"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Unit code")}),
    )
    overdue = forms.BooleanField(
        label=gettext_lazy("Overdue"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    supervised = forms.BooleanField(
        label=gettext_lazy("Listed for supervision"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    # the dashboards' drill-down: found or closed within local days (hidden on the page)
    found_from = forms.DateField(required=False, widget=forms.HiddenInput)
    found_to = forms.DateField(required=False, widget=forms.HiddenInput)
    closed_from = forms.DateField(required=False, widget=forms.HiddenInput)
    closed_to = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, sectors: list[Sector], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [  # type: ignore[attr-defined]
            ("", gettext_lazy("Any sector")),
            *[(s.code, s.name) for s in sectors],
        ]


class HazardForm(BootstrapMixin, forms.Form):
    site = forms.ModelChoiceField(
        label=gettext_lazy("Site"), queryset=Site.objects.none(), to_field_name="uid"
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4})
    )
    grade = forms.ChoiceField(
        label=gettext_lazy("Grade"),
        choices=HazardGrade.choices,
        help_text=gettext_lazy(
            "Major: needs full or partial suspension of production and time to fix, or the "
            "unit cannot remove it itself (Order No. 16, Art. 3)."
        ),
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    found_on = forms.DateField(label=gettext_lazy("Found on"), widget=_date_input())
    deadline = forms.DateField(label=gettext_lazy("Deadline"), required=False, widget=_date_input())
    production_stopped = forms.BooleanField(
        label=gettext_lazy("Production stopped (fully or partly) for the rectification"),
        required=False,
    )
    recurrence_of = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = (  # type: ignore[attr-defined]
            Site.objects.restrict(user, "view").exclude(status="closed").order_by("name", "id")
        )


# --- the ledger ------------------------------------------------------------------------------


@login_required
@require_GET
def hazard_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "hazard.view", "hazard.view_own")
    sectors = list(Sector.objects.filter(is_active=True).order_by("sort_order", "code"))
    form = HazardFilterForm(request.GET or None, sectors=sectors)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.hazard_list(user=request.user, **filters)
    page = keyset_page(
        qs, selectors.HAZARD_ORDERING, cursor=request.GET.get("cursor") or None, limit=50
    )
    today = timezone.localdate()
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "safety/hazard_list.html",
        {
            "page": page,
            "rows": [(h, h.is_overdue(today), hazard_tone(h, today)) for h in page.items],
            "filter_form": form,
            "first_query": params.urlencode(),
            "next_url": url_with_cursor(request.get_full_path(), page.next_cursor),
            "may_create": can(request.user, "hazard.manage"),
            "today": today,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def hazard_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "hazard.manage")
    initial = {
        "site": request.GET.get("site") or None,
        "found_on": timezone.localdate(),
        "grade": HazardGrade.GENERAL,
        "recurrence_of": request.GET.get("recurrence_of") or "",
    }
    form = HazardForm(request.POST or None, initial=initial, user=request.user)
    recurrence_of = None
    rec_id = (request.POST or request.GET).get("recurrence_of")
    if rec_id:
        recurrence_of = selectors.hazard_get_for_user(user=request.user, id=rec_id)
        if request.method == "GET":
            form.initial["site"] = recurrence_of.site.uid if recurrence_of.site else None
            form.initial["description"] = recurrence_of.description
            form.initial["grade"] = recurrence_of.grade
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        found_on = data["found_on"]
        found_at = timezone.now()
        if found_on != timezone.localdate():
            found_at = timezone.make_aware(
                datetime.datetime(found_on.year, found_on.month, found_on.day, 9, 0)
            )
        try:
            hazard = hazards.hazard_create(
                actor=request.user,
                site=data["site"],
                description=data["description"],
                grade=data["grade"],
                place=data["place"],
                found_at=found_at,
                deadline=data["deadline"],
                production_stopped=data["production_stopped"],
                recurrence_of=recurrence_of,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {"found_at": "found_on"})
        else:
            messages.success(request, _("Hazard %(number)s recorded.") % {"number": hazard.number})
            return redirect("hazard_detail", id=hazard.uid)
    return render(
        request, "safety/hazard_form.html", {"form": form, "recurrence_of": recurrence_of}
    )


# --- the hazard page --------------------------------------------------------------------------


def _clock_row(hazard: Any) -> dict[str, Any] | None:
    clock = clocks_for(CLOCK_SUBJECT, hazard.pk).get(CLOCK_NAME)
    if clock is None:
        return None
    return {
        "label": CLOCK_LABELS[CLOCK_NAME],
        "due_on": clock.due_on,
        "state": clock.state,
        "state_label": clock.get_state_display(),
        "overdue": clock.state == "running" and clock.due_on < timezone.localdate(),
    }


@login_required
@require_GET
def hazard_detail(request: AuthedHttpRequest, id: str) -> HttpResponse:
    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    actions = selectors.hazard_actions(request.user, hazard)
    staff = can(request.user, "hazard.view")
    return render(
        request,
        "safety/hazard_detail.html",
        {
            "hazard": hazard,
            "tone": hazard_tone(hazard),
            "overdue": hazard.is_overdue(),
            "timeline": [
                (e, hazard_event_label(e.kind)) for e in selectors.hazard_timeline(hazard)
            ],
            "evidence": selectors.hazard_evidence(hazard),
            "recurrences": selectors.hazard_recurrences(hazard),
            "accidents": (
                list(accidents.hazard_accidents(user=request.user, hazard=hazard)) if staff else []
            ),
            "clock": _clock_row(hazard),
            "resumption_applications": resumption_applications(hazard),
            "may_reveal_reporter": reporter_may_reveal(request.user, hazard),
            "reporter_masked": reporter_masked(hazard),
            "may_register_new_site": hazard.status == HazardStatus.REPORTED
            and "register" in actions
            and can(request.user, "site.manage"),
            "actions": actions,
            "may_add_evidence": hazard.status == HazardStatus.RECTIFYING
            and selectors.hazard_may(request.user, hazard, "hazard.submit"),
            "needs_resumption": needs_resumption_approval(
                production_stopped=hazard.production_stopped
            ),
            "supervising_units": (
                Unit.objects.filter(is_active=True).order_by("path")
                if "list_for_supervision" in actions
                else []
            ),
            "staff": staff,
            "may_record_recurrence": staff
            and hazard.status == HazardStatus.CLOSED
            and can(request.user, "hazard.manage"),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def hazard_action(request: AuthedHttpRequest, id: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    data: dict[str, Any] = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    if action == "submit_rectification":
        data["files"] = request.FILES.getlist("files")
    if action == "apply_resumption":
        data["scan"] = request.FILES.get("scan")
    try:
        hazards.run(action, actor=request.user, hazard=hazard, data=data)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("hazard_detail", id=hazard.uid)


@login_required
@require_POST
def hazard_inspection_task(request: AuthedHttpRequest, id: str) -> HttpResponse:
    """Triage of a public report: arrange an inspection of the site (a draft, linked)."""
    from anxin.safety.public_reports import hazard_inspection_task as make_task

    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    key = request.POST.get("site", "").strip()
    site = None
    if key:
        found = list(
            Site.objects.restrict(request.user, "view")
            .filter(Q(uid=key) if _is_uuid(key) else Q(credit_code=key.upper()) | Q(name=key))
            .order_by("id")[:2]
        )
        if len(found) != 1:
            messages.error(
                request, _("Give the site's id, unified social credit code or exact name.")
            )
            return redirect("hazard_detail", id=hazard.uid)
        site = found[0]
    try:
        inspection = make_task(actor=request.user, hazard=hazard, site=site)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("An inspection of the site is arranged."))
        return redirect("inspection_detail", id=inspection.uid)
    return redirect("hazard_detail", id=hazard.uid)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@login_required
@require_POST
def hazard_evidence(request: AuthedHttpRequest, id: str) -> HttpResponse:
    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    files = request.FILES.getlist("files")
    try:
        if not files:
            raise ValidationError(_("Choose a file."))
        for upload in files:
            hazards.hazard_evidence_add(actor=request.user, hazard=hazard, upload=upload)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("hazard_detail", id=hazard.uid)


@login_required
@require_GET
def hazard_file(request: AuthedHttpRequest, id: str, file: str) -> HttpResponse:
    """A file of the hazard, for those who may see the hazard (404 otherwise)."""
    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    attachment = attachments_of(hazard).filter(uid=selectors.uuid_or_404(file)).first()
    if attachment is None:
        raise Http404
    return file_response(attachment)


def file_response(attachment: Any) -> HttpResponse:
    """A stored file as a download (sandboxed; an <img> still shows an image)."""
    return attachment_response(attachment)


# --- triage of public reports: a new site on the spot; the reporter's contact details --------


class RegisterNewSiteForm(SiteForm):
    """The site the report is about, registered on the spot, and the hazard's grade/deadline."""

    grade = forms.ChoiceField(label=gettext_lazy("Grade"), choices=HazardGrade.choices)
    deadline = forms.DateField(
        label=gettext_lazy("Deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("version", "status", "latitude", "longitude"):
            self.fields.pop(name)


@login_required
@require_http_methods(["GET", "POST"])
def hazard_register_new_site(request: AuthedHttpRequest, id: str) -> HttpResponse:
    """Triage: the report is about a site not on file — register the site, then the hazard."""
    from anxin.safety.public_reports import hazard_register_new_site as register
    from anxin.safety.views import SITE_FIELD_MAP, _site_changes

    hazard = selectors.hazard_get_for_user(user=request.user, id=id, action="manage")
    if hazard.status != HazardStatus.REPORTED:
        raise Http404
    initial = {
        "address": hazard.place,
        "unit": hazard.unit.code,
        "grade": hazard.grade,
        "risk_level": "yellow",
    }
    form = RegisterNewSiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        grade, deadline = data.pop("grade"), data.pop("deadline")
        data["status"] = "active"
        try:
            hazard, site = register(
                actor=request.user,
                hazard=hazard,
                version=_int_or_none(request.POST.get("hazard_version")),
                site_fields=_site_changes(data),
                grade=grade,
                deadline=deadline,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, SITE_FIELD_MAP)
        except ServiceError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("Site %(name)s registered and the hazard registered with it.")
                % {"name": site.name},
            )
            return redirect("hazard_detail", id=hazard.uid)
    return render(request, "safety/hazard_register_site.html", {"hazard": hazard, "form": form})


def _int_or_none(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


@login_required
@require_POST
def hazard_reporter(request: AuthedHttpRequest, id: str) -> HttpResponse:
    """Reveal a named public reporter's contact details: an explicit, audited step (POST)."""
    from anxin.safety.public_reports import hazard_reporter_reveal

    hazard = selectors.hazard_get_for_user(user=request.user, id=id)
    contact = hazard_reporter_reveal(actor=request.user, hazard=hazard)
    response = render(
        request, "safety/hazard_reporter.html", {"hazard": hazard, "contact": contact}
    )
    response["Cache-Control"] = "no-store"
    return response
