"""Keeping the daily rollups: increments in the writer's transaction, and a set-based rebuild.

Incremental (:func:`apply_event`, called by :mod:`anxin.reports.receivers` for every audited
change): an action that moves a counter becomes one ``UPDATE … SET n = n + 1`` on the row of its
key, or an ``INSERT`` when the row does not exist yet (in a savepoint, so that two writers racing
to create the same row both end up counted). At most one small indexed read comes before it
(the timeline row just written, for the unit that acted).

Rebuild (:func:`rebuild`): delete the rows of a date range and recompute them from the ledgers
with ``GROUP BY`` queries (the timelines ``PetitionEvent`` and ``HazardEvent``, the clocks, the
accidents and inspections), then insert the aggregated rows in batches. Both paths take every
dimension from the same columns, so a rebuild equals the increments (``test_rollups_rebuild``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from anxin.core.bulk import RowInserter
from anxin.reports import kpi_rollups
from anxin.reports.models_rollups import (
    AccidentDaily,
    ClockDaily,
    HazardDaily,
    InspectionDaily,
    PetitionDaily,
    PetitionMonthly,
)

#: timeline kinds of a petition → the counter they move (``signed_off`` only at stage decision)
PETITION_STEPS = {
    "accepted": "accepted",
    "declined": "declined",
    "signed_off": "replied",
    "closed": "closed",
}
PETITION_SUBJECT = "petitions.petition"


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, _tz()).date()
    return value


def bump(model: type[models.Model], key: dict[str, Any], **deltas: int) -> None:
    """Add ``deltas`` to the counters of the row of ``key``; create it when missing."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    manager = model._default_manager
    changes = {k: F(k) + v for k, v in deltas.items()}
    if manager.filter(**key).update(**changes):
        return
    try:
        with transaction.atomic():
            manager.create(**key, **deltas)
    except IntegrityError:  # another writer created it meanwhile
        manager.filter(**key).update(**changes)


# --- incremental ------------------------------------------------------------------------------


RELEVANT_DOMAINS = frozenset({"petition", "hazard", "accident", "inspection"})


def is_relevant(event: Any) -> bool:
    """Whether an audited action may move a counter (cheap: no query)."""
    action: str = event.action
    return (
        action.partition(".")[0] in RELEVANT_DOMAINS
        or event.object_type == "safety.hazard"
        or action == "site.update"
        or (
            action.startswith("clock.")
            and event.object_type in (PETITION_SUBJECT, "supervision.clock")
        )
    )


def apply_event(event: Any, obj: Any) -> None:
    """Map one audited change to counter increments (a no-op for every other action), and
    recompute the indicator rows of the case or hazards it changed."""
    domain, _sep, verb = event.action.partition(".")
    if domain == "petition" and event.object_type == PETITION_SUBJECT:
        _petition_kpis(verb, event)
    kpi_rollups.refresh_hazards(_hazards_touched(event))
    _counters(event, obj)


def _counters(event: Any, obj: Any) -> None:
    """The daily counters one audited change moves."""
    action: str = event.action
    domain, _sep, verb = action.partition(".")
    if domain == "petition" and obj is not None:
        _petition(verb, event, obj)
    elif domain == "hazard" and obj is not None and verb in ("registered", "closed"):
        _hazard(verb, obj)
    elif domain == "accident" and obj is not None and verb in ("report", "regraded"):
        _accident(verb, event, obj)
    elif domain == "inspection" and obj is not None and verb in ("create", "update"):
        _inspection(verb, event, obj)
    elif action == "clock.recompute":
        _clocks_recomputed(event)
    elif action.startswith("clock.") and event.object_type == PETITION_SUBJECT:
        _clock_moved(event)
        if action == "clock.stop":
            _petition_clock_missed(event)


