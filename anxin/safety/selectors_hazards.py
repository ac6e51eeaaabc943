"""The one read path of hazards, inspections and plans: every query for a person starts with
``restrict``. The ledger's filters (``hazard_filter``) serve the page and the API alike."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.attachments import attachments_of
from anxin.core.models import Unit
from anxin.core.models_attachments import Attachment
from anxin.core.scoping import can, get_for_user, unit_in_scope
from anxin.safety.hazard_rules import (
    CLOCK_NAME,
    CLOCK_SUBJECT,
    OPEN_STATES,
    TRANSITIONS,
    HazardGrade,
    HazardSource,
    HazardStatus,
    needs_resumption_approval,
)
from anxin.safety.hazard_scoping import site_in_scope
from anxin.safety.models import ChecklistItem, Site
from anxin.safety.models_hazards import Hazard, HazardEvent
from anxin.safety.models_inspections import (
    Inspection,
    InspectionPlan,
    InspectionResult,
    InspectionStatus,
)

HAZARD_ORDERING = ("-found_at", "-id")
HAZARD_RELATED = (
    "site",
    "site__sector",
    "site__unit",
    "site__regulating_unit",
    "unit",
    "supervision_unit",
)
HAZARD_FILTERS = (
    "status",
    "grade",
    "sector",
    "unit",
    "overdue",
    "supervised",
    "site",
    "source",
    "q",
)

INSPECTION_ORDERING = ("-started_at", "-id")
INSPECTION_RELATED = ("site", "site__sector", "site__unit", "template", "plan")
INSPECTION_FILTERS = ("status", "site", "plan", "sector", "unit", "date_from", "date_to")

PLAN_ORDERING = ("-starts_on", "-id")


def _truthy(value: Any) -> bool:
    return str(value or "").lower() in ("1", "true", "yes", "on")


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def uuid_or_404(value: Any) -> uuid.UUID:
    uid = _uuid(value)
    if uid is None:
        raise Http404
    return uid


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _unit_path(code: Any) -> str | None:
    return Unit.objects.filter(code=str(code)).values_list("path", flat=True).first()


# --- hazards -----------------------------------------------------------------------------------


def overdue_ids(today: date | None = None) -> QuerySet[Any]:
    """Hazards whose ``rectify_by`` clock runs past its due date (逾期未整改), as a subquery."""
    from anxin.supervision.models import Clock

    return Clock.objects.filter(
        subject_type=CLOCK_SUBJECT,
        name=CLOCK_NAME,
        state="running",
        due_on__lt=today or timezone.localdate(),
    ).values("subject_id")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def hazard_filter(qs: QuerySet[Hazard], **params: Any) -> QuerySet[Hazard]:
    """``status`` (a code, or ``open``), ``grade``, ``sector`` (code), ``unit`` (a unit code:
    hazards whose site's territorial unit is in its subtree or whose regulating department is
    it or under it), ``overdue``, ``supervised`` (挂牌督办), ``site`` (id), ``source``, ``q``;
    ``found_from``/``found_to``, ``closed_from``/``closed_to`` (local days, inclusive)."""
    status = params.get("status")
    if status in HazardStatus.values:
        qs = qs.filter(status=status)
    elif status == "open":
        qs = qs.filter(status__in=OPEN_STATES)
    if params.get("grade") in HazardGrade.values:
        qs = qs.filter(grade=params["grade"])
    if params.get("source") in HazardSource.values:
        qs = qs.filter(source=params["source"])
    if params.get("sector"):
        qs = qs.filter(site__sector__code=params["sector"])
    if params.get("unit"):
        root = _unit_path(params["unit"])
        if root is None:
            return qs.none()
        qs = qs.filter(
            Q(site__unit__path__startswith=root)
            | Q(site__regulating_unit__path__startswith=root)
            | Q(site__isnull=True, unit__path__startswith=root)
        )
    if params.get("site"):
        uid = _uuid(params["site"])
        qs = qs.filter(site__uid=uid) if uid else qs.none()
    if _truthy(params.get("overdue")):
        qs = qs.filter(pk__in=overdue_ids())
    if _truthy(params.get("supervised")):
        qs = qs.filter(supervision_unit__isnull=False)
    for name, field in (("found", "found_at"), ("closed", "closed_at")):
        # local days, inclusive (the dashboards' drill-down by month)
        if d := _date(params.get(f"{name}_from")):
            qs = qs.filter(**{f"{field}__gte": _midnight(d)})
        if d := _date(params.get(f"{name}_to")):
            qs = qs.filter(**{f"{field}__lt": _midnight(d + timedelta(days=1))})
    q = str(params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(description__icontains=q) | Q(site__name__icontains=q))
    return qs


def hazard_list(*, user: Any, **filters: Any) -> QuerySet[Hazard]:
    qs = Hazard.objects.restrict(user, "view").select_related(*HAZARD_RELATED)
    return hazard_filter(qs, **filters)


def hazard_get_for_user(*, user: Any, id: str, action: str = "view") -> Hazard:
    """One hazard by its opaque id: 404 outside the person's scope, 403 without ``action``."""
    uid = _uuid(id)
    if uid is None:
        raise Http404
    return get_for_user(
        Hazard.objects.select_related(
            *HAZARD_RELATED,
            "site__contact_user",
            "inspection",
            "checklist_item",
            "recurrence_of",
            "verified_by",
            "closed_by",
            "resumption_approved_by",
        ),
        user,
        action=action,
        uid=uid,
    )


