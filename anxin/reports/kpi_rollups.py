"""The indicators read from rollups beside the clock rates: the day-additive petition rates
(:class:`KpiMember`, :class:`KpiDaily`) and the hazard figures (:class:`HazardKpiMember`,
:class:`HazardKpiDaily`, below), for people who see the whole tree.

Four indicators put each case in their cohort at most once, on one day and for one unit:

=============================== ============================== =================================
indicator                       cohort day                     unit
=============================== ============================== =================================
participation_rate              the stage-"decision" Decision  the Decision's unit
satisfaction_rate               was signed off (one per case:  (the same, rated cases only)
                                ``decision_one_per_stage``)
repeat_petition_rate            ``received_on``                the answering unit
first_petition_resolution_rate  the day ``closed_at`` falls on the answering unit
=============================== ============================== =================================

and their numerators (rated; satisfied; a repeat; no review and rated satisfied) depend on the
case alone, not on the period or the unit. So for every period and unit,
``universe(period, path)`` holds exactly when ``universe(ALL, "")`` holds, the cohort day lies in
the period and the unit in the subtree: the figure is a sum of daily rows. The membership and the
numerator are evaluated with the indicators' own ``Q`` functions (:data:`ALL`, the root prefix),
so the rollup cannot drift from the live definition.

Incremental (:func:`refresh`): any audited change of a case recomputes that case's rows (one
``UNION ALL`` query by primary key), diffs them with its stored :class:`KpiMember` rows and moves
the case between :class:`KpiDaily` rows (−1 from the old, +1 to the new). Rebuild
(:func:`rebuild`): the same querysets over every case, written with ``INSERT … SELECT`` and
summed with one ``GROUP BY`` (always whole: a case's row moves between days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, TruncDate

from anxin.reports import indicators as ind
from anxin.reports.models_rollups import KpiDaily, KpiMember

#: the indicators served from :class:`KpiDaily`
KEYS = (
    "participation_rate",
    "satisfaction_rate",
    "repeat_petition_rate",
    "first_petition_resolution_rate",
)

#: every day a case can fall on: the membership without the period's bounds
ALL = ind.Period(start=dt.date(1900, 1, 1), end=dt.date(2999, 12, 30), today=dt.date(2999, 12, 30))
ROOT = ""

#: audited petition actions that change nothing the indicators read
READ_ONLY = frozenset({"export", "reveal", "document"})


def _tz() -> Any:
    from anxin.reports.rollups import _tz as tz

    return tz()


def _answering_unit() -> Any:
    return Coalesce("lead_unit_id", "current_unit_id")


def _decision(column: Any) -> Subquery:
    from anxin.petitions.models import Decision

    signed = Decision.objects.filter(
        petition_id=OuterRef("pk"), stage="decision", signed_off_at__isnull=False
    )
    return Subquery(signed.annotate(v=column).values("v")[:1])


def cohort(key: str, petitions: QuerySet[Any]) -> QuerySet[Any]:
    """The rows (petition, key, unit, day, hit) of ``key`` for ``petitions``: one per case in
    the indicator's cohort, evaluated with the indicator's own universe and numerator."""
    indicator = ind.get(key)
    assert indicator is not None and indicator.numerator is not None
    qs = petitions.filter(indicator.universe(ALL, ROOT))
    if key in ("participation_rate", "satisfaction_rate"):
        unit: Any = _decision(F("unit_id"))
        day: Any = _decision(TruncDate("signed_off_at", tzinfo=_tz()))
    elif key == "repeat_petition_rate":
        unit, day = _answering_unit(), F("received_on")
    else:
        unit, day = _answering_unit(), TruncDate("closed_at", tzinfo=_tz())
    # annotated in the order of the KpiMember columns (see _COLUMNS)
    return (
        qs.order_by()
        .annotate(
            m_petition=F("pk"),
            m_key=Value(key),
            m_unit=Cast(unit, IntegerField()),
            m_day=day,
            m_hit=ind._flag(indicator.numerator(ALL, ROOT)),
        )
        .values_list("m_petition", "m_key", "m_unit", "m_day", "m_hit")
    )


_COLUMNS = ("petition_id", "key", "unit_id", "day", "hit")


def _contributions(pks: Iterable[int]) -> dict[tuple[int, str], tuple[int, dt.date, bool]]:
    from anxin.petitions.models import Petition

    petitions = Petition.objects.filter(pk__in=list(pks))
    parts = [cohort(key, petitions) for key in KEYS]
    rows = parts[0].union(*parts[1:], all=True)
    out: dict[tuple[int, str], tuple[int, dt.date, bool]] = {}
    for pk, key, unit, day, hit in rows:
        if isinstance(day, dt.datetime):
            day = day.date()
        elif isinstance(day, str):
            day = dt.date.fromisoformat(day)
        out[(pk, key)] = (unit, day, bool(hit))
    return out


def refresh(pks: Iterable[int], *, new: bool = False) -> None:
    """Recompute the rows of the cases ``pks`` and move them between the daily rows: two reads
    (their stored rows — none for cases just registered, ``new`` — and their rows now) and a
    write per row that changed."""
    from anxin.reports.rollups import bump

    pks = set(pks)
    if not pks:
        return
    old = (
        {}
        if new
        else {
            (m.petition_id, m.key): (m.unit_id, m.day, m.hit)
            for m in KpiMember.objects.filter(petition_id__in=pks)
        }
    )
    now = _contributions(pks)
    deltas: dict[tuple[dt.date, int, str], list[int]] = {}
    for member in old.keys() | now.keys():
        before, after = old.get(member), now.get(member)
        if before == after:
            continue
        pk, key = member
        if before is None:
            assert after is not None
            KpiMember.objects.create(
                petition_id=pk, key=key, unit_id=after[0], day=after[1], hit=after[2]
            )
        elif after is None:
            KpiMember.objects.filter(petition_id=pk, key=key).delete()
        else:
            KpiMember.objects.filter(petition_id=pk, key=key).update(
                unit_id=after[0], day=after[1], hit=after[2]
            )
        for row, sign in ((before, -1), (after, 1)):
            if row is None:
                continue
            counts = deltas.setdefault((row[1], row[0], key), [0, 0])
            counts[0] += sign
            counts[1] += sign * int(row[2])
    for (day, unit_id, key), (d, n) in deltas.items():
        bump(KpiDaily, {"day": day, "unit_id": unit_id, "key": key}, d=d, n=n)


def rebuild() -> dict[str, int]:
    """Recompute every member and daily row from the cases (set-based, two statements per
    indicator and one ``GROUP BY``)."""
    from anxin.petitions.models import Petition

    KpiDaily.objects.all().delete()
    KpiMember.objects.all().delete()
    quote = connection.ops.quote_name
    members = quote(KpiMember._meta.db_table)
    daily = quote(KpiDaily._meta.db_table)
    columns = ", ".join(quote(c) for c in _COLUMNS)
    with connection.cursor() as cursor:
        for key in KEYS:
            sql, params = cohort(key, Petition.objects.all()).query.sql_with_params()
            cursor.execute(f"INSERT INTO {members} ({columns}) {sql}", params)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {daily} (day, unit_id, key, d, n) "  # noqa: S608
            f"SELECT day, unit_id, key, COUNT(*), SUM(CASE WHEN hit THEN 1 ELSE 0 END) "
            f"FROM {members} GROUP BY day, unit_id, key"
        )
    return {
        "kpimember": KpiMember.objects.count(),
        "kpidaily": KpiDaily.objects.count(),
    }


def daily_sums(*, unit: Any, period: ind.Period) -> dict[str, int]:
    """``d_<key>`` and ``n_<key>`` of the :data:`KEYS`: the sums of the daily rows of the period
    in the unit's subtree (one query), for :func:`anxin.reports.indicators.rolled_up_figures`."""
    aggregates: dict[str, Any] = {}
    for key in KEYS:
        aggregates[f"d_{key}"] = Coalesce(Sum("d", filter=Q(key=key)), 0)
        aggregates[f"n_{key}"] = Coalesce(Sum("n", filter=Q(key=key)), 0)
    return KpiDaily.objects.filter(
        key__in=KEYS,
        day__gte=period.start,
        day__lte=period.end,
        unit__path__startswith=unit.path,
    ).aggregate(**aggregates)


