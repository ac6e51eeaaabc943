"""The indicators (考核指标) of issue 5, item 5, as data: one definition per key.

Each :class:`Indicator` names its source model, the read permission its items are seen with,
its *cohort* (which date puts an item in the period) and its numerator and denominator as
filters (``Q``) on that model. Every figure is a ``COUNT`` in SQL over

    Model.objects.restrict(user, permission)  ∧  unit filter  ∧  cohort  [∧ numerator]

and the lists behind the figures (:func:`items`) are the very same querysets, so the length of
each list is the figure (rules.md §7; docs/indicators.md).

- A unit's figures include its subtree (materialised ``path`` prefix). A petition counts for the
  unit that answers for it: its clock's owning unit for the timeliness rates, otherwise its lead
  unit (its holding unit before it has one). A hazard counts for its territorial unit *and* its
  site's regulating department; a site likewise; an accident for its territorial unit.
- Figures are computed over what the person may see (``restrict``). For petitions this includes
  the whistleblower shield: an accusation against the person's own unit (or an ancestor) or
  against the person is in nobody's figure *for that person* — it is absent from both the
  numerator and the denominator and from both lists, so the figures a shielded person sees stay
  reproducible from the lists they can open, and can differ from a city supervisor's.
- The working definitions can be tuned with the ``ANXIN_INDICATORS`` setting (see
  :data:`DEFAULT_CONFIG`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anxin.core.errors import ServiceError

PETITION = "petitions.petition"

#: The working definitions' settings (rules.md §7 asks for them to be configurable); a
#: deployment overrides any of them with ``ANXIN_INDICATORS = {...}`` in its settings.
DEFAULT_CONFIG: dict[str, Any] = {
    #: the clocks whose due date is a written reply (按期答复率); add "review_by", "recheck_by"
    #: to count the 复查/复核 answers as well
    "reply_clocks": ["handle_by"],
    #: ratings counted as satisfied (满意率)
    "satisfied_ratings": ["satisfied", "basically_satisfied"],
    #: ratings counted as "rated satisfied" for 初信初访化解率
    "resolved_ratings": ["satisfied", "basically_satisfied"],
    #: inspections that count as done for 检查覆盖率 (drafts do not)
    "inspection_statuses": ["signed", "refused_to_sign"],
    #: sites that are due an inspection (closed sites are not)
    "site_statuses": ["active", "suspended"],
}


def today() -> dt.date:
    """The local date the "so far" figures are computed on (one place, for tests)."""
    return timezone.localdate()


def config() -> dict[str, Any]:
    return {**DEFAULT_CONFIG, **getattr(settings, "ANXIN_INDICATORS", {})}


@dataclass(frozen=True)
class Period:
    """The days ``start`` to ``end`` inclusive (local dates); ``today`` for "so far" figures."""

    start: dt.date
    end: dt.date
    today: dt.date

    @property
    def start_at(self) -> dt.datetime:
        return _midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """The first moment after the period (exclusive bound)."""
        return _midnight(self.end + dt.timedelta(days=1))

    @property
    def as_of(self) -> dt.date:
        """The period's last day, or today for a period still running."""
        return min(self.end, self.today)

    @property
    def as_of_end(self) -> dt.datetime:
        return _midnight(self.as_of + dt.timedelta(days=1))


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