def apply_events(pairs: list[tuple[Any, Any]]) -> None:
    """:func:`apply_event` for a batch (an import): the hazards registered are counted with
    one increment per rollup row, the indicator rows of the cases and hazards changed are
    recomputed together; any other counter moves as one by one."""
    found: dict[tuple[Any, ...], int] = {}
    cases: set[int] = set()
    hazards: set[int] = set()
    for event, obj in pairs:
        domain, _sep, verb = event.action.partition(".")
        if domain == "petition" and event.object_type == PETITION_SUBJECT:
            if verb not in kpi_rollups.READ_ONLY and event.object_id:
                cases.add(int(event.object_id))
            if obj is not None:
                _petition(verb, event, obj)
            continue
        hazards |= _hazards_touched(event)
        if event.action == "hazard.registered" and obj is not None:
            key = _hazard_key(obj, obj.found_at)
            if key is not None:
                found[key] = found.get(key, 0) + 1
        else:
            _counters(event, obj)
    if found:
        _bump_many(HazardDaily, HAZARD_KEY, "found", found)
    kpi_rollups.refresh(cases)
    kpi_rollups.refresh_hazards(hazards)


def _hazards_touched(event: Any) -> set[int]:
    """The hazards whose indicator rows an audited change may move: the hazard changed, or
    every hazard of a site whose regulating department may have changed."""
    if not event.object_id:
        return set()
    if event.object_type == "safety.hazard":
        return {int(event.object_id)}
    if event.action == "site.update":
        from anxin.safety.models_hazards import Hazard

        return set(Hazard.objects.filter(site_id=int(event.object_id)).values_list("pk", flat=True))
    return set()


def _petition_kpis(verb: str, event: Any) -> None:
    """A case changed: its rows of the day-additive indicators recomputed and moved (a case
    just registered has no rows yet: nothing to read)."""
    if verb not in kpi_rollups.READ_ONLY and event.object_id:
        kpi_rollups.refresh([int(event.object_id)], new=verb == "registered")


HAZARD_KEY = ("day", "unit_id", "regulating_unit_id", "grade", "sector_id")


def _bump_many(
    model: type[models.Model], fields: tuple[str, ...], counter: str, deltas: dict[Any, int]
) -> None:
    """:func:`bump_rows` of one counter."""
    bump_rows(model, fields, {key: {counter: n} for key, n in deltas.items()})


def bump_rows(
    model: type[models.Model], fields: tuple[str, ...], deltas: dict[Any, dict[str, int]]
) -> None:
    """:func:`bump` for many rows in a few statements: the existing rows of the keys (``day``
    and ``unit_id`` first in ``fields``) read in one query, their counters raised in one batched
    ``UPDATE`` per counter, the missing rows inserted in batches. Should another writer insert
    one of those rows meanwhile, each key is bumped on its own."""
    deltas = {k: c for k, v in deltas.items() if (c := {n: d for n, d in v.items() if d})}
    if not deltas:
        return
    manager = model._default_manager
    days = {key[0] for key in deltas}
    units = {key[1] for key in deltas}
    existing = {
        tuple(row[1:]): row[0]
        for row in manager.filter(day__in=days, unit_id__in=units).values_list("pk", *fields)
    }
    table = connection.ops.quote_name(model._meta.db_table)
    counters = sorted({c for v in deltas.values() for c in v})
    for counter in counters:
        column = model._meta.get_field(counter).column  # type: ignore[union-attr]
        # in the rows' key order: two writers moving the same rows lock them in one order
        updates = sorted(
            (
                (v[counter], existing[key])
                for key, v in deltas.items()
                if key in existing and counter in v
            ),
            key=lambda u: u[1],
        )
        if updates:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET {column} = {column} + %s WHERE id = %s",  # noqa: S608
                    updates,
                )
    # the new rows as tuples (the other counters 0): a model instance per row costs more
    # than the insert
    missing = [
        (*key, *(v.get(c, 0) for c in counters)) for key, v in deltas.items() if key not in existing
    ]
    if not missing:
        return
    try:
        with transaction.atomic():
            RowInserter(model, (*fields, *counters)).write(missing, batch=1000)
    except IntegrityError:
        for row in missing:
            key, counts = row[: len(fields)], row[len(fields) :]
            bump(
                model,
                dict(zip(fields, key, strict=True)),
                **dict(zip(counters, counts, strict=True)),
            )


def _hazard_key(hazard: Any, when: Any) -> tuple[Any, ...] | None:
    site = hazard.site
    if site is None or when is None:
        return None
    return (local_day(when), site.unit_id, site.regulating_unit_id, hazard.grade, site.sector_id)