# --- hazards -----------------------------------------------------------------------------------
#
# Every hazard past triage and not voided is a member: ``_hazards_found(ALL, ROOT)`` (its unit
# always lies in the tree). For a period and a subtree S, with ``as_of`` the period's last day
# (or today):
#
# - found in the period (both rates' denominators): the members found on a day of the period
#   whose unit or regulating department lies in S — the sum of ``HazardKpiDaily.d``;
# - of them closed (销号) by ``as_of``: ``HazardKpiDaily.c`` (closed now) less the members closed
#   after ``as_of`` (a past period; counted on the ``closed_on`` index);
# - overdue at ``as_of``: the members found by ``as_of``, not closed by then and past their
#   deadline, counted on the members (the open ones and those closed after ``as_of``).

HAZARD_KEYS = ("hazard_rectification_rate", "major_hazard_rectification_rate", "overdue_hazards")

_HAZARD_COLUMNS = (
    "hazard_id",
    "unit_id",
    "regulating_unit_id",
    "major",
    "found_on",
    "closed_on",
    "is_closed",
    "deadline",
)


def hazard_cohort(hazards: QuerySet[Any]) -> QuerySet[Any]:
    """The member rows of ``hazards`` (those in the cohort), in the order of the columns."""
    found = ind.get("hazard_rectification_rate")
    major = ind.get("major_hazard_rectification_rate")
    assert found is not None and major is not None and found.numerator is not None
    return (
        hazards.filter(found.universe(ALL, ROOT))
        .order_by()
        .annotate(
            m_hazard=F("pk"),
            m_unit=F("unit_id"),
            m_reg=F("site__regulating_unit_id"),
            m_major=ind._flag(major.universe(ALL, ROOT)),
            m_found=TruncDate("found_at", tzinfo=_tz()),
            m_closed_on=TruncDate("closed_at", tzinfo=_tz()),
            m_is_closed=ind._flag(found.numerator(ALL, ROOT)),
            m_deadline=F("deadline"),
        )
        .values_list(
            "m_hazard",
            "m_unit",
            "m_reg",
            "m_major",
            "m_found",
            "m_closed_on",
            "m_is_closed",
            "m_deadline",
        )
    )