QFn = Callable[[Period, str], Q]


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Promise
    #: ``app_label.model`` of the items
    source: str
    #: the read action the items are seen with (``restrict``)
    permission: str
    #: which date puts an item in the period
    cohort: Promise
    #: the items counted: the denominator of a rate, the whole set of a pure count
    denominator_text: Promise | None
    numerator_text: Promise
    #: ``(period, unit path) -> Q``: the denominator (or the counted set) in the unit's subtree
    universe: QFn
    #: ``(period, unit path) -> Q``: the numerator, within ``universe``; None for a pure count
    numerator: QFn | None
    #: keyset ordering of the lists
    ordering: tuple[str, ...]
    #: for rankings: whether a higher rate is better (重复信访率 is not)
    higher_is_better: bool = True
    #: petitions: the clocks whose due date the lists show
    due_clocks: Callable[[], list[str]] | None = None
    #: whether the live pass may filter by the universe (``WHERE``): False for a universe that is
    #: a subquery over another ledger (clocks, decisions), which the database would evaluate
    #: twice (the filter and the flag) for nothing (see :func:`figures`)
    bounding: bool = True

    @property
    def is_count(self) -> bool:
        return self.numerator is None

    @property
    def model(self) -> Any:
        return apps.get_model(self.source)

    def base(self, user: Any) -> QuerySet[Any]:
        return self.model.objects.restrict(user, self.permission)

    def part_q(self, part: str, period: Period, path: str) -> Q:
        """The filter of ``part`` ("numerator" or "denominator") for the unit at ``path``."""
        universe = self.universe(period, path)
        if part == "denominator":
            if self.numerator is None:
                raise ValueError("a pure count has no denominator")
            return universe
        if self.numerator is None:
            return universe
        return universe & self.numerator(period, path)


@dataclass(frozen=True)
class Figure:
    indicator: Indicator
    numerator: int
    denominator: int | None

    @property
    def value(self) -> float | None:
        """The rate (0–1, four decimals), the count itself, or None without a denominator."""
        if self.denominator is None:
            return float(self.numerator)
        if self.denominator == 0:
            return None
        return round(self.numerator / self.denominator, 4)


# --- units -----------------------------------------------------------------------------------


def _answering_unit(path: str) -> Q:
    """A petition's answering unit: the lead unit, else (not yet accepted) the holding unit."""
    return Q(lead_unit__path__startswith=path) | Q(
        lead_unit__isnull=True, current_unit__path__startswith=path
    )


def _hazard_unit(path: str) -> Q:
    """属地 and 行业主管: the territorial unit, or the site's regulating department."""
    return Q(unit__path__startswith=path) | Q(site__regulating_unit__path__startswith=path)


def _site_unit(path: str) -> Q:
    return Q(unit__path__startswith=path) | Q(regulating_unit__path__startswith=path)


# --- petitions -------------------------------------------------------------------------------


def _clocks(period: Period, path: str, names: list[str]) -> Any:
    """The petitions' clocks of ``names`` owned in the subtree and due in the period that have
    come due: stopped (met or missed), or still running with the due date past. A paused clock
    (the time limit suspended, Art. 33) and one not yet due are not counted; a cancelled one
    (the case was forwarded) is counted for the unit the case went to, under its new clock."""
    from anxin.supervision.models import Clock

    return Clock.objects.filter(
        Q(state__in=["met", "missed"]) | Q(state="running", due_on__lt=period.today),
        subject_type=PETITION,
        name__in=names,
        due_on__gte=period.start,
        due_on__lte=period.end,
        unit__path__startswith=path,
    )


def _acceptance_due(period: Period, path: str) -> Q:
    return Q(pk__in=_clocks(period, path, ["accept_by"]).values("subject_id"))


def _acceptance_met(period: Period, path: str) -> Q:
    return Q(pk__in=_clocks(period, path, ["accept_by"]).filter(state="met").values("subject_id"))


def _reply_due(period: Period, path: str) -> Q:
    return Q(pk__in=_clocks(period, path, config()["reply_clocks"]).values("subject_id"))


def _reply_met(period: Period, path: str) -> Q:
    met = _clocks(period, path, config()["reply_clocks"]).filter(state="met")
    # a case with two reply clocks due in the period (a reply and a review) is on time only
    # when none of them was missed
    late = _clocks(period, path, config()["reply_clocks"]).exclude(state="met")
    return Q(pk__in=met.values("subject_id")) & ~Q(pk__in=late.values("subject_id"))


