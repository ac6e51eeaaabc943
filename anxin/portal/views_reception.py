"""The portal's public reception days (item 12): see the sessions, book a place, cancel it.

No account is needed. The confirmation code is shown once, on the page that answers the booking
form; it is never put in a URL, a cookie, the session or a message, and is stored only as its
SM3 digest. Bookings are written with ``public=True``: no address is kept, and nobody is
notified — the receiving office reads its bookings on its own session page.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from anxin.core.errors import ServiceError
from anxin.core.identifiers import mask_name, mask_phone
from anxin.core.ratelimit import ratelimit
from anxin.core.views.auth import apply_service_errors
from anxin.petitions import reception
from anxin.petitions import selectors_reception as selectors
from anxin.petitions.forms_reception import ReceptionBookingForm, ReceptionCodeForm
from anxin.portal import submissions


@require_GET
def reception_list(request: HttpRequest) -> HttpResponse:
    sessions = list(selectors.reception_sessions_open())
    for s in sessions:
        s.free = s.capacity - s.booked  # type: ignore[attr-defined]
    return render(
        request,
        "portal/reception_list.html",
        {"sessions": sessions, "code_form": ReceptionCodeForm()},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit("portal_booking")
def reception_book(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.reception_session_public(pk)
    if session is None:
        raise Http404
    form_name = f"booking-{session.pk}"
    token = request.POST.get(submissions.FIELD, "") if request.method == "POST" else ""
    # a repeat of a booking already made is answered first: the first request may have taken
    # the last place
    replayed = submissions.submission_replay(form_name, token)
    if replayed is not None:
        return _confirmation(request, session, replayed)
    refusal: ServiceError | None = reception.booking_refusal(session, booked=session.booked)  # type: ignore[attr-defined]
    form = ReceptionBookingForm(request.POST or None)
    if request.method == "POST" and refusal is None and form.is_valid():
        data = form.cleaned_data

        def create() -> submissions.Receipt:
            _booking, code = reception.reception_book(session=session, **data)
            return submissions.Receipt(number="", code=code)

        try:
            receipt = submissions.submit_once(form=form_name, token=token, create=create)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except ServiceError as exc:
            refusal = exc  # e.g. the last place went a moment ago
        else:
            return _confirmation(request, session, receipt)
    return render(
        request,
        "portal/reception_book.html",
        {
            "session": session,
            "form": form,
            "refusal": str(refusal.message) if refusal is not None else "",
            "submission_token": submissions.token_for_form(form_name, request.POST),
        },
    )


def _confirmation(
    request: HttpRequest, session: object, receipt: submissions.Receipt
) -> HttpResponse:
    return render(
        request,
        "portal/reception_confirmation.html",
        {"session": session, "code": receipt.code, "replayed": receipt.replayed},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit("portal_track")
def reception_lookup(request: HttpRequest) -> HttpResponse:
    """Look a booking up by its code (POST only) and, if asked, cancel it."""
    form = ReceptionCodeForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "portal/reception_lookup.html", {"form": form})
    code = form.cleaned_data["code"]
    error = done = ""
    if request.POST.get("action") == "cancel":
        try:
            reception.reception_booking_cancel(code=code)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
            return render(request, "portal/reception_lookup.html", {"form": form})
        except ServiceError as exc:
            error = str(exc.message)
        else:
            done = _("Your booking is cancelled.")
    booking = reception.reception_booking_by_code(code)
    if booking is None:
        form.add_error("code", _("No booking has this confirmation code. Check it and try again."))
        return render(request, "portal/reception_lookup.html", {"form": form})
    session = booking.session
    return render(
        request,
        "portal/reception_booking.html",
        {
            "booking": booking,
            "session": session,
            "code": code,
            "name": mask_name(booking.name),
            "phone": mask_phone(booking.phone),
            "may_cancel": booking.cancelled_at is None
            and booking.visited_petition_id is None
            and (session.cancelled_at is not None or session.starts_at > timezone.now()),
            "error": error,
            "done": done,
        },
    )