def _petition_key(petition: Any, day: dt.date, unit_id: int) -> dict[str, Any]:
    return {
        "day": day,
        "unit_id": unit_id,
        "channel": petition.channel,
        "kind": petition.kind,
        "category_id": petition.category_id,
    }


#: :class:`PetitionMonthly`'s dimensions → the petition's (and :class:`PetitionDaily`'s) field
MONTHLY_DIMS = (
    (PetitionMonthly.Dim.CHANNEL, "channel"),
    (PetitionMonthly.Dim.KIND, "kind"),
    (PetitionMonthly.Dim.CATEGORY, "category_id"),
)


def _monthly_keys(petition: Any, day: dt.date, unit_id: int) -> list[tuple[Any, ...]]:
    month = day.replace(day=1)
    return [
        (month, unit_id, str(dim), str(getattr(petition, field))) for dim, field in MONTHLY_DIMS
    ]


def bump_monthly(deltas: dict[tuple[Any, ...], int]) -> None:
    """Add to the ``received`` of :class:`PetitionMonthly` rows of keys ``(month, unit_id, dim,
    value)``, creating the missing ones: one ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL
    and SQLite), so two writers racing on a new row are both counted, with no savepoint."""
    deltas = {key: n for key, n in deltas.items() if n}
    if not deltas:
        return
    meta = PetitionMonthly._meta
    q = connection.ops.quote_name
    table = q(meta.db_table)
    column = {f.name: f.column for f in meta.concrete_fields}
    columns = [q(column[f]) for f in ("month", "unit", "dim", "value")]
    received = q(column["received"])
    params: list[Any] = []
    for (month, unit_id, dim, value), n in deltas.items():
        params += [connection.ops.adapt_datefield_value(month), unit_id, dim, value, n]
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(deltas))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, {received}) VALUES {rows} "  # noqa: S608
            f"ON CONFLICT ({', '.join(columns)}) "
            f"DO UPDATE SET {received} = {table}.{received} + excluded.{received}",
            params,
        )


def _petition(verb: str, event: Any, petition: Any) -> None:
    if verb == "registered":
        key = _petition_key(petition, petition.received_on, petition.registering_unit_id)
        bump(PetitionDaily, key, received=1)
        keys = _monthly_keys(petition, petition.received_on, petition.registering_unit_id)
        bump_monthly(dict.fromkeys(keys, 1))
        return
    counter = PETITION_STEPS.get(verb)
    if counter is None or (verb == "signed_off" and event.after.get("stage") != "decision"):
        return
    from anxin.petitions.models import PetitionEvent

    row = (
        PetitionEvent.objects.filter(petition_id=petition.pk, kind=verb)
        .order_by("-id")
        .values("unit_id", "at")
        .first()
    )
    if row is None:
        return
    unit_id = row["unit_id"] or petition.current_unit_id
    bump(PetitionDaily, _petition_key(petition, local_day(row["at"]), unit_id), **{counter: 1})


def _petition_clock_missed(event: Any) -> None:
    after = event.after or {}
    if after.get("state") != "missed" or not after.get("stopped_on"):
        return
    from anxin.petitions.models import Petition

    petition = (
        Petition.objects.filter(pk=int(event.object_id))
        .only("channel", "kind", "category_id")
        .first()
    )
    if petition is None:
        return
    day = dt.date.fromisoformat(after["stopped_on"])
    bump(PetitionDaily, _petition_key(petition, day, int(after["unit_id"])), overdue=1)


