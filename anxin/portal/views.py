"""The public portal: citizens submit, track, rate and ask for review — no account needed.

Writes go through the petitions services with ``actor=None`` (a public submission: no address
is kept). The query code is the only key to a case: it is never put in a URL (addresses end up
in logs and browser histories); every form posts it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from anxin.core.errors import ServiceError
from anxin.core.models import Unit
from anxin.core.ratelimit import ratelimit
from anxin.core.views.auth import apply_service_errors
from anxin.petitions import selectors, services
from anxin.petitions.choices import Channel, Rating, Status
from anxin.petitions.forms import PortalPetitionForm, TrackForm
from anxin.petitions.models import Delivery, Petition
from anxin.petitions.presenters import event_label
from anxin.portal import submissions

#: what the public timeline shows: the step, never who inside the administration took it
PUBLIC_EVENTS = {
    "registered",
    "forwarded",
    "objection_settled",
    "accepted",
    "declined",
    "extended",
    "paused",
    "resumed",
    "signed_off",
    "delivered",
    "rated",
    "review_requested",
    "recheck_requested",
    "closed",
    "merged",
}


def portal_unit() -> Unit:
    code = getattr(settings, "ANXIN_PORTAL_UNIT", "")
    unit = Unit.objects.filter(code=code).first() if code else None
    return unit or Unit.objects.filter(parent__isnull=True).order_by("id").first()  # type: ignore[return-value]


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"track_form": TrackForm()})


@require_http_methods(["GET", "POST"])
@ratelimit("portal_submit")
def petition_submit(request: HttpRequest) -> HttpResponse:
    form = PortalPetitionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        people = []
        if not data["anonymous"]:
            people = [
                services.ComplainantIn(
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    address=data["address"],
                )
            ]

        def create() -> submissions.Receipt:
            result = services.petition_register(
                actor=None,
                channel=Channel.WEB,
                kind=data["kind"],
                category=data["category"],
                title=data["title"],
                content=data["content"],
                unit=portal_unit(),
                place_unit=data["place_unit"],
                complainants=people,
                anonymous=data["anonymous"],
                accused_unit=data["accused_unit"],
                accused_person=data["accused_person"],
                files=data["materials"],
            )
            return submissions.Receipt(
                number=result.petition.number,
                code=result.query_code,
                data={"received_on": result.petition.received_on.isoformat()},
            )

        try:
            receipt = submissions.submit_once(
                form="petition", token=request.POST.get(submissions.FIELD, ""), create=create
            )
        except ValidationError as exc:
            apply_service_errors(
                form,
                exc,
                {
                    "complainants": "name",
                    "complainants.0.name": "name",
                    "complainants.0.id_number": "id_number",
                },
            )
        else:
            received_on = receipt.data.get("received_on", "")
            return render(
                request,
                "portal/receipt.html",
                {
                    "petition": {
                        "number": receipt.number,
                        "received_on": date.fromisoformat(received_on) if received_on else None,
                    },
                    "query_code": receipt.code,
                    "replayed": receipt.replayed,
                },
            )
    return render(
        request,
        "portal/submit.html",
        {"form": form, "submission_token": submissions.token_for_form("petition", request.POST)},
    )


def _public_view(petition: Petition, code: str, **extra: Any) -> dict[str, Any]:
    deliveries = set(Delivery.objects.filter(petition=petition).values_list("document", flat=True))
    decisions = [
        d
        for d in petition.decisions.select_related("unit").order_by("id")
        if d.signed_off_at is not None
    ]
    return {
        "petition": petition,
        "code": code,
        "events": [
            (e, event_label(e.kind))
            for e in petition.events.filter(kind__in=PUBLIC_EVENTS).select_related("unit")
        ],
        "decisions": decisions,
        "may_rate": petition.status in (Status.DECIDED, Status.REVIEWED, Status.RECHECKED)
        and bool(deliveries & {"decision", "review_decision", "recheck_decision"}),
        "may_request_review": petition.status == Status.DECIDED
        and petition.kind == "claim"
        and "decision" in deliveries,
        "may_request_recheck": petition.status == Status.REVIEWED
        and petition.kind == "claim"
        and "review_decision" in deliveries,
        "ratings": Rating.choices,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@ratelimit("portal_track")
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "portal/track.html", {"form": form})
    code = form.cleaned_data["code"]
    petition = selectors.petition_by_query_code(code)
    if petition is None:
        form.add_error("code", _("No case has this query code. Check it and try again."))
        return render(request, "portal/track.html", {"form": form})
    action = request.POST.get("action", "")
    error = ""
    done = ""
    try:
        if action == "rate":
            services.petition_rate(
                actor=None, petition=petition, rating=request.POST.get("rating", "")
            )
            done = _("Thank you: your rating is recorded.")
        elif action == "request_review":
            services.petition_request_review(
                actor=None, petition=petition, reason=request.POST.get("reason", "")
            )
            done = _("Your request for review is recorded.")
        elif action == "request_recheck":
            services.petition_request_recheck(
                actor=None, petition=petition, reason=request.POST.get("reason", "")
            )
            done = _("Your request for re-review is recorded.")
    except ValidationError as exc:
        error = "；".join(exc.messages)
    except ServiceError as exc:
        error = str(exc.message)
    petition.refresh_from_db()
    return render(request, "portal/case.html", _public_view(petition, code, error=error, done=done))
