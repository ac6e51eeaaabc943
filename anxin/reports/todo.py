"""我的待办: what the signed-in person must do next, from the one clock table, by due date.

A running clock is on a person's list when they are its ``responsible`` person, or when it has
no responsible person and sits in a unit where one of their roles grants the step the clock
waits for (accepting, handling, reviewing a petition; rectifying a hazard; an accident's or an
enforcement order's follow-up). One indexed query for the clocks, then one scoped query per kind
of item for the links — an item the person may not see (the whistleblower shield) is left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from anxin.core import permissions
from anxin.core.scoping import grants_of

LIMIT = 20

#: subject type → {clock name → the action whose holders must act}; clocks the public waits on
#: (a petitioner's period to ask for a review) are not anybody's to-do.
STEPS: dict[str, dict[str, str]] = {
    "petitions.petition": {
        "accept_by": "petition.dispatch",
        "object_by": "petition.dispatch",
        "handle_by": "petition.handle",
        "review_by": "petition.review",
        "recheck_by": "petition.recheck",
    },
    "safety.hazard": {},  # rectify_by, resumption_review_<n>: hazard.manage
    "safety.accident": {},  # every accident clock: accident.manage (see _action)
    "safety.enforcementorder": {"reinspect_by": "enforcement.issue"},
    "supervision.supervisionnotice": {},  # reply_by, reply_by_<n>: the addressed unit replies
}
ANY_NAME_ACTION = {
    "safety.hazard": "hazard.manage",
    "safety.accident": "accident.manage",
    "supervision.supervisionnotice": "notice.reply",
}
DETAIL_URLS = {
    "petitions.petition": "petition_detail",
    "safety.hazard": "hazard_detail",
    "safety.accident": "accident_detail",
    "safety.enforcementorder": "enforcement_detail",
}


@dataclass(frozen=True)
class TodoItem:
    kind: str
    label: str
    clock: str
    due_on: dt.date
    unit: str
    url: str
    overdue: bool
    mine: bool


def _units_granting(user: Any, action: str) -> list[int]:
    return [g.unit_id for g in grants_of(user) if permissions.role_grants(g.role, action)]


def _waiting_q(user: Any) -> Q:
    q = Q(responsible=user)
    for subject_type, names in STEPS.items():
        if subject_type in ANY_NAME_ACTION:
            units = _units_granting(user, ANY_NAME_ACTION[subject_type])
            if units:
                q |= Q(subject_type=subject_type, responsible__isnull=True, unit_id__in=units)
            continue
        for name, action in names.items():
            units = _units_granting(user, action)
            if units:
                q |= Q(
                    subject_type=subject_type,
                    name=name,
                    responsible__isnull=True,
                    unit_id__in=units,
                )
    return q


def _subjects(user: Any, subject_type: str, ids: list[int]) -> dict[int, tuple[str, str]]:
    """id → (label, url) of the items of one kind that the person may see."""
    if subject_type == "petitions.petition":
        from anxin.petitions.models import Petition

        rows = (
            Petition.objects.restrict(user, "view")
            .filter(pk__in=ids)
            .only("uid", "number", "title")
        )
        return {
            p.pk: (f"{p.number} {p.title}", reverse("petition_detail", args=[p.uid])) for p in rows
        }
    if subject_type == "safety.hazard":
        from anxin.safety.models import Hazard

        hazards = (
            Hazard.objects.restrict(user, "view")
            .filter(pk__in=ids)
            .only("uid", "found_at", "description")
        )
        return {
            h.pk: (f"{h.number} {h.description[:40]}", reverse("hazard_detail", args=[h.uid]))
            for h in hazards
        }
    if subject_type == "safety.accident":
        from anxin.safety.models_accidents import Accident

        accidents = (
            Accident.objects.restrict(user, "view")
            .filter(pk__in=ids)
            .only("uid", "place", "occurred_at")
        )
        return {
            a.pk: (
                f"{timezone.localtime(a.occurred_at):%Y-%m-%d} {a.place}",
                reverse("accident_detail", args=[a.uid]),
            )
            for a in accidents
        }
    if subject_type == "safety.enforcementorder":
        from anxin.safety.models_enforcement import EnforcementOrder

        orders = EnforcementOrder.objects.restrict(user, "view").filter(pk__in=ids)
        return {o.pk: (str(o), reverse("enforcement_detail", args=[o.uid])) for o in orders}
    if subject_type == "supervision.supervisionnotice":
        from anxin.supervision.models_notices import SupervisionNotice

        notices = SupervisionNotice.objects.restrict(user, "view").filter(pk__in=ids)
        return {n.pk: (str(n), reverse("notice_detail", args=[n.uid])) for n in notices}
    return {}


def todo_for(user: Any, *, limit: int = LIMIT, today: dt.date | None = None) -> list[TodoItem]:
    from anxin.supervision.links import clock_label
    from anxin.supervision.models import Clock

    today = today or timezone.localdate()
    clocks = list(
        Clock.objects.restrict(user, "view")
        .filter(state="running", subject_type__in=list(STEPS))
        .filter(_waiting_q(user))
        .select_related("unit")
        .order_by("due_on", "id")[:limit]
    )
    by_type: dict[str, list[int]] = {}
    for c in clocks:
        by_type.setdefault(c.subject_type, []).append(c.subject_id)
    subjects = {st: _subjects(user, st, ids) for st, ids in by_type.items()}
    kinds = _kind_labels()
    items = []
    for c in clocks:
        found = subjects[c.subject_type].get(c.subject_id)
        if found is None:
            continue
        label, url = found
        items.append(
            TodoItem(
                kind=kinds.get(c.subject_type, c.subject_type),
                label=label,
                clock=clock_label(c.subject_type, c.name),
                due_on=c.due_on,
                unit=c.unit.name,
                url=url,
                overdue=c.due_on < today,
                mine=c.responsible_id == user.pk,
            )
        )
    return items


def _kind_labels() -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {
        "petitions.petition": _("Petition"),
        "safety.hazard": _("Hazard"),
        "safety.accident": _("Accident"),
        "safety.enforcementorder": _("Enforcement order"),
        "supervision.supervisionnotice": _("Supervision notice"),
    }


def home_panel(request: Any) -> dict[str, Any] | None:
    """The home page's 我的待办 panel (registered with core's home_panels)."""
    user = request.user
    if not user.is_authenticated or not grants_of(user):
        return None
    return {"todo_items": todo_for(user)}