def hazard_may(user: Any, hazard: Hazard, permission: str) -> bool:
    """Whether the person holds ``permission`` on this hazard (no query)."""
    if permission == "hazard.submit":
        return (
            hazard.site is not None
            and hazard.site.contact_user_id == getattr(user, "pk", None)
            and can(user, "hazard.submit")
        )
    if hazard.site is not None:
        return site_in_scope(user, permission, hazard.site)
    return unit_in_scope(user, permission, hazard.unit)


def hazard_actions(user: Any, hazard: Hazard) -> list[str]:
    """The steps the person may take now, in the table's order."""
    actions = [
        action
        for action, (allowed, _target, permission) in TRANSITIONS.items()
        if hazard.status in allowed and hazard_may(user, hazard, permission)
    ]
    if {"apply_resumption", "refuse_resumption"} & set(actions):
        # the written application (16号令 Art. 23) only where a resumption is still to approve
        pending = hazard.resumption_applications.filter(status="pending").exists()
        open_to_apply = (
            needs_resumption_approval(production_stopped=hazard.production_stopped)
            and hazard.resumption_approved_at is None
        )
        if pending or not open_to_apply:
            actions = [a for a in actions if a != "apply_resumption"]
        if not pending:
            actions = [a for a in actions if a != "refuse_resumption"]
    return actions


def hazard_timeline(hazard: Hazard) -> list[HazardEvent]:
    return list(HazardEvent.objects.filter(hazard=hazard).order_by("at", "id"))


def hazard_evidence(hazard: Hazard) -> list[Attachment]:
    return list(attachments_of(hazard).filter(purpose="evidence"))


def hazard_recurrences(hazard: Hazard) -> list[Hazard]:
    return list(hazard.recurrences.order_by("found_at", "id"))


# --- inspections -------------------------------------------------------------------------------


def inspection_filter(qs: QuerySet[Inspection], **params: Any) -> QuerySet[Inspection]:
    if params.get("status") in InspectionStatus.values:
        qs = qs.filter(status=params["status"])
    if params.get("site"):
        uid = _uuid(params["site"])
        qs = qs.filter(site__uid=uid) if uid else qs.none()
    if params.get("plan"):
        uid = _uuid(params["plan"])
        qs = qs.filter(plan__uid=uid) if uid else qs.none()
    if params.get("sector"):
        qs = qs.filter(site__sector__code=params["sector"])
    if params.get("unit"):
        root = _unit_path(params["unit"])
        if root is None:
            return qs.none()
        qs = qs.filter(
            Q(site__unit__path__startswith=root) | Q(site__regulating_unit__path__startswith=root)
        )
    if d := _date(params.get("date_from")):
        qs = qs.filter(started_at__date__gte=d)
    if d := _date(params.get("date_to")):
        qs = qs.filter(started_at__date__lte=d)
    return qs


