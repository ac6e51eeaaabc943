"""The ledger's filters: one function serves the page, the API and the export."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from anxin.core.models import Unit
from anxin.petitions.choices import Channel, Kind, Status
from anxin.petitions.models import Petition

NUMBER_RE = re.compile(r"XF\d{11}")

FILTERS = (
    "status",
    "channel",
    "kind",
    "category",
    "unit",
    "received_in",
    "leader",
    "overdue",
    "backlog",
    "date_from",
    "date_to",
    "q",
)


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def petition_filter(qs: QuerySet[Petition], **params: Any) -> QuerySet[Petition]:
    status = params.get("status")
    if status in Status.values:
        qs = qs.filter(status=status)
    elif status == "open":
        qs = qs.exclude(status__in=[Status.CLOSED, Status.MERGED])
    if params.get("channel") in Channel.values:
        qs = qs.filter(channel=params["channel"])
    if params.get("kind") in Kind.values:
        qs = qs.filter(kind=params["kind"])
    if params.get("category"):
        qs = qs.filter(category__code=params["category"])
    if params.get("unit"):
        root = Unit.objects.filter(code=params["unit"]).values_list("path", flat=True).first()
        if root is None:
            return qs.none()
        qs = qs.filter(Q(current_unit__path__startswith=root) | Q(lead_unit__path__startswith=root))
    if params.get("received_in"):  # the registering unit's subtree (dashboards' drill-down)
        root = (
            Unit.objects.filter(code=params["received_in"]).values_list("path", flat=True).first()
        )
        if root is None:
            return qs.none()
        qs = qs.filter(registering_unit__path__startswith=root)
    if params.get("leader"):
        qs = qs.filter(leader__username=params["leader"])
    if str(params.get("overdue", "")).lower() in ("1", "true", "yes", "on"):
        from anxin.supervision.models import Clock

        qs = qs.filter(
            pk__in=Clock.objects.filter(
                subject_type="petitions.petition", state="running", due_on__lt=timezone.localdate()
            ).values("subject_id")
        )
    if str(params.get("backlog", "")).lower() in ("1", "true", "yes", "on"):
        qs = qs.filter(is_backlog=True)
    if d := _date(params.get("date_from")):
        qs = qs.filter(received_on__gte=d)
    if d := _date(params.get("date_to")):
        qs = qs.filter(received_on__lte=d)
    q = str(params.get("q") or "").strip()
    if NUMBER_RE.fullmatch(q.upper()):
        return qs.filter(number=q.upper())  # a case number is looked up, not searched
    if q:
        from anxin.core.search import search_filter
        from anxin.petitions.matching import SEARCH_TABLE

        qs = search_filter(qs, SEARCH_TABLE, q)
    return qs