def _decided(period: Period, path: str) -> Q:
    """Answered in writing (处理意见书 signed off) in the period."""
    from anxin.petitions.models import Decision

    signed = Decision.objects.filter(
        stage="decision",
        signed_off_at__gte=period.start_at,
        signed_off_at__lt=period.end_at,
        unit__path__startswith=path,
    )
    return Q(pk__in=signed.values("petition_id"))


def _rated(period: Period, path: str) -> Q:
    return ~Q(rating="")


def _decided_rated(period: Period, path: str) -> Q:
    return _decided(period, path) & _rated(period, path)


def _satisfied(period: Period, path: str) -> Q:
    return Q(rating__in=config()["satisfied_ratings"])


def _received(period: Period, path: str) -> Q:
    return (
        Q(received_on__gte=period.start, received_on__lte=period.end)
        & ~Q(status="merged")
        & _answering_unit(path)
    )


def _repeat(period: Period, path: str) -> Q:
    return Q(repeat_of__isnull=False)


def _first_closed(period: Period, path: str) -> Q:
    return (
        Q(status="closed", repeat_of__isnull=True)
        & Q(closed_at__gte=period.start_at, closed_at__lt=period.end_at)
        & _answering_unit(path)
    )


def _resolved_first_time(period: Period, path: str) -> Q:
    # 复查 never requested (no review unit), the petitioner rated it satisfied
    return Q(review_unit__isnull=True, rating__in=config()["resolved_ratings"])


def _backlog_listed(period: Period, path: str) -> Q:
    """On the backlog ledger before the period began and not closed before it."""
    return (
        Q(is_backlog=True, backlog_since__lt=period.start)
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=period.start_at))
        & _answering_unit(path)
    )


def _backlog_cleared(period: Period, path: str) -> Q:
    return Q(status="closed", closed_at__gte=period.start_at, closed_at__lt=period.end_at)


# --- safety ----------------------------------------------------------------------------------

NOT_HAZARDS = ["reported", "void"]  # still in the triage queue, or voided


def _hazards_found(period: Period, path: str) -> Q:
    return (
        Q(found_at__gte=period.start_at, found_at__lt=period.end_at)
        & ~Q(status__in=NOT_HAZARDS)
        & _hazard_unit(path)
    )


def _major_found(period: Period, path: str) -> Q:
    return _hazards_found(period, path) & Q(grade="major")


def _hazard_closed(period: Period, path: str) -> Q:
    """销号 by the end of the period (or today, for a period still running)."""
    return Q(status="closed", closed_at__lt=period.as_of_end)


def _overdue(period: Period, path: str) -> Q:
    """Open at the end of the period (or today) with the deadline already past."""
    open_then = (
        Q(found_at__lt=period.as_of_end)
        & ~Q(status__in=NOT_HAZARDS)
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=period.as_of_end))
    )
    return open_then & Q(deadline__lt=period.as_of) & _hazard_unit(path)


def _sites_due(period: Period, path: str) -> Q:
    return Q(status__in=config()["site_statuses"], created_at__lt=period.end_at) & _site_unit(path)


def _sites_inspected(period: Period, path: str) -> Q:
    from anxin.safety.models_inspections import Inspection

    done = Inspection.objects.filter(
        status__in=config()["inspection_statuses"],
        started_at__gte=period.start_at,
        started_at__lt=period.end_at,
    )
    return Q(pk__in=done.values("site_id"))


def _accidents(grade: str) -> QFn:
    def q(period: Period, path: str) -> Q:
        return Q(
            grade=grade,
            occurred_at__gte=period.start_at,
            occurred_at__lt=period.end_at,
            unit__path__startswith=path,
        )

    return q


def _reply_clock_names() -> list[str]:
    return list(config()["reply_clocks"])


PETITION_ORDERING = ("-received_on", "-id")
HAZARD_ORDERING = ("-found_at", "-id")