def inspection_list(*, user: Any, **filters: Any) -> QuerySet[Inspection]:
    qs = Inspection.objects.restrict(user, "view").select_related(*INSPECTION_RELATED)
    return inspection_filter(qs, **filters)


def inspection_get_for_user(*, user: Any, id: str, action: str = "view") -> Inspection:
    uid = _uuid(id)
    if uid is None:
        raise Http404
    return get_for_user(
        Inspection.objects.select_related(
            *INSPECTION_RELATED, "site__regulating_unit", "site__contact_user", "created_by"
        ),
        user,
        action=action,
        uid=uid,
    )


def inspection_may(user: Any, inspection: Inspection, action: str) -> bool:
    return site_in_scope(user, action, inspection.site)


def inspection_sheet(inspection: Inspection) -> list[dict[str, Any]]:
    """Every item of the checklist used, with its result and photos — three queries."""
    items: list[ChecklistItem] = []
    if inspection.template_id is not None:
        items = list(
            ChecklistItem.objects.filter(template_id=inspection.template_id).order_by("order")
        )
    results = {
        r.item_id: r
        for r in InspectionResult.objects.filter(inspection=inspection).prefetch_related("hazards")
    }
    photos: dict[int, list[Attachment]] = defaultdict(list)
    if results:
        for a in Attachment.objects.filter(
            owner_type=InspectionResult._meta.label_lower,
            owner_id__in=[r.pk for r in results.values()],
        ).order_by("uploaded_at", "id"):
            photos[a.owner_id].append(a)
    rows = []
    for item in items:
        result = results.get(item.pk)
        rows.append(
            {
                "item": item,
                "result": result,
                "photos": photos.get(result.pk, []) if result else [],
                "hazards": list(result.hazards.all()) if result else [],
            }
        )
    return rows


def inspection_signatures(inspection: Inspection) -> list[Any]:
    return list(
        inspection.signatures.select_related("attachment", "user").order_by("signed_at", "id")
    )


def result_photo(inspection: Inspection, file: str) -> Attachment:
    """A photo of one of the inspection's results (the caller has checked the inspection)."""
    uid = uuid_or_404(file)
    ids = list(InspectionResult.objects.filter(inspection=inspection).values_list("pk", flat=True))
    attachment = Attachment.objects.filter(
        uid=uid, owner_type=InspectionResult._meta.label_lower, owner_id__in=ids
    ).first()
    if attachment is None:
        attachment = attachments_of(inspection).filter(uid=uid).first()
    if attachment is None:
        raise Http404
    return attachment


# --- plans and coverage ----------------------------------------------------------------------


class _Count(Subquery):
    """``(SELECT count(*) FROM (subquery))`` as an annotation (works on every database)."""

    template = "(SELECT count(*) FROM (%(subquery)s) _n)"
    output_field = IntegerField()


def _sites_in_plan() -> QuerySet[Site]:
    """Sites in the area and sectors of the plan ``OuterRef`` points at (not closed)."""
    through = InspectionPlan.sectors.through
    plan_sectors = through.objects.filter(inspectionplan_id=OuterRef(OuterRef("pk")))
    return (
        Site.objects.filter(unit__path__startswith=OuterRef("unit__path"))
        .exclude(status="closed")
        .filter(
            ~Exists(plan_sectors) | Exists(plan_sectors.filter(sector_id=OuterRef("sector_id")))
        )
    )


def plan_list(*, user: Any) -> QuerySet[InspectionPlan]:
    """Plans in the person's scope with ``site_count`` and ``inspected_count``: the sites in
    scope of the plan and those inspected (signed or refused) within its period."""
    in_scope = _sites_in_plan()
    inspected = in_scope.filter(
        Exists(
            Inspection.objects.filter(
                site_id=OuterRef("pk"),
                started_at__date__gte=OuterRef(OuterRef("starts_on")),
                started_at__date__lte=OuterRef(OuterRef("ends_on")),
            ).exclude(status=InspectionStatus.DRAFT)
        )
    )
    return (
        InspectionPlan.objects.restrict(user, "view")
        .select_related("organiser", "unit")
        .prefetch_related("sectors")
        .annotate(
            site_count=_Count(in_scope.values("pk")),
            inspected_count=_Count(inspected.values("pk")),
        )
    )


