"""Staff pages of the core app: workbench, organisation, people, audit trail."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from anxin.core import selectors, services
from anxin.core.audit import audit_verify
from anxin.core.errors import VersionConflict
from anxin.core.exports import safe_cell
from anxin.core.forms import (
    AuditFilterForm,
    RoleAssignForm,
    UnitCreateForm,
    UnitEditForm,
    UserCreateForm,
    UserEditForm,
)
from anxin.core.pagination import page_context
from anxin.core.scoping import can, grants_of
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors


def _require(user: Any, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied


@login_required
@require_GET
def home(request: AuthedHttpRequest) -> HttpResponse:
    grants = grants_of(request.user)
    scopes = selectors.grant_rows(grants)
    from anxin.core import home_panels

    panels = home_panels.render_for(request)
    return render(request, "core/home.html", {"scopes": scopes, "panels": panels})


# --- Organisation ---------------------------------------------------------------------------


@login_required
@require_GET
def unit_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "unit.view")
    filters = {k: request.GET.get(k) or None for k in ("kind", "q", "within")}
    qs = selectors.unit_list(user=request.user, **filters)
    ctx = page_context(request, qs, selectors.UNIT_ORDERING)
    from anxin.core.choices import UnitKind

    return render(
        request, "core/unit_list.html", {**ctx, "filters": filters, "kinds": UnitKind.choices}
    )


@login_required
def unit_detail(request: AuthedHttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_get_for_user(user=request.user, code=code)
    may_manage = can(request.user, "unit.manage")
    edit_form = UnitEditForm(
        initial={
            "version": unit.version,
            "name": unit.name,
            "division_code": unit.division_code,
            "sort_order": unit.sort_order,
            "is_active": unit.is_active,
        }
    )
    create_form = UnitCreateForm()
    if request.method == "POST":
        _require(request.user, "unit.manage")
        if request.POST.get("form") == "create":
            create_form = UnitCreateForm(request.POST)
            if create_form.is_valid():
                try:
                    child = services.unit_create(
                        actor=request.user, parent=unit, **create_form.cleaned_data
                    )
                except ValidationError as exc:
                    apply_service_errors(create_form, exc, {})
                else:
                    messages.success(request, _("Unit %(name)s created.") % {"name": child.name})
                    return redirect("unit_detail", code=child.code)
        else:
            edit_form = UnitEditForm(request.POST)
            if edit_form.is_valid():
                data = dict(edit_form.cleaned_data)
                version = data.pop("version")
                try:
                    services.unit_update(actor=request.user, unit=unit, version=version, **data)
                except ValidationError as exc:
                    apply_service_errors(edit_form, exc, {})
                except VersionConflict as exc:
                    edit_form.add_error(None, str(exc.message))
                else:
                    messages.success(request, _("Saved."))
                    return redirect("unit_detail", code=unit.code)
    children = selectors.unit_list(user=request.user).filter(parent=unit)
    return render(
        request,
        "core/unit_detail.html",
        {
            "unit": unit,
            "children": children,
            "may_manage": may_manage,
            "edit_form": edit_form,
            "create_form": create_form,
            "ancestors": selectors.unit_list(user=request.user).filter(
                code__in=unit.ancestor_codes()
            ),
        },
    )


# --- People ---------------------------------------------------------------------------------


@login_required
@require_GET
def user_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "user.view")
    filters = {k: request.GET.get(k) or None for k in ("unit", "q", "active")}
    qs = selectors.user_list(user=request.user, **filters)
    ctx = page_context(request, qs, selectors.USER_ORDERING)
    return render(
        request,
        "core/user_list.html",
        {
            **ctx,
            "filters": filters,
            "may_manage": can(request.user, "user.manage"),
        },
    )


@login_required
def user_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "user.manage")
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person, initial = services.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            return render(
                request,
                "core/user_password.html",
                {"person": person, "password": initial, "created": True},
            )
    return render(request, "core/user_form.html", {"form": form, "creating": True})


@login_required
def user_detail(request: AuthedHttpRequest, username: str) -> HttpResponse:
    person = selectors.user_get_for_user(user=request.user, username=username)
    role_form = RoleAssignForm(initial={"unit": person.unit.code if person.unit else None})
    if request.method == "POST":
        _require(request.user, "role.assign")
        role_form = RoleAssignForm(request.POST)
        if role_form.is_valid():
            try:
                services.role_assign(actor=request.user, user=person, **role_form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(role_form, exc, {})
            else:
                messages.success(request, _("Role assigned."))
                return redirect("user_detail", username=person.username)
    return render(
        request,
        "core/user_detail.html",
        {
            "person": person,
            "roles": selectors.user_roles(person),
            "role_form": role_form,
            "may_assign": can(request.user, "role.assign"),
            "may_manage": can(request.user, "user.manage"),
        },
    )


@login_required
def user_edit(request: AuthedHttpRequest, username: str) -> HttpResponse:
    person = selectors.user_get_for_user(user=request.user, username=username, action="user.manage")
    form = UserEditForm(
        request.POST or None,
        initial={
            "version": person.version,
            "name": person.name,
            "unit": person.unit.code if person.unit else None,
            "email": person.email,
            "phone": person.phone,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.user_update(actor=request.user, user=person, version=version, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except VersionConflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("user_detail", username=person.username)
    return render(request, "core/user_form.html", {"form": form, "person": person})


@login_required
@require_POST
def user_action(request: AuthedHttpRequest, username: str, op: str) -> HttpResponse:
    """Administrator actions on an account: reset password, unlock, (de)activate, reset 2FA."""
    person = selectors.user_get_for_user(user=request.user, username=username, action="user.manage")
    try:
        if op == "reset-password":
            initial = services.password_reset(actor=request.user, user=person)
            return render(
                request,
                "core/user_password.html",
                {"person": person, "password": initial, "created": False},
            )
        if op == "unlock":
            services.user_unlock(actor=request.user, user=person)
            messages.success(request, _("The account is unlocked."))
        elif op in ("deactivate", "activate"):
            services.user_update(actor=request.user, user=person, is_active=op == "activate")
            messages.success(request, _("Saved."))
        elif op == "reset-otp":
            services.otp_reset(actor=request.user, user=person)
            messages.success(
                request,
                _("The second factor was removed; the person enrols again at the next sign-in."),
            )
        else:
            raise PermissionDenied
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("user_detail", username=person.username)


@login_required
@require_POST
def role_revoke(request: AuthedHttpRequest, username: str, assignment_id: int) -> HttpResponse:
    person = selectors.user_get_for_user(user=request.user, username=username)
    _require(request.user, "role.assign")
    assignment = get_object_or_404(selectors.user_roles(person), pk=assignment_id)
    try:
        services.role_revoke(actor=request.user, assignment=assignment)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Role revoked."))
    return redirect("user_detail", username=person.username)


# --- Audit trail ----------------------------------------------------------------------------


def _audit_filters(request: HttpRequest) -> tuple[AuditFilterForm, dict[str, Any]]:
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, {k: v for k, v in data.items() if v}


@login_required
@require_GET
def audit_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "audit.view")
    form, filters = _audit_filters(request)
    qs = selectors.audit_list(user=request.user, **filters)
    ctx = page_context(request, qs, selectors.AUDIT_ORDERING)
    return render(request, "core/audit_list.html", {**ctx, "form": form})


@login_required
@require_GET
def audit_export(request: AuthedHttpRequest) -> StreamingHttpResponse:
    _require(request.user, "audit.view")
    _form, filters = _audit_filters(request)
    qs = selectors.audit_list(user=request.user, **filters).order_by("id")
    services.audit_export_record(actor=request.user, filters=filters)
    header = [
        _("Number"),
        _("Time"),
        _("User"),
        _("IP address"),
        _("Action"),
        _("Object type"),
        _("Object"),
        _("Before"),
        _("After"),
        _("Sequence"),
        _("Hash"),
    ]

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for e in qs.values_list(
            "id",
            "created_at",
            "actor_label",
            "actor_ip",
            "action",
            "object_type",
            "object_repr",
            "before",
            "after",
            "chain_seq",
            "hash",
        ).iterator(chunk_size=2000):
            row = list(e)
            row[1] = timezone.localtime(row[1]).isoformat(timespec="seconds")
            yield writer.writerow([safe_cell(v) for v in row])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="anxin-audit-{stamp}.csv"'
    return response


@login_required
@require_GET
def audit_verify_view(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "audit.view")
    return render(request, "core/audit_verify.html", {"result": audit_verify()})