_PETITION_COMMON: dict[str, Any] = {
    "source": "petitions.Petition",
    "permission": "petition.view",
    "ordering": PETITION_ORDERING,
}
_HAZARD_COMMON: dict[str, Any] = {
    "source": "safety.Hazard",
    "permission": "hazard.view",
    "ordering": HAZARD_ORDERING,
}

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        key="timely_acceptance_rate",
        label=_("Timely acceptance rate"),
        cohort=_("the acceptance deadline (accept_by) falls in the period and has come"),
        denominator_text=_("petitions whose acceptance decision was due in the period"),
        numerator_text=_("of them, accepted or declined by the deadline"),
        universe=_acceptance_due,
        numerator=_acceptance_met,
        due_clocks=lambda: ["accept_by"],
        bounding=False,
        **_PETITION_COMMON,
    ),
    Indicator(
        key="on_time_reply_rate",
        label=_("On-time reply rate"),
        cohort=_("the reply deadline (handle_by) falls in the period and has come"),
        denominator_text=_("petitions whose written reply was due in the period"),
        numerator_text=_("of them, answered by the deadline"),
        universe=_reply_due,
        numerator=_reply_met,
        due_clocks=_reply_clock_names,
        bounding=False,
        **_PETITION_COMMON,
    ),
    Indicator(
        key="participation_rate",
        label=_("Rating participation rate"),
        cohort=_("the written answer was signed off in the period"),
        denominator_text=_("petitions answered in writing in the period"),
        numerator_text=_("of them, rated by the petitioner"),
        universe=_decided,
        numerator=_rated,
        due_clocks=lambda: ["handle_by"],
        bounding=False,
        **_PETITION_COMMON,
    ),
    Indicator(
        key="satisfaction_rate",
        label=_("Satisfaction rate"),
        cohort=_("the written answer was signed off in the period"),
        denominator_text=_("petitions answered in writing in the period and rated"),
        numerator_text=_("of them, rated satisfied or basically satisfied"),
        universe=_decided_rated,
        numerator=_satisfied,
        due_clocks=lambda: ["handle_by"],
        bounding=False,
        **_PETITION_COMMON,
    ),
    Indicator(
        key="repeat_petition_rate",
        label=_("Repeat petition rate"),
        cohort=_("received in the period"),
        denominator_text=_("petitions received in the period (merged duplicates excluded)"),
        numerator_text=_("of them, linked to an earlier case on the same matter"),
        universe=_received,
        numerator=_repeat,
        higher_is_better=False,
        due_clocks=lambda: ["accept_by"],
        **_PETITION_COMMON,
    ),
    Indicator(
        key="first_petition_resolution_rate",
        label=_("First-petition resolution rate"),
        cohort=_("closed in the period"),
        denominator_text=_("first-time petitions closed in the period"),
        numerator_text=_("of them, closed without a review (复查) and rated satisfied"),
        universe=_first_closed,
        numerator=_resolved_first_time,
        due_clocks=lambda: ["handle_by"],
        **_PETITION_COMMON,
    ),
    Indicator(
        key="backlog_clearance_rate",
        label=_("Backlog clearance rate"),
        cohort=_("on the backlog ledger at the start of the period"),
        denominator_text=_("backlog cases listed before the period and still open at its start"),
        numerator_text=_("of them, closed in the period"),
        universe=_backlog_listed,
        numerator=_backlog_cleared,
        due_clocks=lambda: ["handle_by"],
        **_PETITION_COMMON,
    ),
    Indicator(
        key="hazard_rectification_rate",
        label=_("Hazard rectification rate"),
        cohort=_("found in the period"),
        denominator_text=_(
            "hazards found in the period (reports awaiting triage and voided ones excluded)"
        ),
        numerator_text=_("of them, closed (销号) by the end of the period"),
        universe=_hazards_found,
        numerator=_hazard_closed,
        **_HAZARD_COMMON,
    ),
    Indicator(
        key="major_hazard_rectification_rate",
        label=_("Major hazard rectification rate"),
        cohort=_("found in the period"),
        denominator_text=_("major hazards found in the period"),
        numerator_text=_("of them, closed (销号) by the end of the period"),
        universe=_major_found,
        numerator=_hazard_closed,
        **_HAZARD_COMMON,
    ),
    Indicator(
        key="overdue_hazards",
        label=_("Overdue unrectified hazards"),
        cohort=_("open at the end of the period (or today) with the deadline past"),
        denominator_text=None,
        numerator_text=_("hazards still open at the end of the period past their deadline"),
        universe=_overdue,
        numerator=None,
        **_HAZARD_COMMON,
    ),
    Indicator(
        key="inspection_coverage_rate",
        label=_("Inspection coverage rate"),
        cohort=_("sites on record by the end of the period; inspections made in the period"),
        denominator_text=_("sites under supervision (not closed)"),
        numerator_text=_("of them, inspected in the period (a signed or refused record)"),
        source="safety.Site",
        permission="site.view",
        universe=_sites_due,
        numerator=_sites_inspected,
        ordering=("name", "id"),
    ),
)