def _clock_key(snapshot: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not snapshot or not snapshot.get("due_on") or not snapshot.get("unit_id"):
        return None
    return {
        "day": dt.date.fromisoformat(str(snapshot["due_on"])),
        "unit_id": int(snapshot["unit_id"]),
        "name": name,
        "state": snapshot["state"],
    }


def _clock_moved(event: Any) -> None:
    """A petition's clock changed: out of the row of its old snapshot, into its new one's."""
    name = event.object_repr
    old = _clock_key(event.before, name)
    new = _clock_key(event.after, name)
    if old == new:
        return
    if old is not None:
        bump(ClockDaily, old, n=-1)
    if new is not None:
        bump(ClockDaily, new, n=1)


def _clocks_recomputed(event: Any) -> None:
    """A calendar change moved the due dates of open clocks (one event per batch)."""
    from anxin.supervision.models import Clock

    moved = [m for m in (event.after or {}).get("moved", []) if m[0] == PETITION_SUBJECT]
    if not moved:
        return
    open_clocks = {
        (row["subject_id"], row["name"]): row
        for row in Clock.objects.filter(
            subject_type=PETITION_SUBJECT,
            subject_id__in={int(m[1]) for m in moved},
            state__in=["running", "paused"],
        ).values("subject_id", "name", "unit_id", "state")
    }
    # the batch's moves summed per rollup row, then written in a few statements (not two
    # statements per clock: a calendar change moves thousands of clocks at once)
    deltas: dict[tuple[Any, ...], int] = {}
    for _type, subject_id, name, old_due, new_due in moved:
        row = open_clocks.get((int(subject_id), name))
        if row is None:
            continue
        for due, n in ((old_due, -1), (new_due, 1)):
            key = (dt.date.fromisoformat(due), row["unit_id"], name, row["state"])
            deltas[key] = deltas.get(key, 0) + n
    deltas = {key: n for key, n in deltas.items() if n}
    if deltas:
        _bump_many(ClockDaily, ("day", "unit_id", "name", "state"), "n", deltas)


def _hazard(verb: str, hazard: Any) -> None:
    found = _hazard_key(hazard, hazard.found_at if verb == "registered" else hazard.closed_at)
    if found is None:
        return
    day, unit_id, regulating_unit_id, grade, sector_id = found
    key = {
        "day": day,
        "unit_id": unit_id,
        "regulating_unit_id": regulating_unit_id,
        "grade": grade,
        "sector_id": sector_id,
    }
    bump(HazardDaily, key, **{"found" if verb == "registered" else "closed": 1})


def _accident(verb: str, event: Any, accident: Any) -> None:
    key = {"day": local_day(accident.occurred_at), "unit_id": accident.unit_id}
    if verb == "report":
        bump(AccidentDaily, {**key, "grade": accident.grade}, occurred=1)
        return
    old = (event.before or {}).get("grade")
    if old and old != accident.grade:
        bump(AccidentDaily, {**key, "grade": old}, occurred=-1)
        bump(AccidentDaily, {**key, "grade": accident.grade}, occurred=1)


def _inspection(verb: str, event: Any, inspection: Any) -> None:
    unit_id = inspection.site.unit_id
    if verb == "create":
        bump(
            InspectionDaily,
            {"day": local_day(inspection.started_at), "unit_id": unit_id},
            inspections=1,
        )
        return
    old = (event.before or {}).get("started_at")
    if not old:
        return
    old_day = local_day(dt.datetime.fromisoformat(old))
    new_day = local_day(inspection.started_at)
    if old_day != new_day:
        bump(InspectionDaily, {"day": old_day, "unit_id": unit_id}, inspections=-1)
        bump(InspectionDaily, {"day": new_day, "unit_id": unit_id}, inspections=1)


# --- rebuild ----------------------------------------------------------------------------------


def _bounds(
    start: dt.date | None, end: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    tz = _tz()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz) if start else None
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if end else None
    return lo, hi


def _in_range(qs: Any, field: str, start: Any, end: Any) -> Any:
    if start is not None:
        qs = qs.filter(**{f"{field}__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{field}__lt" if isinstance(end, dt.datetime) else f"{field}__lte": end})
    return qs


def _merge(
    into: dict[tuple[Any, ...], dict[str, int]],
    rows: Iterable[dict[str, Any]],
    dims: tuple[str, ...],
    counter: str,
) -> None:
    for row in rows:
        into[tuple(row[d] for d in dims)][counter] += row["n"]


def _petition_rows(
    start: dt.date | None, end: dt.date | None
) -> dict[tuple[Any, ...], dict[str, int]]:
    from anxin.petitions.models import Petition, PetitionEvent
    from anxin.supervision.models import Clock

    dims = ("day", "unit_id", "channel", "kind", "category_id")
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lo, hi = _bounds(start, end)
    events = PetitionEvent.objects.annotate(
        channel=F("petition__channel"),
        pkind=F("petition__kind"),
        category_id=F("petition__category_id"),
    )
    received = _in_range(
        events.filter(kind="registered").annotate(
            day=F("petition__received_on"), r_unit=F("petition__registering_unit_id")
        ),
        "petition__received_on",
        start,
        end,
    )
    grouped = received.values("day", "r_unit", "channel", "pkind", "category_id").annotate(
        n=Count("id")
    )
    _merge(
        out, ({**r, "unit_id": r["r_unit"], "kind": r["pkind"]} for r in grouped), dims, "received"
    )
    for kind, counter in PETITION_STEPS.items():
        qs = _in_range(events.filter(kind=kind), "at", lo, hi)
        if kind == "signed_off":
            qs = qs.filter(data__stage="decision")
        grouped = (
            qs.annotate(
                day=TruncDate("at", tzinfo=_tz()),
                r_unit=Coalesce("unit_id", "petition__current_unit_id"),
            )
            .values("day", "r_unit", "channel", "pkind", "category_id")
            .annotate(n=Count("id"))
        )
        _merge(
            out,
            ({**r, "unit_id": r["r_unit"], "kind": r["pkind"]} for r in grouped),
            dims,
            counter,
        )
    petition = Petition.objects.filter(pk=OuterRef("subject_id"))
    missed = _in_range(
        Clock.objects.filter(subject_type=PETITION_SUBJECT, state="missed"),
        "stopped_on",
        start,
        end,
    ).annotate(
        channel=Subquery(petition.values("channel")[:1]),
        pkind=Subquery(petition.values("kind")[:1]),
        category_id=Subquery(petition.values("category_id")[:1]),
    )
    grouped = (
        missed.values("stopped_on", "unit_id", "channel", "pkind", "category_id")
        .annotate(n=Count("id"))
        .filter(category_id__isnull=False)
    )
    _merge(
        out,
        ({**r, "day": r["stopped_on"], "kind": r["pkind"]} for r in grouped),
        dims,
        "overdue",
    )
    return out


def _hazard_rows(
    start: dt.date | None, end: dt.date | None
) -> dict[tuple[Any, ...], dict[str, int]]:
    from anxin.safety.models import HazardEvent

    dims = ("day", "unit_id", "regulating_unit_id", "grade", "sector_id")
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lo, hi = _bounds(start, end)
    for kind, field, counter in (
        ("registered", "found_at", "found"),
        ("closed", "closed_at", "closed"),
    ):
        qs = _in_range(
            HazardEvent.objects.filter(kind=kind, hazard__site__isnull=False),
            f"hazard__{field}",
            lo,
            hi,
        )
        grouped = (
            qs.annotate(
                day=TruncDate(f"hazard__{field}", tzinfo=_tz()),
                r_unit=F("hazard__site__unit_id"),
                rid=F("hazard__site__regulating_unit_id"),
                hgrade=F("hazard__grade"),
                sid=F("hazard__site__sector_id"),
            )
            .values("day", "r_unit", "rid", "hgrade", "sid")
            .annotate(n=Count("id"))
        )
        _merge(
            out,
            (
                {
                    "day": r["day"],
                    "unit_id": r["r_unit"],
                    "regulating_unit_id": r["rid"],
                    "grade": r["hgrade"],
                    "sector_id": r["sid"],
                    "n": r["n"],
                }
                for r in grouped
            ),
            dims,
            counter,
        )
    return out


def _accident_rows(
    start: dt.date | None, end: dt.date | None
) -> dict[tuple[Any, ...], dict[str, int]]:
    from anxin.safety.models_accidents import Accident

    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lo, hi = _bounds(start, end)
    grouped = (
        _in_range(Accident.objects.all(), "occurred_at", lo, hi)
        .annotate(day=TruncDate("occurred_at", tzinfo=_tz()))
        .values("day", "unit_id", "grade")
        .annotate(n=Count("id"))
    )
    _merge(out, grouped, ("day", "unit_id", "grade"), "occurred")
    return out


def _inspection_rows(
    start: dt.date | None, end: dt.date | None
) -> dict[tuple[Any, ...], dict[str, int]]:
    from anxin.safety.models_inspections import Inspection

    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lo, hi = _bounds(start, end)
    grouped = (
        _in_range(Inspection.objects.all(), "started_at", lo, hi)
        .annotate(day=TruncDate("started_at", tzinfo=_tz()), r_unit=F("site__unit_id"))
        .values("day", "r_unit")
        .annotate(n=Count("id"))
    )
    _merge(out, ({**r, "unit_id": r["r_unit"]} for r in grouped), ("day", "unit_id"), "inspections")
    return out


def _clock_rows(
    start: dt.date | None, end: dt.date | None
) -> dict[tuple[Any, ...], dict[str, int]]:
    from anxin.supervision.models import Clock

    dims = ("day", "unit_id", "name", "state")
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    grouped = (
        _in_range(Clock.objects.filter(subject_type=PETITION_SUBJECT), "due_on", start, end)
        .values("due_on", "unit_id", "name", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    _merge(out, ({**r, "day": r["due_on"]} for r in grouped), dims, "n")
    return out


REBUILDERS: tuple[tuple[type[models.Model], tuple[str, ...], Any], ...] = (
    (PetitionDaily, ("day", "unit_id", "channel", "kind", "category_id"), _petition_rows),
    (
        HazardDaily,
        ("day", "unit_id", "regulating_unit_id", "grade", "sector_id"),
        _hazard_rows,
    ),
    (AccidentDaily, ("day", "unit_id", "grade"), _accident_rows),
    (InspectionDaily, ("day", "unit_id"), _inspection_rows),
    (ClockDaily, ("day", "unit_id", "name", "state"), _clock_rows),
)


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _rebuild_monthly(start: dt.date | None, end: dt.date | None) -> int:
    """Recompute the :class:`PetitionMonthly` rows of every month the days ``start``–``end``
    touch, grouped straight from those months' (just rebuilt) :class:`PetitionDaily` rows: one
    ``GROUP BY`` per dimension, so a month's rows are the sums of its daily rows."""
    lo = start.replace(day=1) if start else None
    hi = _month_end(end) if end else None
    _in_range(PetitionMonthly.objects.all(), "month", lo, hi).delete()
    daily = _in_range(PetitionDaily.objects.filter(received__gt=0), "day", lo, hi).annotate(
        m=TruncMonth("day")
    )
    objs = []
    for dim, field in MONTHLY_DIMS:
        grouped = daily.values("m", "unit_id", field).annotate(n=Sum("received")).order_by()
        for month, unit_id, value, n in grouped.values_list("m", "unit_id", field, "n"):
            if isinstance(month, dt.datetime):
                month = month.date()
            objs.append(
                PetitionMonthly(
                    month=month, unit_id=unit_id, dim=str(dim), value=str(value), received=n
                )
            )
    PetitionMonthly.objects.bulk_create(objs, batch_size=1000)
    return len(objs)


@transaction.atomic
def rebuild(*, start: dt.date | None = None, end: dt.date | None = None) -> dict[str, int]:
    """Recompute every rollup row of the days ``start``–``end`` (inclusive; open when None),
    and the monthly rows of the months they touch."""
    done: dict[str, int] = {}
    for model, dims, compute in REBUILDERS:
        _in_range(model._default_manager.all(), "day", start, end).delete()
        rows = compute(start, end)
        objs = [
            model(**dict(zip(dims, key, strict=True)), **counters)
            for key, counters in rows.items()
            if any(counters.values())
        ]
        model._default_manager.bulk_create(objs, batch_size=1000)
        done[model._meta.model_name or ""] = len(objs)
    # the per-case indicator rows are rebuilt whole, whatever the range: a case's row moves
    # between days (its closing, its answer), so a range cannot be recomputed on its own
    done.update(kpi_rollups.rebuild())
    done.update(kpi_rollups.rebuild_hazards())
    done[PetitionMonthly._meta.model_name or ""] = _rebuild_monthly(start, end)
    return done
