"""Rankings (考核排名) of peer units — issue 5, item 6.

Peers are units of the same kind at the same level of the tree (the children of ``parent``
of that kind, or, without ``parent``, every unit of that kind at the highest level where the
person has such units in their ``kpi.view`` scope). For each peer and each ranked indicator the
figures are those of :mod:`anxin.reports.indicators` (the subtree, over what the person may
see), one query per indicator for all peers together.

    score = Σ weight × rate

where ``rate`` is numerator ÷ denominator (0–1); for 重复信访率, where lower is better, the rate
used is 1 − rate; an indicator with nothing in its denominator scores its full weight (nothing
was due, nothing was missed). Scores are rounded to two decimals; equal scores share a rank
and are listed by unit code.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anxin.core.choices import UnitKind
from anxin.reports import indicators
from anxin.reports.indicators import Figure, Indicator, Period

#: the ranked indicators and their default weights: the district scheme of rules.md §7 —
#: 及时受理 5, 按期答复 10, repeat-petition control **0** (not 10: see REPEAT_CONTROL_REASON),
#: 参评满意 10, 参评率 5 — and the safety indicators, shown but not scored by default
DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "timely_acceptance_rate": Decimal("5"),
    "on_time_reply_rate": Decimal("10"),
    "repeat_petition_rate": Decimal("0"),
    "satisfaction_rate": Decimal("10"),
    "participation_rate": Decimal("5"),
    "hazard_rectification_rate": Decimal("0"),
    "major_hazard_rectification_rate": Decimal("0"),
    "inspection_coverage_rate": Decimal("0"),
}
RANKED_KEYS = tuple(DEFAULT_WEIGHTS)

#: rules.md §7, quoted on the ranking page
REPEAT_CONTROL_REASON = _(
    "Anxin's default weight for repeat-petition control is 0: docking a unit's score when "
    "people petition again is the incentive behind intercepting and containing petitioners. "
    "A city may change the weight."
)

FORMULA = _(
    "Score = Σ weight × rate. For the repeat petition rate, where lower is better, 1 − rate is "
    "used. An indicator with nothing in its denominator scores its full weight. Equal scores "
    "share a rank and are listed by unit code."
)

TWO_PLACES = Decimal("0.01")
PERIOD_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PERIOD_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class RankPeriod:
    code: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if "Q" in self.code:
            return gettext("%(year)s, quarter %(q)s") % {
                "year": self.start.year,
                "q": (self.start.month + 2) // 3,
            }
        return gettext("%(year)s-%(month)02d") % {
            "year": self.start.year,
            "month": self.start.month,
        }


def parse_period(text: str | None) -> RankPeriod:
    """``2026-11`` (a month) or ``2026-Q4`` (a quarter)."""
    text = (text or "").strip()
    if m := PERIOD_MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        start = dt.date(year, month, 1)
        following = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
        return RankPeriod(text, start, following - dt.timedelta(days=1))
    if m := PERIOD_QUARTER.match(text):
        year, q = int(m.group(1)), int(m.group(2))
        start = dt.date(year, 3 * q - 2, 1)
        following = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
        return RankPeriod(text, start, following - dt.timedelta(days=1))
    raise ValidationError(
        {"period": [gettext("Give the period as a month (2026-11) or a quarter (2026-Q4).")]},
        code="invalid",
    )


def current_period_code(today: dt.date | None = None) -> str:
    """The last complete month: what is ranked by default."""
    today = today or timezone.localdate()
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def weights() -> dict[str, Decimal]:
    """The weights in force: the defaults, overridden by the administrator's table (1 query)."""
    from anxin.reports.models_rankings import IndicatorWeight

    result = dict(DEFAULT_WEIGHTS)
    for key, weight in IndicatorWeight.objects.filter(key__in=RANKED_KEYS).values_list(
        "key", "weight"
    ):
        result[key] = weight
    return result


def peers(user: Any, *, kind: str | None, parent: str | None) -> list[Any]:
    """The peer units in the person's ``kpi.view`` scope (one query; no query per unit)."""
    from anxin.core.models import Unit
    from anxin.core.scoping import unit_in_scope

    kind = kind or UnitKind.DISTRICT
    if kind not in UnitKind.values:
        raise ValidationError({"kind": [gettext("Unknown kind of unit.")]}, code="invalid")
    qs = Unit.objects.filter(kind=kind, is_active=True)
    if parent:
        parent_unit = Unit.objects.filter(code=parent).first()
        if parent_unit is None:
            raise indicators.UnitNotFound(
                gettext("No unit with the code %(code)s in your scope.") % {"code": parent}
            )
        qs = qs.filter(parent=parent_unit)
    units = [u for u in qs.order_by("depth", "code") if unit_in_scope(user, "kpi.view", u)]
    if not units:
        return []
    level = units[0].depth
    return [u for u in units if u.depth == level]


@dataclass
class Cell:
    indicator: Indicator
    figure: Figure
    weight: Decimal
    points: Decimal


@dataclass
class Row:
    unit: Any
    cells: list[Cell]
    score: Decimal
    rank: int = 0


@dataclass
class Ranking:
    period: RankPeriod
    kind: str
    parent: str | None
    indicators: list[Indicator]
    weights: dict[str, Decimal]
    rows: list[Row] = field(default_factory=list)

    @property
    def full_marks(self) -> Decimal:
        return sum((self.weights[i.key] for i in self.indicators), Decimal(0))


def points(indicator: Indicator, figure: Figure, weight: Decimal) -> Decimal:
    """weight × rate (1 − rate where lower is better; the full weight without any items)."""
    if not figure.denominator:
        rate = Decimal(1)
    else:
        rate = Decimal(figure.numerator) / Decimal(figure.denominator)
        if not indicator.higher_is_better:
            rate = 1 - rate
    return (weight * rate).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def ranking(
    user: Any,
    *,
    period: str,
    kind: str | None = None,
    parent: str | None = None,
    today: dt.date | None = None,
) -> Ranking:
    """The ranking of the peer group: 2 + one query per ranked indicator."""
    from django.core.exceptions import PermissionDenied

    from anxin.core.scoping import can

    if not can(user, "kpi.view"):
        raise PermissionDenied
    rank_period = parse_period(period)
    units = peers(user, kind=kind, parent=parent)
    in_force = weights()
    ranked = [i for i in (indicators.get(k) for k in RANKED_KEYS) if i is not None]
    result = Ranking(rank_period, kind or UnitKind.DISTRICT, parent, ranked, in_force)
    span = Period(rank_period.start, rank_period.end, today or indicators.today())
    by_indicator = {
        i.key: indicators.figures_for_units(i, user=user, units=units, period=span) for i in ranked
    }
    for unit in units:
        cells = [
            Cell(
                i,
                by_indicator[i.key][unit.pk],
                in_force[i.key],
                points(i, by_indicator[i.key][unit.pk], in_force[i.key]),
            )
            for i in ranked
        ]
        score = sum((c.points for c in cells), Decimal(0)).quantize(
            TWO_PLACES, rounding=ROUND_HALF_UP
        )
        result.rows.append(Row(unit, cells, score))
    result.rows.sort(key=lambda r: (-r.score, r.unit.code))
    previous: Decimal | None = None
    for position, row in enumerate(result.rows, start=1):
        row.rank = result.rows[position - 2].rank if row.score == previous else position
        previous = row.score
    return result
