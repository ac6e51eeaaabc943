"""Staff pages of enforcement orders (执法文书): the list, issuing an order, the order page with
its document, carrying out a power cut-off and the re-inspection (复查)."""

from __future__ import annotations

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
from anxin.core.choices import Role
from anxin.core.errors import ServiceError
from anxin.core.forms import BootstrapMixin
from anxin.core.models import User
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors
from anxin.safety import enforcement
from anxin.safety import selectors_enforcement as selectors
from anxin.safety.documents_enforcement import (
    DOCX_CONTENT_TYPE,
    ascii_filename,
    enforcement_document_issue,
)
from anxin.safety.enforcement_rules import (
    LEGAL_BASES,
    OrderKind,
    OrderStatus,
)
from anxin.safety.hazard_scoping import site_in_scope
from anxin.safety.models import Site
from anxin.safety.models_hazards import Hazard


def _require(user: Any, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied


class EnforcementOrderForm(BootstrapMixin, forms.Form):
    site = forms.ModelChoiceField(
        label=gettext_lazy("Site"), queryset=Site.objects.none(), to_field_name="uid"
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=OrderKind.choices)
    hazard = forms.ModelChoiceField(
        label=gettext_lazy("Hazard"),
        queryset=Hazard.objects.none(),
        to_field_name="uid",
        required=False,
    )
    basis_codes = forms.MultipleChoiceField(
        label=gettext_lazy("Legal basis"),
        choices=[(b.code, f"{b.citation}：{b.summary}") for b in LEGAL_BASES],
        widget=forms.CheckboxSelectMultiple,
    )
    facts = forms.CharField(
        label=gettext_lazy("Facts found"), widget=forms.Textarea(attrs={"rows": 4})
    )
    demands = forms.CharField(
        label=gettext_lazy("Demands"), widget=forms.Textarea(attrs={"rows": 4})
    )
    deadline = forms.DateField(
        label=gettext_lazy("Deadline (re-inspection due)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    fine_yuan = forms.DecimalField(
        label=gettext_lazy("Fine (yuan)"), required=False, min_value=0, decimal_places=2
    )
    officers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Enforcement officers"),
        queryset=User.objects.none(),
        help_text=gettext_lazy(
            "A penalty needs at least two (Administrative Penalty Law, Art. 42)."
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["site"].queryset = Site.objects.restrict(user, "enforcement.issue").order_by("name")
        fields["hazard"].queryset = Hazard.objects.restrict(user, "view").filter(site__isnull=False)
        fields["officers"].queryset = (
            User.objects.filter(
                is_active=True, role_assignments__role__in=[Role.INSPECTOR, Role.UNIT_HEAD]
            )
            .distinct()
            .order_by("username")
        )


def _first_query(request: AuthedHttpRequest) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    return params.urlencode()


class ReinspectionForm(BootstrapMixin, forms.Form):
    passed = forms.TypedChoiceField(
        label=gettext_lazy("Result"),
        choices=[("1", gettext_lazy("Rectified")), ("0", gettext_lazy("Not rectified"))],
        coerce=lambda v: v == "1",
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


@login_required
@require_GET
def enforcement_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "enforcement.view")
    qs = selectors.order_list(
        user=request.user,
        kind=request.GET.get("kind") or None,
        status=request.GET.get("status") or None,
    )
    page = keyset_page(qs, selectors.ORDERING, cursor=request.GET.get("cursor"), limit=50)
    flagged = enforcement.site_closure_flags({o.site_id for o in page.items})
    return render(
        request,
        "safety/enforcement_list.html",
        {
            "orders": page.items,
            "page": page,
            "first_query": _first_query(request),
            "next_url": url_with_cursor(request.get_full_path(), page.next_cursor),
            "flagged": flagged,
            "kinds": OrderKind.choices,
            "statuses": OrderStatus.choices,
            "may_issue": can(request.user, "enforcement.issue"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def enforcement_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "enforcement.issue")
    initial = {
        "site": request.GET.get("site") or None,
        "kind": request.GET.get("kind") or OrderKind.RECTIFY,
        "officers": [request.user.pk],
    }
    form = EnforcementOrderForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = enforcement.enforcement_order_issue(
                actor=request.user,
                site=data["site"],
                kind=data["kind"],
                hazard=data["hazard"],
                basis_codes=data["basis_codes"],
                facts=data["facts"],
                demands=data["demands"],
                deadline=data["deadline"],
                officers=list(data["officers"]),
                fine_yuan=data["fine_yuan"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            messages.success(request, _("Order %(number)s issued.") % {"number": order.number})
            return redirect("enforcement_detail", id=order.uid)
    return render(request, "safety/enforcement_form.html", {"form": form})


@login_required
@require_GET
def enforcement_detail(request: AuthedHttpRequest, id: str) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, id=id)
    may_issue = can(request.user, "enforcement.issue") and site_in_scope(
        request.user, "enforcement.issue", order.site
    )
    return render(
        request,
        "safety/enforcement_detail.html",
        {
            "order": order,
            "bases": selectors.order_bases(order),
            "clock": selectors.reinspect_clock(order),
            "executable_at": enforcement.executable_at(order),
            "may_issue": may_issue,
            "closure_flag": enforcement.site_closure_flag(order.site),
            "reinspect_form": ReinspectionForm() if may_issue else None,
        },
    )


@login_required
@require_GET
def enforcement_document(request: AuthedHttpRequest, id: str) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, id=id)
    filename, data = enforcement_document_issue(actor=request.user, order=order)
    response = HttpResponse(data, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, ascii_filename(order))
    return response


@login_required
@require_POST
def enforcement_execute(request: AuthedHttpRequest, id: str) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, id=id, action="issue")
    try:
        enforcement.enforcement_execute(actor=request.user, order=order)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Recorded as carried out."))
    return redirect("enforcement_detail", id=order.uid)


@login_required
@require_http_methods(["GET", "POST"])
def enforcement_reinspect(request: AuthedHttpRequest, id: str) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, id=id, action="issue")
    form = ReinspectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enforcement.enforcement_reinspection_record(
                actor=request.user,
                order=order,
                passed=form.cleaned_data["passed"],
                notes=form.cleaned_data["notes"],
                at=timezone.now(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Re-inspection recorded."))
            return redirect("enforcement_detail", id=order.uid)
    return render(request, "safety/enforcement_reinspect.html", {"order": order, "form": form})
