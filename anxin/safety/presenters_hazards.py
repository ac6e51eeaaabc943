"""Hazards and inspections as people see them: API shapes, timeline labels, badge colours."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import pgettext_lazy

from anxin.safety.hazard_rules import CLOCK_NAME, HazardGrade, HazardStatus
from anxin.safety.models_hazards import Hazard
from anxin.safety.models_inspections import Inspection, InspectionStatus

#: the hazard's own timeline
HAZARD_EVENT_LABELS = {
    "reported": pgettext_lazy("hazard event", "Reported"),
    "registered": pgettext_lazy("hazard event", "Registered"),
    "rectification_started": pgettext_lazy("hazard event", "Rectification started (五落实)"),
    "rectification_submitted": pgettext_lazy("hazard event", "Rectification submitted"),
    "verified": pgettext_lazy("hazard event", "Verification passed"),
    "verification_failed": pgettext_lazy("hazard event", "Verification failed: back to rectifying"),
    "resumption_approved": pgettext_lazy("hazard event", "Resumption of production approved"),
    "listed_for_supervision": pgettext_lazy("hazard event", "Listed for supervision (挂牌督办)"),
    "closed": pgettext_lazy("hazard event", "Closed (销号)"),
    "voided": pgettext_lazy("hazard event", "Voided"),
    "inspection_task": pgettext_lazy("hazard event", "Inspection arranged"),
    "regraded": pgettext_lazy("hazard event", "Regraded"),
    "resumption_applied": pgettext_lazy("hazard event", "Applied in writing to resume production"),
    "resumption_refused": pgettext_lazy("hazard event", "Resumption of production refused"),
}


class _HazardLine:
    """A lazy "隐患：<step>" label (translated when rendered)."""

    def __init__(self, step: Any) -> None:
        self.step = step

    def __str__(self) -> str:
        return str(pgettext_lazy("site event", "Hazard: %(step)s")) % {"step": self.step}


#: lines this part adds to the site's timeline (merged into presenters.EVENT_LABELS at
#: start-up by hazard_permissions): "隐患：销号" and so on
SITE_EVENT_LABELS = {
    "inspection_recorded": pgettext_lazy("site event", "Inspection recorded"),
    "inspection_signed": pgettext_lazy("site event", "Inspection record signed"),
    "inspection_refused": pgettext_lazy(
        "site event", "Leader refused to sign the inspection record"
    ),
    **{f"hazard_{k}": _HazardLine(v) for k, v in HAZARD_EVENT_LABELS.items()},
}

CLOCK_LABELS = {
    CLOCK_NAME: pgettext_lazy("hazard clock", "Rectify by"),
    # resumption_review_<n>: the n-th written application to resume (16号令 Art. 23)
    "resumption_review": pgettext_lazy("hazard clock", "Review of the application to resume"),
}


def hazard_event_label(kind: str) -> str:
    return str(HAZARD_EVENT_LABELS.get(kind, kind))


def hazard_tone(hazard: Hazard, today: date | None = None) -> str:
    if hazard.is_overdue(today):
        return "danger"
    tones: dict[str, str] = {
        HazardStatus.REPORTED: "info",
        HazardStatus.REGISTERED: "warning",
        HazardStatus.RECTIFYING: "warning",
        HazardStatus.SUBMITTED: "primary",
        HazardStatus.VERIFIED: "success",
        HazardStatus.CLOSED: "secondary",
        HazardStatus.VOID: "light",
    }
    return tones.get(hazard.status, "secondary")


def inspection_tone(status: str) -> str:
    tones: dict[str, str] = {
        InspectionStatus.DRAFT: "warning",
        InspectionStatus.SIGNED: "success",
        InspectionStatus.REFUSED_TO_SIGN: "danger",
    }
    return tones.get(status, "secondary")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def hazard_out(h: Hazard, today: date | None = None) -> dict[str, Any]:
    """The API's hazard (list rows and the answer of every action)."""
    today = today or timezone.localdate()
    return {
        "id": str(h.uid),
        "number": h.number,
        "site": str(h.site.uid) if h.site is not None else None,
        "site_name": h.site.name if h.site is not None else None,
        "unit": h.unit.code,
        "description": h.description,
        "place": h.place,
        "grade": h.grade,
        "status": h.status,
        "source": h.source,
        "found_at": h.found_at,
        "deadline": h.deadline,
        "overdue": h.is_overdue(today),
        "responsible": h.responsible,
        "measures": h.measures,
        "funds": float(h.funds) if h.funds is not None else None,
        "contingency_plan": h.contingency_plan,
        "production_stopped": h.production_stopped,
        "resumption_approved_at": h.resumption_approved_at,
        "supervision": (
            {
                "unit": h.supervision_unit.code,
                "unit_name": h.supervision_unit.name,
                "listed_at": h.supervision_listed_at,
                "document": h.supervision_document,
            }
            if h.supervision_unit is not None
            else None
        ),
        "submitted_at": h.submitted_at,
        "verified_at": h.verified_at,
        "verification_notes": h.verification_notes,
        "closed_at": h.closed_at,
        "void_reason": h.void_reason,
        "recurrence_of": str(h.recurrence_of.uid) if h.recurrence_of is not None else None,
        "inspection": str(h.inspection.uid) if h.inspection is not None else None,
        "checklist_item": h.checklist_item_id,
        "version": h.version,
        "created_at": h.created_at,
        "updated_at": h.updated_at,
    }


def hazard_detail_out(
    h: Hazard, *, actions: list[str], evidence: list[Any], events: list[Any]
) -> dict[str, Any]:
    out = hazard_out(h)
    out["actions"] = actions
    out["evidence"] = [
        {"id": str(a.uid), "name": a.name, "size": a.size, "uploaded_at": a.uploaded_at}
        for a in evidence
    ]
    out["timeline"] = [
        {"at": e.at, "kind": e.kind, "actor": e.actor_label, "data": e.data} for e in events
    ]
    return out


def inspection_out(i: Inspection, inspectors: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": str(i.uid),
        "site": str(i.site.uid),
        "site_name": i.site.name,
        "plan": str(i.plan.uid) if i.plan is not None else None,
        "checklist": i.template_id,
        "checklist_version": i.template.version if i.template is not None else None,
        "started_at": i.started_at,
        "place": i.place,
        "content": i.content,
        "problems": i.problems,
        "handling": i.handling,
        "penalty_proposed": i.penalty_proposed,
        "status": i.status,
        "leader_name": i.leader_name,
        "refusal_note": i.refusal_note,
        "inspectors": inspectors if inspectors is not None else [],
        "version": i.version,
    }


def grade_label(grade: str) -> str:
    return str(HazardGrade(grade).label) if grade in HazardGrade.values else grade
