"""Staff pages of petitions: the ledger, intake, the case page and its actions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.core.attachments import attachment_response, attachments_of
from anxin.core.errors import ServiceError
from anxin.core.models import Unit, User
from anxin.core.pagination import page_context
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors
from anxin.petitions import actions, selectors, services
from anxin.petitions.actions import accused_account
from anxin.petitions.choices import Channel, Kind, LeaderLevel, Status
from anxin.petitions.documents import available_documents
from anxin.petitions.filtersets import FILTERS
from anxin.petitions.forms import (
    DOCUMENT_CHOICES,
    METHOD_CHOICES,
    OUTCOME_CHOICES,
    RATING_CHOICES,
    AttachmentForm,
    PetitionIntakeForm,
    RevealForm,
    decline_reason_choices,
)
from anxin.petitions.models import Petition
from anxin.petitions.presenters import clock_label, deadlines_for, event_label, person_out
from anxin.petitions.transitions import TRANSITIONS


def _require(user: Any, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied


@login_required
@require_GET
def petition_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "petition.view")
    filters = {k: request.GET.get(k) or None for k in FILTERS}
    qs = selectors.petition_list(user=request.user, **filters)
    # the list answers at once; "N items" follows from petition_list_count (the capped count
    # of a township's scope probes ~17 times as many cases as it counts at 6 % density)
    paged = page_context(
        request, qs, selectors.LEDGER_ORDERING, count_url=reverse("petition_list_count")
    )
    page = paged["page"]
    deadlines = deadlines_for(page.items)
    rows = [
        (p, [(clock_label(name), due) for name, due in deadlines[p.pk].items()]) for p in page.items
    ]
    return render(
        request,
        "petitions/list.html",
        {
            **paged,
            "rows": rows,
            "filters": filters,
            "statuses": Status.choices,
            "channels": Channel.choices,
            "kinds": Kind.choices,
            "categories": selectors.categories(),
            "today": timezone.localdate().isoformat(),
            "may_register": can(request.user, "petition.register"),
        },
    )


@login_required
@require_GET
def petition_list_count(request: AuthedHttpRequest) -> HttpResponse:
    """The ledger's "N items" (htmx fragment): the same scope and filters as the list."""
    _require(request.user, "petition.view")
    filters = {k: request.GET.get(k) or None for k in FILTERS}
    count, capped = selectors.petition_list_count(user=request.user, **filters)
    return render(request, "components/page_count.html", {"count": count, "capped": capped})


