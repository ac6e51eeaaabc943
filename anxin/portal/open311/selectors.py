"""``GET requests``, ``requests/{id}`` and ``tokens/{token}``: what each caller may read.

- The items are petitions and public hazard reports (hazards with a tracking code).
- Without a key, or with a key whose user may not see the item, a request shows only
  ``PUBLIC_FIELDS``. Description, address, media and notes need a key whose user sees the item
  through the one read path (``restrict(user, "petition.view")`` — the whistleblower shield
  included — or ``restrict(user, "hazard.view")``).
- Accusations (检举控告, ``kind="accusation"``) and confidential petitions are never listed;
  ``requests/{id}`` shows one only to a key whose user sees it.
- The petitioner's or reporter's identity is in no output: no field of ``Complainant`` or the
  hazard's reporter is ever read here.

Every list is a fixed number of queries: the petitions, their running clocks, the petitions in
the key's scope; the hazards, the hazards in the key's scope.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from anxin.petitions.choices import Kind, Status
from anxin.petitions.clocks import SUBJECT as PETITION_CLOCKS
from anxin.petitions.models import Petition
from anxin.portal.open311 import catalogue
from anxin.portal.open311.intake import coordinates_label, media_label, place_label
from anxin.safety import public_reports
from anxin.safety.hazard_rules import HazardStatus
from anxin.safety.models_hazards import Hazard
from anxin.supervision.models import Clock

LIMIT = 1000
WINDOW = dt.timedelta(days=90)

PUBLIC_FIELDS = (
    "service_request_id",
    "status",
    "service_code",
    "service_name",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "agency_responsible",
)
FULL_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)

PETITION_CLOSED = (Status.DECLINED, Status.CLOSED, Status.MERGED)
HAZARD_CLOSED = (HazardStatus.CLOSED, HazardStatus.VOID)
HAZARD_NUMBER = re.compile(r"^YH(\d{4})-(\d{1,12})$")


@dataclass
class Filters:
    ids: list[str] | None = None
    service: catalogue.Service | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: frozenset[str] = frozenset({"open", "closed"})


# --- helpers ------------------------------------------------------------------------------------


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def _line_value(text: str, label: str) -> str:
    prefix = re.escape(label) + r"\s*[:：]\s*"
    match = re.search(r"^" + prefix + r"(.+)$", text, flags=re.MULTILINE)
    return match.group(1).strip() if match else ""


def _media_and_coordinates(text: str) -> dict[str, Any]:
    media = _line_value(text, media_label())
    lat = long = None
    coords = re.match(
        r"^(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)$", _line_value(text, coordinates_label())
    )
    if coords:
        lat, long = float(coords.group(1)), float(coords.group(2))
    return {"media_url": media or None, "lat": lat, "long": long}


def _hazard_numbers(ids: list[str]) -> Q:
    q = Q(pk__in=[])
    for value in ids:
        match = HAZARD_NUMBER.match(value)
        if match:
            q |= Q(pk=int(match.group(2)), found_at__year=int(match.group(1)))
    return q


# --- petitions ----------------------------------------------------------------------------------


def _petitions_in_scope(user: Any) -> QuerySet[Petition]:
    return Petition.objects.restrict(user, "petition.view")


def _petition_base(user: Any) -> QuerySet[Petition]:
    public = Q(confidential=False) & ~Q(kind=Kind.ACCUSATION)
    qs = Petition.objects.all()
    if user is not None:
        return qs.filter(public | Q(pk__in=_petitions_in_scope(user).values("pk")))
    return qs.filter(public)


def _petition_rows(user: Any, petitions: list[Petition]) -> list[dict[str, Any]]:
    if not petitions:
        return []
    ids = [p.pk for p in petitions]
    expected: dict[int, dt.datetime] = {}
    for subject_id, due_on, due_at in (
        Clock.objects.open()
        .filter(subject_type=PETITION_CLOCKS, subject_id__in=ids)
        .values_list("subject_id", "due_on", "due_at")
    ):
        due = due_at or _end_of_day(due_on)
        if subject_id not in expected or due < expected[subject_id]:
            expected[subject_id] = due
    full = set()
    if user is not None:
        full = set(_petitions_in_scope(user).filter(pk__in=ids).values_list("pk", flat=True))
    rows = []
    for p in petitions:
        agency = p.lead_unit or p.current_unit
        row: dict[str, Any] = {
            "service_request_id": p.number,
            "status": "closed" if p.status in PETITION_CLOSED else "open",
            "service_code": catalogue.PETITION_PREFIX + p.category.code,
            "service_name": p.category.name,
            "requested_datetime": p.registered_at,
            "updated_datetime": p.updated_at,
            "expected_datetime": expected.get(p.pk),
            "agency_responsible": agency.name,
        }
        if p.pk in full:
            notes = p.get_status_display()
            if p.status == Status.DECLINED and p.decline_reason is not None:
                notes = "；".join(x for x in (p.decline_reason.name, p.channel_advice) if x)
            elif p.status == Status.MERGED and p.merged_into is not None:
                notes = f"{notes}：{p.merged_into.number}"
            elif p.status == Status.CLOSED and p.close_reason:
                notes = p.close_reason
            row.update(
                {
                    "status_notes": notes,
                    "description": p.content,
                    "service_notice": None,
                    "address": _line_value(p.content, place_label())
                    or (p.place_unit.name if p.place_unit else None),
                    "address_id": p.place_unit.code if p.place_unit else None,
                    "zipcode": None,
                    **_media_and_coordinates(p.content),
                }
            )
        rows.append(row)
    return rows


def _petition_query(user: Any) -> QuerySet[Petition]:
    return _petition_base(user).select_related(
        "category", "current_unit", "lead_unit", "place_unit", "decline_reason", "merged_into"
    )


# --- hazards ------------------------------------------------------------------------------------


def _hazard_base() -> QuerySet[Hazard]:
    return Hazard.objects.exclude(tracking_digest="").select_related("unit")


def _hazard_rows(user: Any, hazards: list[Hazard]) -> list[dict[str, Any]]:
    if not hazards:
        return []
    full = set()
    if user is not None:
        full = set(
            Hazard.objects.restrict(user, "hazard.view")
            .filter(pk__in=[h.pk for h in hazards])
            .values_list("pk", flat=True)
        )
    rows = []
    for h in hazards:
        key, name = catalogue.hazard_type_of(h.description)
        is_open = h.status not in HAZARD_CLOSED
        row: dict[str, Any] = {
            "service_request_id": h.number,
            "status": "open" if is_open else "closed",
            "service_code": catalogue.HAZARD_PREFIX + key,
            "service_name": name,
            "requested_datetime": h.found_at,
            "updated_datetime": h.updated_at,
            "expected_datetime": _end_of_day(h.deadline) if is_open and h.deadline else None,
            "agency_responsible": h.unit.name,
        }
        if h.pk in full:
            status = public_reports.PUBLIC_STATUS[HazardStatus(h.status)]
            notes = h.void_reason if h.status == HazardStatus.VOID else ""
            tag = catalogue.hazard_tag(name)
            row.update(
                {
                    "status_notes": notes or str(public_reports.public_status_label(status)),
                    "description": h.description.removeprefix(tag),
                    "service_notice": None,
                    "address": h.place or None,
                    "address_id": h.unit.code,
                    "zipcode": None,
                    **_media_and_coordinates(h.description),
                }
            )
        rows.append(row)
    return rows


# --- the endpoints ------------------------------------------------------------------------------


def _ordered(row: dict[str, Any]) -> dict[str, Any]:
    fields = FULL_FIELDS if "description" in row else PUBLIC_FIELDS
    return {name: row.get(name) for name in fields}


def request_list(*, user: Any, filters: Filters) -> list[dict[str, Any]]:
    """The requests matching ``filters``, newest first, at most ``LIMIT``; never an accusation
    or a confidential petition, whoever asks."""
    petitions = _petition_query(user).exclude(kind=Kind.ACCUSATION).exclude(confidential=True)
    hazards = _hazard_base()
    if filters.ids is not None:
        petitions = petitions.filter(number__in=filters.ids)
        hazards = hazards.filter(_hazard_numbers(filters.ids))
    else:
        service = filters.service
        if service is not None and service.kind == "petition":
            petitions = petitions.filter(category=service.category)
            hazards = hazards.none()
        elif service is not None:
            hazards = hazards.filter(catalogue.hazard_type_q(service.hazard_type))
            petitions = petitions.none()
        if filters.start is not None:
            petitions = petitions.filter(registered_at__gte=filters.start)
            hazards = hazards.filter(found_at__gte=filters.start)
        if filters.end is not None:
            petitions = petitions.filter(
                registered_at__lte=filters.end, received_on__lte=timezone.localdate(filters.end)
            )
            hazards = hazards.filter(found_at__lte=filters.end)
        if filters.statuses == frozenset({"open"}):
            petitions = petitions.exclude(status__in=PETITION_CLOSED)
            hazards = hazards.exclude(status__in=HAZARD_CLOSED)
        elif filters.statuses == frozenset({"closed"}):
            petitions = petitions.filter(status__in=PETITION_CLOSED)
            hazards = hazards.filter(status__in=HAZARD_CLOSED)
    rows = _petition_rows(user, list(petitions.order_by("-registered_at", "-id")[:LIMIT]))
    rows += _hazard_rows(user, list(hazards.order_by("-found_at", "-id")[:LIMIT]))
    rows.sort(key=lambda r: r["requested_datetime"], reverse=True)
    return [_ordered(r) for r in rows[:LIMIT]]


def request_get(*, user: Any, request_id: str) -> dict[str, Any] | None:
    """One request by its number, or ``None`` (unknown, or not for this caller)."""
    petition = _petition_query(user).filter(number=request_id).first()
    if petition is not None:
        return _ordered(_petition_rows(user, [petition])[0])
    hazard = _hazard_base().filter(_hazard_numbers([request_id])).first()
    if hazard is not None:
        return _ordered(_hazard_rows(user, [hazard])[0])
    return None


def token_get(token: str) -> dict[str, str] | None:
    """``tokens/{token}``: the number of the web petition or hazard report created with it."""
    try:
        uid = uuid.UUID(token)
    except ValueError:
        return None
    petition = Petition.objects.filter(uid=uid, channel="web").only("number").first()
    if petition is not None:
        return {"service_request_id": petition.number, "token": token}
    hazard = _hazard_base().filter(uid=uid).first()
    if hazard is not None:
        return {"service_request_id": hazard.number, "token": token}
    return None
