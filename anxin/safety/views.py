"""Staff pages of sites (一企一档), sectors and checklists."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from anxin.core.errors import VersionConflict
from anxin.core.pagination import keyset_page, url_with_cursor
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors
from anxin.safety import selectors, services
from anxin.safety.dossier import dossier_context
from anxin.safety.filtersets import FILTERS
from anxin.safety.forms import (
    ChecklistForm,
    ChecklistItemFormSet,
    PermitForm,
    SectorForm,
    SiteFilterForm,
    SiteForm,
)
from anxin.safety.models import Site
from anxin.safety.services import ChecklistItemIn, site_warnings


def _require(user: Any, *actions: str) -> None:
    if not any(can(user, a) for a in actions):
        raise PermissionDenied


def _say_warnings(request: AuthedHttpRequest, site: Site) -> None:
    for warning in site_warnings(site):
        messages.warning(request, warning["message"])


# --- sites ----------------------------------------------------------------------------------


@login_required
@require_GET
def site_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "site.view", "site.view_own")
    filters = {k: request.GET.get(k) or None for k in FILTERS}
    sectors = list(selectors.sector_list())
    qs = selectors.site_list(user=request.user, **filters)
    page = keyset_page(qs, selectors.SITE_ORDERING, cursor=request.GET.get("cursor") or None)
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "safety/site_list.html",
        {
            "page": page,
            "filter_form": SiteFilterForm(request.GET or None, sectors=sectors),
            "first_query": params.urlencode(),
            "next_url": url_with_cursor(request.get_full_path(), page.next_cursor),
            "may_create": can(request.user, "site.manage"),
            "staff_reader": can(request.user, "site.view"),
        },
    )


def _site_changes(data: dict[str, Any]) -> dict[str, Any]:
    changes = dict(data)
    changes.pop("version", None)
    changes["credit_code"] = changes.get("credit_code") or ""
    if changes.get("regulating_unit") is None and changes.get("sector") is not None:
        changes["regulating_unit"] = changes["sector"].department  # the sector's default
    return changes


SITE_FIELD_MAP = {"contact_user": "contact_user"}


@login_required
@require_http_methods(["GET", "POST"])
def site_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "site.manage")
    form = SiteForm(request.POST or None, initial={"status": "active"})
    if request.method == "POST" and form.is_valid():
        changes = _site_changes(form.cleaned_data)
        try:
            site = services.site_create(actor=request.user, **changes)
        except ValidationError as exc:
            apply_service_errors(form, exc, SITE_FIELD_MAP)
        else:
            messages.success(request, _("Site %(name)s registered.") % {"name": site.name})
            _say_warnings(request, site)
            return redirect("site_detail", id=site.uid)
    return render(request, "safety/site_form.html", {"form": form, "site": None})


@login_required
@require_GET
def site_detail(request: AuthedHttpRequest, id: str) -> HttpResponse:
    site = selectors.site_get_for_user(user=request.user, id=id)
    context = dossier_context(user=request.user, site=site)
    context["warnings"] = site_warnings(site)
    return render(request, "safety/site_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request: AuthedHttpRequest, id: str) -> HttpResponse:
    site = selectors.site_get_for_user(user=request.user, id=id, action="manage")
    initial = {
        "name": site.name,
        "credit_code": site.credit_code,
        "sector": site.sector.code,
        "unit": site.unit.code,
        "regulating_unit": site.regulating_unit.code if site.regulating_unit else None,
        "address": site.address,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "risk_level": site.risk_level,
        "status": site.status,
        "contact_user": site.contact_user.username if site.contact_user else "",
        "contact_name": site.contact_name,
        "contact_phone": site.contact_phone,
        "version": site.version,
    }
    form = SiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_update(
                actor=request.user,
                site=site,
                version=form.cleaned_data["version"],
                **_site_changes(form.cleaned_data),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, SITE_FIELD_MAP)
        except VersionConflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            _say_warnings(request, site)
            return redirect("site_detail", id=site.uid)
    return render(request, "safety/site_form.html", {"form": form, "site": site})


# --- permits --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def permit_create(request: AuthedHttpRequest, id: str) -> HttpResponse:
    site = selectors.site_get_for_user(user=request.user, id=id, action="manage")
    form = PermitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("version", None)
        try:
            services.permit_add(actor=request.user, site=site, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            messages.success(request, _("Permit recorded."))
            return redirect("site_detail", id=site.uid)
    return render(request, "safety/permit_form.html", {"form": form, "site": site})


@login_required
@require_http_methods(["GET", "POST"])
def permit_edit(request: AuthedHttpRequest, id: str, pk: int) -> HttpResponse:
    site = selectors.site_get_for_user(user=request.user, id=id, action="manage")
    permit = selectors.permit_get_for_site(site=site, pk=pk)
    initial = {
        "kind": permit.kind,
        "number": permit.number,
        "issued_by": permit.issued_by,
        "issued_on": permit.issued_on,
        "expires_on": permit.expires_on,
        "version": permit.version,
    }
    form = PermitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.permit_update(actor=request.user, permit=permit, version=version, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except VersionConflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("site_detail", id=site.uid)
    return render(
        request, "safety/permit_form.html", {"form": form, "site": site, "permit": permit}
    )


# --- sectors --------------------------------------------------------------------------------


@login_required
@require_GET
def sector_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "sector.manage", "site.view")
    return render(
        request,
        "safety/sector_list.html",
        {
            "sectors": selectors.sector_list(active_only=False),
            "may_manage": can(request.user, "sector.manage"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sector_edit(request: AuthedHttpRequest, code: str) -> HttpResponse:
    _require(request.user, "sector.manage")
    sector = selectors.sector_get(code)
    initial = {
        "name": sector.name,
        "department": sector.department.code if sector.department else None,
        "is_active": sector.is_active,
        "version": sector.version,
    }
    form = SectorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.sector_update(actor=request.user, sector=sector, version=version, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except VersionConflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("sector_list")
    return render(request, "safety/sector_form.html", {"form": form, "sector": sector})


# --- checklists -----------------------------------------------------------------------------


@login_required
@require_GET
def checklist_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "checklist.view", "checklist.manage")
    return render(
        request,
        "safety/checklist_list.html",
        {"templates": selectors.checklist_current_list()},
    )


@login_required
@require_GET
def checklist_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "checklist.view", "checklist.manage")
    template = selectors.checklist_get(pk)
    return render(
        request,
        "safety/checklist_detail.html",
        {
            "template": template,
            "items": template.items.order_by("order"),
            "versions": selectors.checklist_versions(template.sector),
            "may_manage": can(request.user, "checklist.manage"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def checklist_publish(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A new version, starting from the items of version ``pk``."""
    _require(request.user, "checklist.manage")
    base = selectors.checklist_get(pk)
    if request.method == "POST":
        form = ChecklistForm(request.POST)
        formset = ChecklistItemFormSet(request.POST, prefix="items")
    else:
        form = ChecklistForm(initial={"title": base.title})
        formset = ChecklistItemFormSet(
            prefix="items",
            initial=[
                {"text": i.text, "basis": i.basis, "severity_hint": i.severity_hint}
                for i in base.items.order_by("order")
            ],
        )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        items = [
            ChecklistItemIn(
                text=f.cleaned_data.get("text", ""),
                basis=f.cleaned_data.get("basis", ""),
                severity_hint=f.cleaned_data.get("severity_hint") or "general",
            )
            for f in formset.forms
            if f.cleaned_data
        ]
        try:
            template = services.checklist_publish(
                actor=request.user,
                sector=base.sector,
                title=form.cleaned_data["title"],
                items=items,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("Version %(version)d published; earlier versions are kept.")
                % {"version": template.version},
            )
            return redirect("checklist_detail", pk=template.pk)
    return render(
        request,
        "safety/checklist_form.html",
        {"form": form, "formset": formset, "base": base},
    )