def _as_date(value: Any) -> dt.date | None:
    if value is None or type(value) is dt.date:
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value))


HazardRow = tuple[int, int | None, bool, dt.date, dt.date | None, bool, dt.date | None]


def refresh_hazards(pks: Iterable[int]) -> None:
    """Recompute the member rows of the hazards ``pks`` and move them between the daily rows."""
    from anxin.reports.models_rollups import HazardKpiDaily, HazardKpiMember
    from anxin.reports.rollups import bump_rows
    from anxin.safety.models_hazards import Hazard

    pks = set(pks)
    if not pks:
        return
    fields = _HAZARD_COLUMNS[1:]
    old: dict[int, HazardRow] = {
        row[0]: row[1:]  # type: ignore[misc]
        for row in HazardKpiMember.objects.filter(hazard_id__in=pks).values_list(*_HAZARD_COLUMNS)
    }
    new: dict[int, HazardRow] = {}
    for pk, unit, reg, major, found, closed_on, is_closed, deadline in hazard_cohort(
        Hazard.objects.filter(pk__in=pks)
    ):
        new[pk] = (
            unit,
            reg,
            bool(major),
            _as_date(found),  # type: ignore[assignment]
            _as_date(closed_on),
            bool(is_closed),
            _as_date(deadline),
        )
    deltas: dict[tuple[Any, ...], list[int]] = {}
    created: list[Any] = []
    deleted: list[int] = []
    for pk in old.keys() | new.keys():
        before, after = old.get(pk), new.get(pk)
        if before == after:
            continue
        if after is None:
            deleted.append(pk)
        else:
            values = dict(zip(fields, after, strict=True))
            if before is None:
                created.append(HazardKpiMember(hazard_id=pk, **values))
            else:
                HazardKpiMember.objects.filter(hazard_id=pk).update(**values)
        for row, sign in ((before, -1), (after, 1)):
            if row is None:
                continue
            unit, reg, major, found = row[0], row[1], row[2], row[3]
            counts = deltas.setdefault((found, unit, reg, major), [0, 0])
            counts[0] += sign
            counts[1] += sign * int(row[5])
    if deleted:
        HazardKpiMember.objects.filter(hazard_id__in=deleted).delete()
    if created:  # an import: its hazards in a few statements
        HazardKpiMember.objects.bulk_create(created, batch_size=1000)
    bump_rows(
        HazardKpiDaily,
        ("day", "unit_id", "regulating_unit_id", "major"),
        {key: {"d": d, "c": c} for key, (d, c) in deltas.items()},
    )