def _accident_indicators() -> tuple[Indicator, ...]:
    from anxin.safety.accident_rules import AccidentGrade

    return tuple(
        Indicator(
            key=f"accidents_{grade.value}",
            label=grade.label,
            cohort=_("occurred in the period"),
            denominator_text=None,
            numerator_text=_("accidents of this grade that occurred in the period"),
            source="safety.Accident",
            permission="accident.view",
            universe=_accidents(grade.value),
            numerator=None,
            ordering=("-occurred_at", "-id"),
        )
        for grade in AccidentGrade
    )


#: the keys of the API contract (issue 5), in this order, then the accidents by grade
CONTRACT_KEYS = tuple(i.key for i in INDICATORS)


def all_indicators() -> tuple[Indicator, ...]:
    return INDICATORS + _accident_indicators()


def get(key: str) -> Indicator | None:
    return next((i for i in all_indicators() if i.key == key), None)


# --- computing -------------------------------------------------------------------------------


def figure(indicator: Indicator, *, user: Any, unit: Any, period: Period) -> Figure:
    """One indicator for one unit (and its subtree): one ``COUNT`` query."""
    result = figures_for_units(indicator, user=user, units=[unit], period=period)
    return result[unit.pk]


def figures_for_units(
    indicator: Indicator, *, user: Any, units: list[Any], period: Period
) -> dict[int, Figure]:
    """One indicator for many units at once: one query, two filtered counts per unit."""
    if not units:
        return {}
    aggregates: dict[str, Any] = {}
    for unit in units:
        universe = indicator.universe(period, unit.path)
        if indicator.numerator is None:
            aggregates[f"n{unit.pk}"] = Count("pk", filter=universe)
        else:
            aggregates[f"d{unit.pk}"] = Count("pk", filter=universe)
            aggregates[f"n{unit.pk}"] = Count(
                "pk", filter=universe & indicator.numerator(period, unit.path)
            )
    row = indicator.base(user).aggregate(**aggregates)
    return {
        unit.pk: Figure(
            indicator,
            numerator=row[f"n{unit.pk}"],
            denominator=None if indicator.numerator is None else row[f"d{unit.pk}"],
        )
        for unit in units
    }


