"""The dashboards' figures: read from the daily rollups (never from the ledgers), limited to the
person's scope, each chart element carrying the URL of the list behind it.

A chart is a plain dict, delivered to the page with ``json_script`` and drawn by
``static/anxin/dashboard.js``::

    {"key", "title", "categories": [...], "series": [{"name", "data": [...], "links": [...]}]}

``links[i]`` is the list page (petitions, hazards, accidents) filtered to exactly the items
counted in ``data[i]``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.models import Unit
from anxin.core.scoping import covers_every_unit, scope_q
from anxin.reports.models_rollups import (
    AccidentDaily,
    HazardDaily,
    PetitionDaily,
    PetitionMonthly,
)

MONTHS = 12


@dataclass(frozen=True)
class Period:
    months: list[dt.date]  # first days of the months shown, oldest first

    @property
    def start(self) -> dt.date:
        return self.months[0]

    @property
    def end(self) -> dt.date:
        return month_end(self.months[-1])

    @property
    def labels(self) -> list[str]:
        return [f"{m:%Y-%m}" for m in self.months]


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(first: dt.date) -> dt.date:
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def add_months(first: dt.date, n: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def last_months(n: int = MONTHS, today: dt.date | None = None) -> Period:
    this = month_start(today or timezone.localdate())
    return Period([add_months(this, i - n + 1) for i in range(n)])


def _url(name: str, **params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "", False)}
    return f"{reverse(name)}?{urlencode(clean)}" if clean else reverse(name)


# --- scope ------------------------------------------------------------------------------------


def _unit_filter(user: Any, action: str, root: Unit | None, lookups: tuple[str, ...]) -> Q | None:
    """Rows whose unit (any of ``lookups``) is in the person's scope for ``action`` and, with a
    ``root``, in its subtree; None when the person may see none.

    City-wide staff (a subtree grant on the tree's only top-level unit) see every row: each
    row's unit is in the tree. No filter then, so no join to the units: the rows are read by
    day alone, through the index that covers the counters (300,000 cases, 90,000 hazards: the
    year of hazard rows 88 → 18 ms)."""
    scope = scope_q(user, action, lookups)
    if scope is None:
        return None
    if root is None:
        return Q() if covers_every_unit(user, action) else scope
    inside = Q()
    for lookup in lookups:
        inside |= Q(**{f"{lookup}__path__startswith": root.path})
    return scope & inside


def _rows(
    model: Any, user: Any, action: str, root: Unit | None, lookups: tuple[str, ...]
) -> QuerySet[Any]:
    q = _unit_filter(user, action, root, lookups)
    if q is None:
        return model.objects.none()
    return model.objects.filter(q)


def petition_rows(user: Any, root: Unit | None = None) -> QuerySet[PetitionDaily]:
    return _rows(PetitionDaily, user, "petition.view", root, ("unit",))


def petition_monthly_rows(user: Any, root: Unit | None = None) -> QuerySet[PetitionMonthly]:
    return _rows(PetitionMonthly, user, "petition.view", root, ("unit",))


def hazard_rows(user: Any, root: Unit | None = None) -> QuerySet[HazardDaily]:
    return _rows(HazardDaily, user, "hazard.view", root, ("unit", "regulating_unit"))


def accident_rows(user: Any, root: Unit | None = None) -> QuerySet[AccidentDaily]:
    return _rows(AccidentDaily, user, "accident.view", root, ("unit",))


# --- charts -----------------------------------------------------------------------------------


def _by_month(
    qs: QuerySet[Any], period: Period, dim: str, counter: str
) -> dict[Any, dict[dt.date, int]]:
    grouped = (
        qs.filter(day__gte=period.start, day__lte=period.end)
        .annotate(month=TruncMonth("day"))
        .values("month", dim)
        .annotate(n=Sum(counter))
        .order_by()
    )
    out: dict[Any, dict[dt.date, int]] = defaultdict(dict)
    for row in grouped:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        out[row[dim]][month] = int(row["n"] or 0)
    return out


def _series(name: Any, by_month: dict[dt.date, int], period: Period, link: Any) -> dict[str, Any]:
    return {
        "name": str(name),
        "data": [by_month.get(m, 0) for m in period.months],
        "links": [link(m) for m in period.months],
    }


PETITION_DIMS = ("channel", "kind", "category_id")


def petitions_received(
    user: Any, period: Period, root: Unit | None = None
) -> dict[str, dict[Any, dict[dt.date, int]]]:
    """Petitions received per month by channel, by kind and by category: one grouped read of
    the monthly rollup (:class:`PetitionMonthly`: a row per month × unit × value, whatever the
    number of cases) for the three charts. The figures are the daily rows' sums."""
    grouped = (
        petition_monthly_rows(user, root)
        .filter(month__gte=period.start, month__lte=period.end)
        .values("month", "dim", "value")
        .annotate(n=Sum("received"))
        .order_by()
        .values_list("month", "dim", "value", "n")
    )
    out: dict[str, dict[Any, dict[dt.date, int]]] = {
        dim: defaultdict(lambda: defaultdict(int)) for dim in PETITION_DIMS
    }
    fields = {"channel": "channel", "kind": "kind", "category": "category_id"}
    for month, dim, value, n in grouped:
        field = fields.get(dim)
        if field is None:
            continue
        key: Any = int(value) if field == "category_id" else value
        out[field][key][month] += int(n or 0)
    return {dim: {k: dict(v) for k, v in by.items()} for dim, by in out.items()}


def petitions_by(
    user: Any,
    period: Period,
    dim: str,
    root: Unit | None = None,
    received: dict[str, dict[Any, dict[dt.date, int]]] | None = None,
) -> dict[str, Any]:
    """Petitions received per month, one series per channel, kind or category (``received``:
    the counts of :func:`petitions_received`, when already read)."""
    from anxin.petitions.choices import Channel, Kind
    from anxin.petitions.models import Category

    if received is None:
        received = petitions_received(user, period, root)
    counts = received[dim if dim != "category" else "category_id"]
    if dim == "channel":
        names: list[tuple[Any, Any, str]] = [(v, lbl, v) for v, lbl in Channel.choices]
        title = _("Petitions received by channel")
    elif dim == "kind":
        names = [(v, lbl, v) for v, lbl in Kind.choices]
        title = _("Petitions received by kind")
    else:
        cats = Category.objects.filter(pk__in=[k for k in counts if k is not None]).order_by("code")
        names = [(c.pk, c.name, c.code) for c in cats]
        title = _("Petitions received by category")
    unit_code = root.code if root else None
    series = []
    for value, label, param in names:
        if value not in counts and dim == "category":
            continue
        series.append(
            _series(
                label,
                counts.get(value, {}),
                period,
                lambda m, p=param: _url(
                    "petition_list",
                    **{dim: p},
                    received_in=unit_code,
                    date_from=m.isoformat(),
                    date_to=month_end(m).isoformat(),
                ),
            )
        )
    return {
        "key": f"petitions_{dim}",
        "title": title,
        "categories": period.labels,
        "series": series,
    }


def hazards_found_closed(user: Any, period: Period, root: Unit | None = None) -> dict[str, Any]:
    rows = hazard_rows(user, root).filter(day__gte=period.start, day__lte=period.end)
    # by day (at most 366 rows), added up by month here: the database groups the index's
    # entries as they come, with no month computed per row
    grouped = rows.values("day").annotate(found=Sum("found"), closed=Sum("closed")).order_by("day")
    found: dict[dt.date, int] = defaultdict(int)
    closed: dict[dt.date, int] = defaultdict(int)
    for row in grouped:
        month = month_start(row["day"])
        found[month] += int(row["found"] or 0)
        closed[month] += int(row["closed"] or 0)
    unit_code = root.code if root else None
    return {
        "key": "hazards_found_closed",
        "title": _("Hazards found and closed"),
        "categories": period.labels,
        "series": [
            _series(
                _("Hazards found"),
                found,
                period,
                lambda m: _url(
                    "hazard_list",
                    unit=unit_code,
                    found_from=m.isoformat(),
                    found_to=month_end(m).isoformat(),
                ),
            ),
            _series(
                _("Hazards closed"),
                closed,
                period,
                lambda m: _url(
                    "hazard_list",
                    unit=unit_code,
                    status="closed",
                    closed_from=m.isoformat(),
                    closed_to=month_end(m).isoformat(),
                ),
            ),
        ],
    }


def accidents_by_grade(user: Any, period: Period, root: Unit | None = None) -> dict[str, Any]:
    from anxin.safety.accident_rules import AccidentGrade

    counts = _by_month(accident_rows(user, root), period, "grade", "occurred")
    unit_code = root.code if root else None
    return {
        "key": "accidents_grade",
        "title": _("Accidents by grade"),
        "categories": period.labels,
        "series": [
            _series(
                label,
                counts.get(value, {}),
                period,
                lambda m, g=value: _url(
                    "accident_list",
                    grade=g,
                    unit=unit_code,
                    date_from=m.isoformat(),
                    date_to=month_end(m).isoformat(),
                ),
            )
            for value, label in AccidentGrade.choices
        ],
    }


def _children(user: Any, root: Unit | None) -> list[Unit]:
    """The bars of a by-unit chart: the root's children and the root itself (for what sits at
    the root), or, without a root, the same below the person's widest scope units."""
    if root is not None:
        return [*Unit.objects.filter(parent=root).order_by("code"), root]
    q = scope_q(user, "clock.view", ("",))
    if q is None:
        return []
    scoped = list(Unit.objects.filter(q).order_by("path"))
    tops = [u for u in scoped if not any(u.path.startswith(o.path) and u != o for o in scoped)]
    if len(tops) == 1:
        return [*Unit.objects.filter(parent=tops[0]).order_by("code"), tops[0]]
    return tops


def overdue_by_unit(user: Any, root: Unit | None = None) -> dict[str, Any]:
    """Running clocks past their due date, per unit below the root: a current state read from
    the clock table with its index on (unit, state, due_on), not a ledger scan."""
    from anxin.supervision.models import Clock

    today = timezone.localdate()
    units = _children(user, root)
    clocks = Clock.objects.restrict(user, "view").filter(state="running", due_on__lt=today)
    if root is not None:
        clocks = clocks.filter(unit__path__startswith=root.path)
    # COUNT(*): the covering index of running clocks answers without reading the table
    grouped = clocks.values("subject_type", "unit__path").annotate(n=Count("*")).order_by()
    kinds = {"petitions.petition": _("Petitions"), "safety.hazard": _("Hazards")}
    counts: dict[str, dict[str, int]] = {k: defaultdict(int) for k in kinds}
    for row in grouped:
        if row["subject_type"] not in counts:
            continue
        # the deepest bar holding the clock's unit (a child before the root)
        holder = max(
            (u for u in units if row["unit__path"].startswith(u.path)),
            key=lambda u: len(u.path),
            default=None,
        )
        if holder is not None:
            counts[row["subject_type"]][holder.code] += int(row["n"])
    lists = {"petitions.petition": "petition_list", "safety.hazard": "hazard_list"}
    return {
        "key": "overdue_units",
        "title": _("Overdue items by unit"),
        "categories": [u.name for u in units],
        "series": [
            {
                "name": str(label),
                "data": [counts[kind].get(u.code, 0) for u in units],
                "links": [_url(lists[kind], overdue="1", unit=u.code) for u in units],
            }
            for kind, label in kinds.items()
        ],
    }


def city_charts(user: Any, root: Unit | None = None) -> list[dict[str, Any]]:
    period = last_months()
    received = petitions_received(user, period, root)
    return [
        petitions_by(user, period, "channel", root, received),
        petitions_by(user, period, "kind", root, received),
        petitions_by(user, period, "category", root, received),
        hazards_found_closed(user, period, root),
        overdue_by_unit(user, root),
        accidents_by_grade(user, period, root),
    ]


# --- hot spots --------------------------------------------------------------------------------


def hot_spots(
    user: Any, root: Unit | None = None, today: dt.date | None = None, top: int = 10
) -> dict[str, Any]:
    """Recurring problems: the top petition categories, hazard places (territorial units) and
    sectors of this month against last month. Matters only — no person is ever counted."""
    from anxin.petitions.models import Category
    from anxin.safety.models import Sector

    this = month_start(today or timezone.localdate())
    last = add_months(this, -1)
    months = [last, this]

    def compare(qs: QuerySet[Any], dim: str, counter: str) -> list[tuple[Any, int, int]]:
        grouped = (
            qs.filter(day__gte=last, day__lte=month_end(this))
            .annotate(month=TruncMonth("day"))
            .values("month", dim)
            .annotate(n=Sum(counter))
            .order_by()
        )
        table: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
        for row in grouped:
            month = row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]
            table[row[dim]][months.index(month)] += int(row["n"] or 0)
        ranked = sorted(table.items(), key=lambda kv: (-kv[1][1], -kv[1][0], str(kv[0])))
        return [(k, v[0], v[1]) for k, v in ranked if v[0] or v[1]][:top]

    def compare_categories() -> list[tuple[Any, int, int]]:
        # the monthly rollup's category rows of the two months (the daily rows' sums)
        grouped = (
            petition_monthly_rows(user, root)
            .filter(dim=PetitionMonthly.Dim.CATEGORY, month__in=months)
            .values("month", "value")
            .annotate(n=Sum("received"))
            .order_by()
        )
        table: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
        for row in grouped:
            table[int(row["value"])][months.index(row["month"])] += int(row["n"] or 0)
        ranked = sorted(table.items(), key=lambda kv: (-kv[1][1], -kv[1][0], str(kv[0])))
        return [(k, v[0], v[1]) for k, v in ranked if v[0] or v[1]][:top]

    period_this = {"from": this.isoformat(), "to": month_end(this).isoformat()}
    cats = compare_categories()
    cat_names = {c.pk: c for c in Category.objects.filter(pk__in=[c[0] for c in cats])}
    places = compare(hazard_rows(user, root), "unit_id", "found")
    unit_names = {u.pk: u for u in Unit.objects.filter(pk__in=[p[0] for p in places])}
    sectors = compare(hazard_rows(user, root), "sector_id", "found")
    sector_names = {s.pk: s for s in Sector.objects.filter(pk__in=[s[0] for s in sectors])}
    root_code = root.code if root else None
    return {
        "this": this,
        "last": last,
        "categories": [
            {
                "name": cat_names[k].name,
                "last": a,
                "this": b,
                "url": _url(
                    "petition_list",
                    category=cat_names[k].code,
                    received_in=root_code,
                    date_from=period_this["from"],
                    date_to=period_this["to"],
                ),
            }
            for k, a, b in cats
        ],
        "places": [
            {
                "name": unit_names[k].name,
                "last": a,
                "this": b,
                "url": _url(
                    "hazard_list",
                    unit=unit_names[k].code,
                    found_from=period_this["from"],
                    found_to=period_this["to"],
                ),
            }
            for k, a, b in places
        ],
        "sectors": [
            {
                "name": sector_names[k].name,
                "last": a,
                "this": b,
                "url": _url(
                    "hazard_list",
                    sector=sector_names[k].code,
                    unit=root_code,
                    found_from=period_this["from"],
                    found_to=period_this["to"],
                ),
            }
            for k, a, b in sectors
        ],
    }


# --- leader's page ----------------------------------------------------------------------------


def leader_cases(user: Any) -> QuerySet[Any]:
    """Open petitions the person leads (承办领导) or owns the resolution of (包案), in scope."""
    from anxin.petitions.choices import Status
    from anxin.petitions.models import Petition, ResolutionOwner

    owned = ResolutionOwner.objects.filter(user=user).values("petition_id")
    return (
        Petition.objects.restrict(user, "view")
        .filter(Q(leader=user) | Q(pk__in=owned))
        .exclude(status__in=[Status.CLOSED, Status.MERGED])
        .select_related("category", "current_unit")
        .order_by("received_on", "id")
    )


def supervised_hazards(user: Any) -> QuerySet[Any]:
    """Open hazards listed for supervision (挂牌督办) in the person's scope."""
    from anxin.safety.hazard_rules import OPEN_STATES
    from anxin.safety.models import Hazard

    return (
        Hazard.objects.restrict(user, "view")
        .filter(supervision_unit__isnull=False, status__in=OPEN_STATES)
        .select_related("site", "supervision_unit")
        .order_by("deadline", "id")
    )