def rebuild_hazards() -> dict[str, int]:
    """Every hazard member and daily row, recomputed set-based (``INSERT … SELECT``)."""
    from anxin.reports.models_rollups import HazardKpiDaily, HazardKpiMember
    from anxin.safety.models_hazards import Hazard

    HazardKpiDaily.objects.all().delete()
    HazardKpiMember.objects.all().delete()
    quote = connection.ops.quote_name
    members = quote(HazardKpiMember._meta.db_table)
    daily = quote(HazardKpiDaily._meta.db_table)
    columns = ", ".join(quote(c) for c in _HAZARD_COLUMNS)
    with connection.cursor() as cursor:
        sql, params = hazard_cohort(Hazard.objects.all()).query.sql_with_params()
        cursor.execute(f"INSERT INTO {members} ({columns}) {sql}", params)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {daily} (day, unit_id, regulating_unit_id, major, d, c) "  # noqa: S608
            f"SELECT found_on, unit_id, regulating_unit_id, major, COUNT(*), "
            f"SUM(CASE WHEN is_closed THEN 1 ELSE 0 END) "
            f"FROM {members} GROUP BY found_on, unit_id, regulating_unit_id, major"
        )
    return {
        "hazardkpimember": HazardKpiMember.objects.count(),
        "hazardkpidaily": HazardKpiDaily.objects.count(),
    }


def hazard_figures(*, unit: Any, period: ind.Period) -> dict[str, ind.Figure]:
    """The :data:`HAZARD_KEYS` for a viewer of every hazard of the tree: two small queries
    (the daily sums; the closings after ``as_of`` and the overdue count on the members)."""
    from django.db.models import Count

    from anxin.reports.models_rollups import HazardKpiDaily, HazardKpiMember

    path = unit.path
    in_tree = Q(unit__path__startswith=path) | Q(regulating_unit__path__startswith=path)
    sums = HazardKpiDaily.objects.filter(
        in_tree, day__gte=period.start, day__lte=period.end
    ).aggregate(
        found=Coalesce(Sum("d"), 0),
        closed=Coalesce(Sum("c"), 0),
        found_major=Coalesce(Sum("d", filter=Q(major=True)), 0),
        closed_major=Coalesce(Sum("c", filter=Q(major=True)), 0),
    )
    # the members still open at as_of (or closed after it): the closings after a past period's
    # end and the overdue count, in one pass along the closed_on index
    found_in_period = Q(found_on__gte=period.start, found_on__lte=period.end)
    later = Q(is_closed=True, closed_on__gt=period.as_of) & found_in_period
    counts = (
        HazardKpiMember.objects.filter(in_tree)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=period.as_of))
        .aggregate(
            n=Count("pk", filter=later),
            nm=Count("pk", filter=later & Q(major=True)),
            overdue=Count("pk", filter=Q(found_on__lte=period.as_of, deadline__lt=period.as_of)),
        )
    )
    overdue = counts["overdue"]
    figures = {
        "hazard_rectification_rate": (sums["closed"] - counts["n"], sums["found"]),
        "major_hazard_rectification_rate": (
            sums["closed_major"] - counts["nm"],
            sums["found_major"],
        ),
    }
    out: dict[str, ind.Figure] = {}
    for key, (n, d) in figures.items():
        indicator = ind.get(key)
        assert indicator is not None
        out[key] = ind.Figure(indicator, numerator=n, denominator=d)
    indicator = ind.get("overdue_hazards")
    assert indicator is not None
    out["overdue_hazards"] = ind.Figure(indicator, numerator=overdue, denominator=None)
    return out