def figures(*, user: Any, unit: Any, period: Period) -> list[Figure]:
    """Every indicator for one unit: one query per source (petitions, hazards, sites,
    accidents), each a single pass of conditional counts over the restricted items.

    The filters are those of :func:`figures_for_units` (the same ``restrict``, universes and
    numerators), each evaluated once per item in an inner query (as a boolean column, behind a
    ``LIMIT`` that keeps PostgreSQL from inlining it again into every count that uses it) and
    counted by the outer one: each figure still equals the length of its list."""
    out: dict[str, Figure] = rolled_up_figures(user=user, unit=unit, period=period)
    out.update(rolled_up_hazard_figures(user=user, unit=unit, period=period))
    groups: dict[tuple[str, str], list[Indicator]] = {}
    for ind in all_indicators():
        if ind.key not in out:
            groups.setdefault((ind.source, ind.permission), []).append(ind)
    for members in groups.values():
        flags: dict[str, Any] = {}
        aggregates: dict[str, Any] = {}
        for n, ind in enumerate(members):
            flags[f"u{n}"] = _flag(ind.universe(period, unit.path))
            if ind.numerator is None:
                aggregates[f"n{n}"] = Count("pk", filter=Q(**{f"u{n}": True}))
                continue
            flags[f"m{n}"] = _flag(ind.numerator(period, unit.path))
            aggregates[f"d{n}"] = Count("pk", filter=Q(**{f"u{n}": True}))
            aggregates[f"n{n}"] = Count("pk", filter=Q(**{f"u{n}": True, f"m{n}": True}))
        # a row outside every universe adds to no count: the WHERE lets the database skip it
        # (along an index where one fits, e.g. the backlog's partial index, the hazards'
        # found_at) — unless a universe is a subquery over another ledger
        qs = members[0].base(user)
        if all(ind.bounding for ind in members):
            bound = Q()
            for ind in members:
                bound |= ind.universe(period, unit.path)
            qs = qs.filter(bound)
        inner = qs.annotate(**flags).values("pk", *flags)[:_NO_LIMIT]
        row = inner.aggregate(**aggregates)
        for n, ind in enumerate(members):
            out[ind.key] = Figure(
                ind,
                numerator=row[f"n{n}"],
                denominator=None if ind.numerator is None else row[f"d{n}"],
            )
    return [out[i.key] for i in all_indicators()]


def rolled_clock_names() -> dict[str, list[str]]:
    """The indicators read from the clock rollup, with the clocks of their cohort: one clock per
    case (a case has at most one clock of a name that is not cancelled), so counting clocks is
    counting cases. With several reply clocks configured, 按期答复率 stays live (a case is on
    time only when none of its reply clocks was missed)."""
    out = {"timely_acceptance_rate": ["accept_by"]}
    reply = list(config()["reply_clocks"])
    if len(reply) == 1:
        out["on_time_reply_rate"] = reply
    return out


def rolled_up_figures(*, user: Any, unit: Any, period: Period) -> dict[str, Figure]:
    """The indicators read from the daily rollups: the timeliness rates from
    :class:`~anxin.reports.models_rollups.ClockDaily` and the day-additive petition rates from
    :class:`~anxin.reports.models_rollups.KpiDaily` (:mod:`anxin.reports.kpi_rollups`), each a
    sum over the rows of the period's days and the unit's subtree (a few thousand rows, whatever
    the number of cases), minus the accusations hidden from the person counted live in one
    query (the shield; they are few). Only for a person who may see every case of the tree but
    those (``covers_every_unit``); anyone else gets ``{}`` and the live counts."""
    from anxin.core.scoping import covers_every_unit
    from anxin.petitions.models import Petition
    from anxin.petitions.scoping import shield_q
    from anxin.reports import kpi_rollups
    from anxin.reports.models_rollups import ClockDaily

    if not getattr(user, "is_authenticated", False) or not covers_every_unit(user, "petition.view"):
        return {}
    names = rolled_clock_names()
    come_due = Q(state__in=["met", "missed"]) | Q(state="running", day__lt=period.today)
    aggregates: dict[str, Any] = {}
    for key, clock_names in names.items():
        due = come_due & Q(name__in=clock_names)
        aggregates[f"d_{key}"] = Coalesce(Sum("n", filter=due), 0)
        aggregates[f"n_{key}"] = Coalesce(Sum("n", filter=due & Q(state="met")), 0)
    row = ClockDaily.objects.filter(
        day__gte=period.start, day__lte=period.end, unit__path__startswith=unit.path
    ).aggregate(**aggregates)
    row.update(kpi_rollups.daily_sums(unit=unit, period=period))
    keys = [*names, *kpi_rollups.KEYS]
    hidden: dict[str, Any] = {}
    for key in keys:
        ind = get(key)
        assert ind is not None and ind.numerator is not None
        universe = ind.universe(period, unit.path)
        hidden[f"d_{key}"] = Count("pk", filter=universe)
        hidden[f"n_{key}"] = Count("pk", filter=universe & ind.numerator(period, unit.path))
    # the hidden cases by primary key: the shield's ids come index-only from the accusations'
    # partial index, and only those few cases are read (not every accusation's row)
    hidden_pks = Petition.objects.filter(shield_q(user)).values("pk")
    less = Petition.objects.filter(pk__in=hidden_pks).aggregate(**hidden)
    out: dict[str, Figure] = {}
    for key in keys:
        ind = get(key)
        assert ind is not None
        out[key] = Figure(
            ind,
            numerator=row[f"n_{key}"] - less[f"n_{key}"],
            denominator=row[f"d_{key}"] - less[f"d_{key}"],
        )
    return out


