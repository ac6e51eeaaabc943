"""Turning cases into what people may see: masked personal data, deadlines in batches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from anxin.core.identifiers import mask_address, mask_id_number, mask_name, mask_phone
from anxin.petitions.models import Complainant, Petition
from anxin.petitions.selectors import can_see_identity

#: the timeline's steps as pages show them (the API and the audit trail keep the codes)
EVENT_LABELS = {
    "registered": pgettext_lazy("petition event", "Registered"),
    "repeat_matched": pgettext_lazy("petition event", "Related earlier cases found"),
    "forwarded": pgettext_lazy("petition event", "Forwarded"),
    "objected": pgettext_lazy("petition event", "Objection raised"),
    "objection_settled": pgettext_lazy("petition event", "Objection settled"),
    "accepted": pgettext_lazy("petition event", "Accepted"),
    "declined": pgettext_lazy("petition event", "Not accepted"),
    "merged": pgettext_lazy("petition event", "Merged into another case"),
    "merged_in": pgettext_lazy("petition event", "Another case merged in"),
    "extended": pgettext_lazy("petition event", "Time limit extended"),
    "paused": pgettext_lazy("petition event", "Clock paused"),
    "resumed": pgettext_lazy("petition event", "Clock resumed"),
    "decision_drafted": pgettext_lazy("petition event", "Decision drafted"),
    "review_drafted": pgettext_lazy("petition event", "Review decision drafted"),
    "recheck_drafted": pgettext_lazy("petition event", "Re-review decision drafted"),
    "signed_off": pgettext_lazy("petition event", "Signed off"),
    "delivered": pgettext_lazy("petition event", "Delivered"),
    "rated": pgettext_lazy("petition event", "Rated"),
    "review_requested": pgettext_lazy("petition event", "Review requested"),
    "recheck_requested": pgettext_lazy("petition event", "Re-review requested"),
    "closed": pgettext_lazy("petition event", "Closed"),
    "owner_set": pgettext_lazy("petition event", "Owner named"),
    "plan_step_added": pgettext_lazy("petition event", "Plan step added"),
    "plan_step_done": pgettext_lazy("petition event", "Plan step done"),
    "backlog_listed": pgettext_lazy("petition event", "Listed as backlog"),
    "backlog_target_changed": pgettext_lazy("petition event", "Backlog target date changed"),
    "deadline_recomputed": pgettext_lazy("petition event", "Deadline recomputed"),
    "hazard_linked": pgettext_lazy("petition event", "Hazard registered from this case"),
    "hazard_closed": pgettext_lazy("petition event", "Linked hazard closed: answer the petitioner"),
}

#: the clocks (anxin.petitions.rules.CLOCKS) as pages show them
CLOCK_LABELS = {
    "accept_by": pgettext_lazy("petition clock", "Accept by"),
    "object_by": pgettext_lazy("petition clock", "Object by"),
    "handle_by": pgettext_lazy("petition clock", "Handle by"),
    "review_request_by": pgettext_lazy("petition clock", "Request review by"),
    "review_by": pgettext_lazy("petition clock", "Review by"),
    "recheck_request_by": pgettext_lazy("petition clock", "Request re-review by"),
    "recheck_by": pgettext_lazy("petition clock", "Re-review by"),
}


def event_label(kind: str) -> str:
    """A timeline step in the reader's language; an unknown kind shows as its code."""
    return str(EVENT_LABELS.get(kind, kind))


def clock_label(name: str) -> str:
    return str(CLOCK_LABELS.get(name, name))


def deadlines_for(petitions: list[Petition]) -> dict[int, dict[str, str]]:
    """Deadlines of many cases in one query (the ledger must not query per row)."""
    from anxin.supervision.models import Clock

    out: dict[int, dict[str, str]] = defaultdict(dict)
    rows = (
        Clock.objects.filter(
            subject_type="petitions.petition", subject_id__in=[p.pk for p in petitions]
        )
        .exclude(state="cancelled")
        .values_list("subject_id", "name", "due_on")
    )
    for subject_id, name, due_on in rows:
        out[subject_id][name] = due_on.isoformat()
    return out


def _code(unit: Any) -> str | None:
    return unit.code if unit is not None else None


def petition_out(p: Petition, deadlines: dict[str, str]) -> dict[str, Any]:
    return {
        "id": str(p.uid),
        "number": p.number,
        "status": p.status,
        "status_label": p.get_status_display(),
        "channel": p.channel,
        "kind": p.kind,
        "category": p.category.code,
        "title": p.title,
        "received_on": p.received_on,
        "registering_unit": p.registering_unit.code,
        "current_unit": p.current_unit.code,
        "lead_unit": _code(p.lead_unit),
        "leader": p.leader.username if p.leader is not None else None,
        "outcome": p.outcome,
        "rating": p.rating,
        "transfers": p.transfer_count,
        "supporters": p.supporters,
        "anonymous": p.anonymous,
        "confidential": p.confidential,
        "flags": list(p.flags),
        "version": p.version,
        "deadlines": dict(sorted(deadlines.items())),
    }


def person_out(c: Complainant, *, identity: bool, revealed: bool = False) -> dict[str, Any]:
    if not identity:
        return {
            "name": _("(confidential)"),
            "id_number": "",
            "phone": "",
            "address": "",
            "representative": c.is_representative,
        }
    if revealed:
        return {
            "name": c.name,
            "id_number": c.id_number,
            "phone": c.phone,
            "address": c.address,
            "representative": c.is_representative,
        }
    return {
        "name": c.name if identity else mask_name(c.name),
        "id_number": mask_id_number(c.id_number) if c.id_number else "",
        "phone": mask_phone(c.phone) if c.phone else "",
        "address": mask_address(c.address) if c.address else "",
        "representative": c.is_representative,
    }


def petition_detail(
    p: Petition,
    user: Any,
    *,
    related: list[dict[str, Any]] | None = None,
    query_code: str | None = None,
    complainants: list[Complainant] | None = None,
    deadlines: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One case in full; ``complainants`` and ``deadlines`` when the caller has just written
    them (the acknowledgement of an intake), else read here."""
    identity = can_see_identity(user, p) if user is not None else False
    if p.anonymous:
        people: list[Complainant] = []
    else:
        people = complainants if complainants is not None else list(p.complainants.all())
    data = petition_out(p, deadlines if deadlines is not None else deadlines_for([p])[p.pk])
    data.update(
        {
            "content": p.content,
            "place_unit": _code(p.place_unit),
            "accused_unit": _code(p.accused_unit),
            "review_unit": _code(p.review_unit),
            "recheck_unit": _code(p.recheck_unit),
            "complainants": [person_out(c, identity=identity) for c in people],
            "related": [
                {"id": r["id"], "number": r["number"], "reason": r["reason"]}
                for r in (related or [])
            ],
            "query_code": query_code,
        }
    )
    return data
