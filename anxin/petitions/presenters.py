"""Turning cases into what people may see: masked personal data, deadlines in batches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from anxin.core.identifiers import mask_address, mask_id_number, mask_name, mask_phone
from anxin.petitions.models import Complainant, Petition
from anxin.petitions.selectors import can_see_identity


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
) -> dict[str, Any]:
    identity = can_see_identity(user, p) if user is not None else False
    people = list(p.complainants.all()) if not p.anonymous else []
    data = petition_out(p, deadlines_for([p])[p.pk])
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