def rolled_up_hazard_figures(*, user: Any, unit: Any, period: Period) -> dict[str, Figure]:
    """The hazard indicators from the hazard rollups (:func:`anxin.reports.kpi_rollups.
    hazard_figures`) for a person who may see every hazard of the tree (``covers_every_unit``:
    every hazard's site, or its place, lies in the tree); anyone else gets ``{}``."""
    from anxin.core.scoping import covers_every_unit
    from anxin.reports import kpi_rollups

    if not getattr(user, "is_authenticated", False) or not covers_every_unit(user, "hazard.view"):
        return {}
    return kpi_rollups.hazard_figures(unit=unit, period=period)


def _flag(q: Q) -> Case:
    """``q`` as a true/false column (false where SQL gives unknown, as a ``WHERE`` would; a
    condition that can match nothing, such as ``name IN ()``, is plain false)."""
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


#: the inner query's LIMIT: never reached, there only to fence the flags (see :func:`figures`)
_NO_LIMIT = 2**62


def items(
    indicator: Indicator, *, user: Any, unit: Any, period: Period, part: str
) -> QuerySet[Any]:
    """The exact items behind a figure: its length is the numerator or the denominator."""
    qs = indicator.base(user).filter(indicator.part_q(part, period, unit.path))
    if indicator.source == "petitions.Petition":
        from anxin.supervision.models import Clock

        names = indicator.due_clocks() if indicator.due_clocks else ["handle_by"]
        due = (
            Clock.objects.filter(subject_type=PETITION, subject_id=OuterRef("pk"), name__in=names)
            .exclude(state="cancelled")
            .order_by("-due_on", "-id")
            .values("due_on")[:1]
        )
        return qs.annotate(due_on=Subquery(due)).only(
            "id", "uid", "number", "status", "received_on"
        )
    return qs.select_related("unit")


# --- parameters ------------------------------------------------------------------------------


class UnitNotFound(ServiceError):
    status = 404
    code = "not_found"


def resolve_unit(user: Any, code: str | None) -> Any:
    """The unit of the figures: by code, else the person's home unit; 404 when it does not
    exist or lies outside the person's ``kpi.view`` scope (the same answer for both)."""
    from anxin.core.models import Unit
    from anxin.core.scoping import unit_in_scope

    unit = Unit.objects.filter(code=code).first() if code else getattr(user, "unit", None)
    if unit is None or not unit_in_scope(user, "kpi.view", unit):
        raise UnitNotFound(
            gettext("No unit with the code %(code)s in your scope.") % {"code": code or "—"}
        )
    return unit


def _date(value: str | None, field: str, default: dt.date) -> dt.date:
    if value in (None, ""):
        return default
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            {field: [gettext("Enter a date as YYYY-MM-DD.")]}, code="invalid"
        ) from None


def resolve_period(date_from: str | None, date_to: str | None, on: dt.date | None = None) -> Period:
    """``from``/``to`` (YYYY-MM-DD, inclusive); by default the current month so far."""
    on = on or today()
    start = _date(date_from, "from", on.replace(day=1))
    end = _date(date_to, "to", on)
    if start > end:
        raise ValidationError(
            {"from": [gettext("The start date must not be after the end date.")]}, code="invalid"
        )
    return Period(start=start, end=end, today=on)
