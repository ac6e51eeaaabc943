"""Staff pages of public reception days (item 12): sessions, their bookings, the visit intake.

The session page *is* the bookings page: it needs ``reception.view_bookings`` for the session's
receiving office (404 outside the ``reception.view`` scope, 403 inside it without the right).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.core.errors import ServiceError
from anxin.core.identifiers import mask_phone
from anxin.core.pagination import page_context
from anxin.core.scoping import can, unit_in_scope
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors
from anxin.petitions import reception
from anxin.petitions import selectors_reception as selectors
from anxin.petitions.forms_reception import (
    ReceptionCancelForm,
    ReceptionSessionForm,
    ReceptionVisitForm,
)
from anxin.petitions.models_reception import ReceptionBooking, ReceptionSession


def _require(user: Any, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied


def _error_text(exc: ValidationError | ServiceError) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc.message)


@login_required
@require_GET
def reception_session_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "reception.view")
    when = request.GET.get("when") or "upcoming"
    if when not in ("upcoming", "past", "all"):
        when = "upcoming"
    qs = selectors.reception_session_list(user=request.user, when=None if when == "all" else when)
    ordering = ("starts_at", "id") if when == "upcoming" else selectors.SESSION_ORDERING
    return render(
        request,
        "petitions/reception_list.html",
        {
            **page_context(request, qs, ordering),
            "when": when,
            "may_manage": can(request.user, "reception.manage"),
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reception_session_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "reception.manage")
    initial = {"unit": request.user.unit.code if request.user.unit else None}
    form = ReceptionSessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = reception.reception_session_create(actor=request.user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            messages.success(
                request, _("The session is saved as a draft. Publish it to open the booking.")
            )
            return redirect("reception_session_detail", pk=session.pk)
    return render(request, "petitions/reception_form.html", {"form": form})


def _booking_row(booking: ReceptionBooking) -> dict[str, Any]:
    return {
        "booking": booking,
        "name": booking.name,
        "phone": mask_phone(booking.phone),
        "status": (
            "cancelled"
            if booking.cancelled_at
            else ("visited" if booking.visited_petition_id else "booked")
        ),
    }


@login_required
@require_GET
def reception_session_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    session = selectors.reception_session_get_for_user(
        user=request.user, pk=pk, action="view_bookings"
    )
    bookings = selectors.reception_bookings(user=request.user, session=session)
    manage = unit_in_scope(request.user, "reception.manage", session.unit)
    now = timezone.now()
    return render(
        request,
        "petitions/reception_detail.html",
        {
            "session": session,
            "rows": [_booking_row(b) for b in bookings],
            "may_publish": manage
            and session.cancelled_at is None
            and not session.published
            and session.starts_at > now,
            "cancel_form": ReceptionCancelForm(initial={"version": session.version})
            if manage and session.cancelled_at is None and session.ends_at > now
            else None,
            "may_record": manage
            and can(request.user, "petition.register")
            and session.cancelled_at is None
            and timezone.localdate() >= timezone.localdate(session.starts_at),
        },
    )


def _session_for_manage(request: AuthedHttpRequest, pk: int) -> ReceptionSession:
    return selectors.reception_session_get_for_user(user=request.user, pk=pk, action="manage")


@login_required
@require_POST
def reception_session_publish(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    session = _session_for_manage(request, pk)
    version = request.POST.get("version", "")
    try:
        reception.reception_session_publish(
            actor=request.user,
            session=session,
            version=int(version) if version.isdigit() else None,
        )
    except (ValidationError, ServiceError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The session is published on the public portal."))
    return redirect("reception_session_detail", pk=session.pk)


@login_required
@require_POST
def reception_session_cancel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    session = _session_for_manage(request, pk)
    form = ReceptionCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for cancelling."))
        return redirect("reception_session_detail", pk=session.pk)
    try:
        reception.reception_session_cancel(
            actor=request.user,
            session=session,
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data["version"],
        )
    except (ValidationError, ServiceError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            _("The session is cancelled. Call the people who booked: nobody is told otherwise."),
        )
    return redirect("reception_session_detail", pk=session.pk)


@login_required
@require_http_methods(["GET", "POST"])
def reception_visit_record(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    booking = selectors.reception_booking_get_for_user(user=request.user, pk=pk, action="manage")
    _require(request.user, "petition.register")
    session = booking.session
    initial = {
        "unit": session.unit.code,
        "title": booking.topic[:200],
        "content": booking.topic,
    }
    form = ReceptionVisitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = reception.reception_visit_record(
                actor=request.user, booking=booking, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            return render(
                request,
                "petitions/receipt.html",
                {
                    "petition": result.petition,
                    "query_code": result.query_code,
                    "related": result.related,
                },
            )
    return render(
        request,
        "petitions/reception_visit.html",
        {"form": form, "booking": booking, "session": session},
    )