def coverage(plan: Any) -> int | None:
    """Inspected sites ÷ sites in scope of the plan, in whole per cent (None: no sites)."""
    if not plan.site_count:
        return None
    return round(100 * plan.inspected_count / plan.site_count)


def plan_sites_pending(*, user: Any, plan: InspectionPlan, limit: int = 100) -> list[Site]:
    """Sites of the plan's area and sectors (not closed) the person may see and nobody has
    inspected within the plan's period yet (signed or refused records) — one query."""
    qs = (
        Site.objects.restrict(user, "view")
        .filter(unit__path__startswith=plan.unit.path)
        .exclude(status="closed")
        .exclude(
            Exists(
                Inspection.objects.filter(
                    site_id=OuterRef("pk"),
                    started_at__date__gte=plan.starts_on,
                    started_at__date__lte=plan.ends_on,
                ).exclude(status=InspectionStatus.DRAFT)
            )
        )
        .select_related("sector", "unit")
        .order_by("name", "id")
    )
    sector_ids = [s.pk for s in plan.sectors.all()]
    if sector_ids:
        qs = qs.filter(sector_id__in=sector_ids)
    return list(qs[:limit])


def plan_choices(*, user: Any, today: date | None = None) -> list[InspectionPlan]:
    today = today or timezone.localdate()
    return list(
        InspectionPlan.objects.restrict(user, "view")
        .filter(ends_on__gte=today)
        .order_by(*PLAN_ORDERING)[:50]
    )


def plan_get(*, user: Any, id: str, action: str = "view") -> InspectionPlan:
    """One plan with its coverage annotations: 404 outside the view scope, 403 in scope
    without ``action`` over its organiser or area."""
    uid = _uuid(id)
    plan = plan_list(user=user).filter(uid=uid).first() if uid else None
    if plan is None:
        raise Http404
    if (
        action != "view"
        and not InspectionPlan.objects.restrict(user, action).filter(pk=plan.pk).exists()
    ):
        raise PermissionDenied
    return plan


# --- the dossier's sections ----------------------------------------------------------------------

DOSSIER_LIMIT = 50


def dossier_sections(*, user: Any, site: Site) -> dict[str, Any]:
    """The inspections and hazards sections of a site's dossier (``dossier.DossierRow``s),
    read through this part's own scoping: two queries."""
    from django.urls import reverse

    from anxin.safety.dossier import DossierRow
    from anxin.safety.presenters_hazards import hazard_tone, inspection_tone

    today = timezone.localdate()
    inspections = (
        Inspection.objects.restrict(user, "view")
        .filter(site=site)
        .select_related("template")
        .order_by(*INSPECTION_ORDERING)[:DOSSIER_LIMIT]
    )
    hazards = (
        Hazard.objects.restrict(user, "view")
        .filter(site=site)
        .order_by(*HAZARD_ORDERING)[:DOSSIER_LIMIT]
    )
    inspection_rows = [
        DossierRow(
            on=timezone.localdate(i.started_at),
            title=i.content[:60],
            status=i.get_status_display(),
            url=reverse("inspection_detail", args=[i.uid]),
            note=i.place,
            tone=inspection_tone(i.status),
        )
        for i in inspections
    ]
    hazard_rows = [
        DossierRow(
            on=timezone.localdate(h.found_at),
            title=f"{h.number} {h.description[:60]}",
            status=h.get_status_display(),
            url=reverse("hazard_detail", args=[h.uid]),
            note=" · ".join(
                str(x)
                for x in (
                    h.get_grade_display() if h.grade == HazardGrade.MAJOR else "",
                    _("overdue") if h.is_overdue(today) else "",
                )
                if x
            ),
            tone=hazard_tone(h, today),
        )
        for h in hazards
    ]
    return {
        "show_inspections": True,
        "inspections": inspection_rows,
        "show_hazards": True,
        "hazards": hazard_rows,
    }