@login_required
@require_http_methods(["GET", "POST"])
def petition_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "petition.register")
    initial = {
        "received_on": timezone.localdate(),
        "channel": Channel.VISIT,
        "unit": request.user.unit.code if request.user.unit else None,
    }
    form = PetitionIntakeForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        people = []
        if data["name"] or data["id_number"] or data["phone"] or data["address"]:
            people = [
                services.ComplainantIn(
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    address=data["address"],
                )
            ]
        reps = []
        for line in (data["representatives"] or "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if parts and parts[0]:
                reps.append(
                    services.ComplainantIn(name=parts[0], phone=parts[1] if len(parts) > 1 else "")
                )
        try:
            result = services.petition_register(
                actor=request.user,
                channel=data["channel"],
                kind=data["kind"],
                category=data["category"],
                title=data["title"],
                content=data["content"],
                unit=data["unit"],
                received_on=data["received_on"],
                place_unit=data["place_unit"],
                complainants=people,
                representatives=reps,
                anonymous=data["anonymous"],
                confidential=data["confidential"],
                accused_unit=data["accused_unit"],
                accused_person=data["accused_person"],
                accused_user=accused_account(data["accused_user"]),
                files=data["materials"],
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
            return render(
                request,
                "petitions/receipt.html",
                {
                    "petition": result.petition,
                    "query_code": result.query_code,
                    "related": result.related,
                },
            )
    return render(request, "petitions/form.html", {"form": form})


def _available_actions(
    user: Any, petition: Petition, running_clocks: frozenset[str] = frozenset()
) -> list[str]:
    """The steps this person may take now (one query per permission family, at most 8).

    The objection steps are offered only when the services would take them: ``object`` while
    the objection period (``object_by``) runs, ``settle_objection`` while an objection is pending.
    """
    available = []
    checked: dict[str, bool] = {}
    for action, (states, _target, permission) in TRANSITIONS.items():
        if petition.status not in states:
            continue
        if action == "object" and "object_by" not in running_clocks:
            continue
        if action == "settle_objection" and "objection_pending" not in petition.flags:
            continue
        if permission not in checked:
            checked[permission] = (
                Petition.objects.restrict(user, permission).filter(pk=petition.pk).exists()
            )
        if checked[permission]:
            available.append(action)
    return available


@login_required
@require_GET
def petition_detail(request: AuthedHttpRequest, id: str) -> HttpResponse:
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    identity = selectors.can_see_identity(request.user, petition)
    people = (
        []
        if petition.anonymous
        else [person_out(c, identity=identity) for c in petition.complainants.all()]
    )
    from anxin.petitions import clocks

    case_clocks = clocks.all_clocks(petition)
    running = frozenset(n for n, c in case_clocks.items() if c.state in ("running", "paused"))
    return render(
        request,
        "petitions/detail.html",
        {
            "petition": petition,
            "people": people,
            "clocks": [
                (c, clock_label(c.name))
                for c in sorted(case_clocks.values(), key=lambda c: c.due_on)
            ],
            "events": [(e, event_label(e.kind)) for e in selectors.petition_timeline(petition)],
            "decisions": petition.decisions.select_related("unit", "signed_off_by"),
            "deliveries": petition.deliveries.order_by("delivered_on", "id"),
            "actions": _available_actions(request.user, petition, running),
            "reveal_form": RevealForm() if identity and people else None,
            "decline_reasons": decline_reason_choices(),
            "outcomes": OUTCOME_CHOICES,
            "ratings": RATING_CHOICES,
            "documents": DOCUMENT_CHOICES,
            "methods": METHOD_CHOICES,
            "units": Unit.objects.filter(is_active=True).order_by("path"),
            "today": timezone.localdate().isoformat(),
            "owners": petition.owners.select_related("unit").order_by("level"),
            "plan_steps": petition.plan_steps.all(),
            "levels": LeaderLevel.choices,
            "may_plan": Petition.objects.restrict(request.user, "petition.handle")
            .filter(pk=petition.pk)
            .exists(),
            "calendar_warnings": _calendar_warnings(petition),
            "attachments": attachments_of(petition),
            "hazard_links": petition.hazard_links.select_related("hazard", "hazard__site"),
            "may_make_hazard": can(request.user, "hazard.manage")
            and Petition.objects.restrict(request.user, "petition.handle")
            .filter(pk=petition.pk)
            .exists(),
            "attachment_form": AttachmentForm(),
            "documents_available": available_documents(petition),
            "default_document": DEFAULT_DOCUMENT.get(petition.status, ""),
        },
    )


#: what a delivery most likely records in each state
DEFAULT_DOCUMENT = {
    "registered": "forward_notice",
    "handling": "acceptance_notice",
    "declined": "decline_notice",
    "decided": "decision",
    "reviewed": "review_decision",
    "rechecked": "recheck_decision",
}


@login_required
@require_POST
def petition_hazard(request: AuthedHttpRequest, id: str) -> HttpResponse:
    """Turn a petition about a safety problem into a hazard at a site (linked both ways)."""
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    from anxin.safety.models import Site

    key = request.POST.get("site", "").strip()
    sites = (
        list(
            Site.objects.restrict(request.user, "view")
            .filter(Q(credit_code=key.upper()) | Q(name=key))
            .order_by("id")[:2]
        )
        if key
        else []
    )
    deadline = _parse_date(request.POST.get("deadline"))
    try:
        if len(sites) != 1:
            raise ValidationError(
                {
                    "site": _(
                        "Give the site's unified social credit code or its exact name (one site)."
                    )
                }
            )
        services.petition_to_hazard(
            actor=request.user,
            petition=petition,
            site=sites[0],
            description=request.POST.get("description", ""),
            grade=request.POST.get("grade", "general"),
            deadline=deadline,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The hazard is registered and linked to this case."))
    return redirect("petition_detail", id=petition.uid)


def _calendar_warnings(petition: Petition) -> list[str]:
    """A deadline in a year without holiday data is counted on weekends only: say so."""
    from anxin.core.calendar import coverage_warning
    from anxin.petitions import clocks

    years = {c.due_on.year for c in clocks.running(petition).values()}
    return [w for w in (coverage_warning(y) for y in sorted(years)) if w]


@login_required
@require_POST
def petition_action(request: AuthedHttpRequest, id: str, action: str) -> HttpResponse:
    if action not in actions.ACTIONS:
        raise PermissionDenied
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    post = request.POST
    data: dict[str, Any] = {k: post.get(k) for k in post if k != "csrfmiddlewaretoken"}
    data["co_units"] = [c for c in post.getlist("co_units") if c]
    data["version"] = int(post["version"]) if post.get("version", "").isdigit() else None
    if "upheld" in post:
        data["upheld"] = post.get("upheld") == "1"
    try:
        actions.run(action, actor=request.user, petition=petition, data=data)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Done: %(action)s.") % {"action": services.action_label(action)}
        )
    return redirect("petition_detail", id=petition.uid)


@login_required
@require_POST
def petition_reveal(request: AuthedHttpRequest, id: str) -> HttpResponse:
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("State why you need the full personal data."))
        return redirect("petition_detail", id=petition.uid)
    people = services.petition_reveal(
        actor=request.user, petition=petition, reason=form.cleaned_data["reason"]
    )
    return render(
        request,
        "petitions/revealed.html",
        {
            "petition": petition,
            "people": [person_out(c, identity=True, revealed=True) for c in people],
        },
    )


@login_required
@require_GET
def petition_export(request: AuthedHttpRequest) -> FileResponse:
    """The ledger with the page's filters, as .xlsx (no personal data)."""
    _require(request.user, "petition.view")
    from anxin.petitions.exports import write_ledger

    filters = {k: request.GET.get(k) or None for k in FILTERS}
    services.ledger_export_record(actor=request.user, filters=filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return FileResponse(
        write_ledger(selectors.petition_list(user=request.user, **filters)),
        as_attachment=True,
        filename=f"anxin-petitions-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_GET
def backlog(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user, "petition.view")
    listed = list(
        selectors.backlog_list(user=request.user)
        .order_by("backlog_target_on", "id")
        .prefetch_related("owners", "plan_steps")[:200]
    )
    candidates = list(
        selectors.backlog_candidates(user=request.user).order_by("received_on", "id")[:100]
    )
    return render(
        request,
        "petitions/backlog.html",
        {
            "listed": listed,
            "candidates": candidates,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def petition_plan(request: AuthedHttpRequest, id: str, op: str) -> HttpResponse:
    """The resolution plan: owners per level, steps with dates, listing as backlog."""
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    post = request.POST
    version = int(post["version"]) if post.get("version", "").isdigit() else None
    try:
        if op == "owner":
            owner = User.objects.filter(username=post.get("username", ""), is_active=True).first()
            services.petition_owner_set(
                actor=request.user,
                petition=petition,
                level=post.get("level", ""),
                name=post.get("name", ""),
                user=owner,
                unit=owner.unit if owner else None,
                version=version,
            )
        elif op == "step":
            services.petition_plan_step_add(
                actor=request.user,
                petition=petition,
                text=post.get("text", ""),
                due_on=_parse_date(post.get("due_on")),
                version=version,
            )
        elif op == "done":
            services.petition_plan_step_done(
                actor=request.user,
                petition=petition,
                step_id=int(post.get("step") or 0),
                version=version,
            )
        elif op == "backlog":
            target = _parse_date(post.get("target_on"))
            if target is None:
                raise ValidationError({"target_on": _("Give the target date.")})
            services.petition_backlog_set(
                actor=request.user, petition=petition, target_on=target, version=version
            )
        else:
            raise PermissionDenied
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("petition_detail", id=petition.uid)


@login_required
@require_GET
def petition_compare(request: AuthedHttpRequest, id: str, other: str) -> HttpResponse:
    """Two cases side by side, to decide on merging (并单); both must be visible."""
    left = selectors.petition_get_for_user(user=request.user, id=id)
    right = selectors.petition_get_for_user(user=request.user, id=other)
    from anxin.petitions.matching import _tokens, similarity

    score = similarity(_tokens(left.title, left.content), _tokens(right.title, right.content))
    return render(
        request,
        "petitions/compare.html",
        {
            "left": left,
            "right": right,
            "score": round(score * 100),
            "may_merge": "merge" in _available_actions(request.user, left),
        },
    )


@login_required
@require_POST
def petition_attach(request: AuthedHttpRequest, id: str) -> HttpResponse:
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("petition_detail", id=petition.uid)
    try:
        services.petition_attach(
            actor=request.user,
            petition=petition,
            files=form.cleaned_data["materials"],
            purpose=form.cleaned_data["purpose"],
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("petition_detail", id=petition.uid)


@login_required
@require_GET
def petition_attachment(request: AuthedHttpRequest, id: str, file: str) -> HttpResponse:
    """A case's file, for those who may see the case (the shield applies: 404 otherwise)."""
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    attachment = attachments_of(petition).filter(uid=_uuid_or_404(file)).first()
    if attachment is None:
        raise Http404
    return attachment_response(attachment)


def _uuid_or_404(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Http404 from None


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
