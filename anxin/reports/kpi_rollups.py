"""The day-additive petition indicators, rolled up: :class:`KpiMember` and :class:`KpiDaily`.

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


def refresh(pks: Iterable[int]) -> None:
    """Recompute the rows of the cases ``pks`` and move them between the daily rows: two reads
    (their stored rows, their rows now) and a write per row that changed."""
    from anxin.reports.rollups import bump

    pks = set(pks)
    if not pks:
        return
    old = {
        (m.petition_id, m.key): (m.unit_id, m.day, m.hit)
        for m in KpiMember.objects.filter(petition_id__in=pks)
    }
    new = _contributions(pks)
    deltas: dict[tuple[dt.date, int, str], list[int]] = {}
    for member in old.keys() | new.keys():
        before, after = old.get(member), new.get(member)
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
            d = deltas.setdefault((row[1], row[0], key), [0, 0])
            d[0] += sign
            d[1] += sign * int(row[2])
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
