"""Production-safety accidents as data — 生产安全事故报告和调查处理条例 (国务院令第493号, 2007)
[../shared/rules.md §3; ../shared/laws/生产安全事故报告和调查处理条例(2007-04-09).md].

Each rule cites its article. Pure: no database, no clock table. The services
(:mod:`anxin.safety.accidents`) read these values and keep the clocks in supervision's table.

Grading (Art. 3): the grade is the **highest** tier that **any** criterion reaches — deaths,
serious injuries (acute industrial poisoning included, 下同) or direct economic loss in yuan.
"以上" includes the number, "以下" excludes it (Art. 3 last paragraph): 30 deaths is 特别重大,
29 is 重大. People missing (下落不明) are reported (Art. 12(4)) but never count toward the grade.

Periods in days are counted as in 民法典 Art. 201 (the day of the accident or of receipt not
counted); periods in hours run from the moment given, to the minute.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

#: how the regulation is cited on pages and in the API
REGULATION = "493号令"


class AccidentGrade(models.TextChoices):
    """Art. 3; the API codes are part of the contract. Ordered from the highest."""

    PARTICULARLY_SERIOUS = "particularly_serious", _("Particularly serious accident")
    SERIOUS = "serious", _("Serious accident")
    RELATIVELY_LARGE = "relatively_large", _("Relatively large accident")
    ORDINARY = "ordinary", _("Ordinary accident")


class AccidentKind(models.TextChoices):
    """What happened. Road traffic and fires have the 7-day supplementary window (Art. 13)."""

    ROAD_TRAFFIC = "road_traffic", _("Road traffic accident")
    FIRE = "fire", _("Fire")
    PRODUCTION = "production", _("Production accident")
    CONSTRUCTION = "construction", _("Construction accident")
    HAZARDOUS_CHEMICALS = "hazardous_chemicals", _("Hazardous chemicals accident")
    MINING = "mining", _("Mining accident")
    SPECIAL_EQUIPMENT = "special_equipment", _("Special equipment accident")
    POISONING = "poisoning", _("Poisoning or asphyxiation")
    OTHER = "other", _("Other")


class ReportLevel(models.TextChoices):
    """The authorities an accident is reported to, from the bottom (Art. 9, 10)."""

    COUNTY = "county", _("County work-safety department")
    CITY = "city", _("City work-safety department")
    PROVINCE = "province", _("Provincial work-safety department")
    STATE = "state", _("State Council work-safety department")


class Investigator(models.TextChoices):
    """Who investigates (Art. 19)."""

    STATE_COUNCIL = "state_council", _("The State Council")
    PROVINCE = "province", _("The provincial government")
    CITY = "city", _("The city government")
    COUNTY = "county", _("The county government")


class Criterion(models.TextChoices):
    """The three criteria of Art. 3."""

    DEATHS = "deaths", _("Deaths")
    SERIOUS_INJURIES = "serious_injuries", _("Serious injuries (incl. acute industrial poisoning)")
    DIRECT_LOSS = "direct_loss_yuan", _("Direct economic loss")


#: the grades from the highest down (index 0 is the highest)
GRADE_ORDER: tuple[str, ...] = (
    AccidentGrade.PARTICULARLY_SERIOUS,
    AccidentGrade.SERIOUS,
    AccidentGrade.RELATIVELY_LARGE,
    AccidentGrade.ORDINARY,
)

#: the levels from the bottom up
LEVEL_ORDER: tuple[str, ...] = (
    ReportLevel.COUNTY,
    ReportLevel.CITY,
    ReportLevel.PROVINCE,
    ReportLevel.STATE,
)


@dataclass(frozen=True)
class Tier:
    """The lower bounds ("以上", inclusive) of one grade; a tier is reached by any of them."""

    grade: str
    deaths: int
    serious_injuries: int
    direct_loss_yuan: Decimal
    article: str


#: Art. 3(1)–(3), from the highest. Below every tier is 一般 (Art. 3(4)): fewer than 3 deaths,
#: fewer than 10 serious injuries and less than ¥10,000,000 — "以下" excludes the number.
TIERS: tuple[Tier, ...] = (
    Tier(AccidentGrade.PARTICULARLY_SERIOUS, 30, 100, Decimal("100000000"), "Art. 3(1)"),
    Tier(AccidentGrade.SERIOUS, 10, 50, Decimal("50000000"), "Art. 3(2)"),
    Tier(AccidentGrade.RELATIVELY_LARGE, 3, 10, Decimal("10000000"), "Art. 3(3)"),
)
ORDINARY_ARTICLE = "Art. 3(4)"


@dataclass(frozen=True)
class Grading:
    """A grade and why: the criteria that reached its tier (empty for 一般: none reached 较大)."""

    grade: str
    decided_by: tuple[str, ...]
    article: str


def _count(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} is a whole number, zero or more")
    return value


def grade_accident(
    *,
    deaths: int,
    serious_injuries: int,
    direct_loss_yuan: Decimal | int,
    missing: int = 0,
) -> Grading:
    """The grade by Art. 3: the highest tier any criterion reaches.

    ``missing`` is accepted (and checked) only so that callers can pass the full casualty
    record: people missing never count toward the grade.
    """
    deaths = _count("deaths", deaths)
    serious_injuries = _count("serious_injuries", serious_injuries)
    _count("missing", missing)
    loss = Decimal(direct_loss_yuan)
    if not loss.is_finite() or loss < 0:
        raise ValueError("direct_loss_yuan is an amount in yuan, zero or more")
    for tier in TIERS:
        reached = tuple(
            criterion
            for criterion, value, bound in (
                (Criterion.DEATHS, deaths, tier.deaths),
                (Criterion.SERIOUS_INJURIES, serious_injuries, tier.serious_injuries),
                (Criterion.DIRECT_LOSS, loss, tier.direct_loss_yuan),
            )
            if value >= bound  # "以上" includes the number
        )
        if reached:
            return Grading(tier.grade, tuple(str(c) for c in reached), tier.article)
    return Grading(AccidentGrade.ORDINARY, (), ORDINARY_ARTICLE)


def grade_rank(grade: str) -> int:
    """0 for 特别重大 … 3 for 一般: a lower rank is a higher grade."""
    return GRADE_ORDER.index(grade)


def tier_bound(grade: str, criterion: str) -> int | Decimal | None:
    """The lower bound of ``criterion`` for ``grade`` (None for 一般, which has none)."""
    for tier in TIERS:
        if tier.grade == grade:
            return getattr(tier, criterion)  # type: ignore[no-any-return]
    return None


# --- Reporting (Art. 9–13) ---------------------------------------------------------------------

#: Art. 9: the unit leader reports to the county within 1 hour of receiving the report
COUNTY_REPORT_HOURS = 1
#: Art. 11: each level reports up within 2 hours
LEVEL_REPORT_HOURS = 2

#: Art. 10: the level the report must reach
REQUIRED_LEVEL: dict[str, str] = {
    AccidentGrade.PARTICULARLY_SERIOUS: ReportLevel.STATE,  # Art. 10(1)
    AccidentGrade.SERIOUS: ReportLevel.STATE,  # Art. 10(1)
    AccidentGrade.RELATIVELY_LARGE: ReportLevel.PROVINCE,  # Art. 10(2)
    AccidentGrade.ORDINARY: ReportLevel.CITY,  # Art. 10(3): 设区的市
}

#: Art. 13 (and Art. 20): casualty changes are reported (补报) within 30 days of the accident …
SUPPLEMENT_DAYS = 30
#: … 7 days for road traffic accidents and fires
SUPPLEMENT_DAYS_SHORT = 7
SHORT_WINDOW_KINDS = frozenset({AccidentKind.ROAD_TRAFFIC, AccidentKind.FIRE})


def county_report_by(unit_informed_at: dt.datetime) -> dt.datetime:
    """Art. 9: within 1 hour of the unit leader being informed."""
    return unit_informed_at + dt.timedelta(hours=COUNTY_REPORT_HOURS)


def level_report_by(previous_report_at: dt.datetime) -> dt.datetime:
    """Art. 11: within 2 hours of the level below receiving the report."""
    return previous_report_at + dt.timedelta(hours=LEVEL_REPORT_HOURS)


def level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level)


def required_level(grade: str) -> str:
    return REQUIRED_LEVEL[grade]


def levels_above(level: str | None, grade: str) -> tuple[str, ...]:
    """The levels still to reach after ``level`` (None: not reported yet) for ``grade``."""
    top = level_rank(required_level(grade))
    start = 0 if not level else level_rank(level) + 1
    return LEVEL_ORDER[start : top + 1]


def next_level(level: str, grade: str) -> str | None:
    """The next level up that the report must still reach, or None when it has arrived."""
    rest = levels_above(level, grade)
    return rest[0] if rest else None


def supplement_days(kind: str) -> int:
    """Art. 13: 7 days for road traffic and fires, 30 otherwise."""
    return SUPPLEMENT_DAYS_SHORT if kind in SHORT_WINDOW_KINDS else SUPPLEMENT_DAYS


def supplementary_until(occurred_on: dt.date, kind: str) -> dt.date:
    """The last day on which a casualty change is reported and regrades (Art. 13, 20).

    "自事故发生之日起30日内": the day of the accident is not counted (民法典 Art. 201). It is a
    window in which casualties are counted, not a time limit for an act, so the end does not
    move off a rest day (a ``fixed`` clock).
    """
    return occurred_on + dt.timedelta(days=supplement_days(kind))


# --- Investigation and approval (Art. 19–32) --------------------------------------------------

#: Art. 19: who investigates, by grade
INVESTIGATED_BY: dict[str, str] = {
    AccidentGrade.PARTICULARLY_SERIOUS: Investigator.STATE_COUNCIL,
    AccidentGrade.SERIOUS: Investigator.PROVINCE,
    AccidentGrade.RELATIVELY_LARGE: Investigator.CITY,
    AccidentGrade.ORDINARY: Investigator.COUNTY,
}

#: Art. 29: the investigation report within 60 days of the accident …
INVESTIGATION_DAYS = 60
#: … extended by at most 60 days in total; Art. 27: technical appraisal time is not counted
MAX_INVESTIGATION_EXTENSION_DAYS = 60

#: Art. 32: approval (批复) within 15 days of receiving the report …
APPROVAL_DAYS = 15
#: … 30 days for 特别重大, extended in special cases by at most 30 days
APPROVAL_DAYS_PARTICULARLY_SERIOUS = 30
MAX_APPROVAL_EXTENSION_DAYS = 30


def investigated_by(grade: str) -> str:
    return INVESTIGATED_BY[grade]


def approval_days(grade: str) -> int:
    if grade == AccidentGrade.PARTICULARLY_SERIOUS:
        return APPROVAL_DAYS_PARTICULARLY_SERIOUS
    return APPROVAL_DAYS


def max_approval_extension_days(grade: str) -> int:
    """Only 特别重大 may be extended (Art. 32: "特殊情况下…延长的时间最长不超过30日")."""
    return MAX_APPROVAL_EXTENSION_DAYS if grade == AccidentGrade.PARTICULARLY_SERIOUS else 0


@dataclass(frozen=True)
class ClockSpec:
    """One statutory clock of an accident, as kept in supervision's table."""

    name: str
    rule: str  # hours | fixed | calendar_days
    amount: int  # hours for ``hours``, days otherwise
    article: str


#: the accident's clocks by the names used in the API's ``deadlines``
CLOCKS: dict[str, ClockSpec] = {
    "county_report_by": ClockSpec("county_report_by", "hours", COUNTY_REPORT_HOURS, "Art. 9"),
    "city_report_by": ClockSpec("city_report_by", "hours", LEVEL_REPORT_HOURS, "Art. 10, 11"),
    "province_report_by": ClockSpec(
        "province_report_by", "hours", LEVEL_REPORT_HOURS, "Art. 10, 11"
    ),
    "state_report_by": ClockSpec("state_report_by", "hours", LEVEL_REPORT_HOURS, "Art. 10, 11"),
    # the days depend on the kind (7 or 30): supplement_days(kind)
    "supplementary_until": ClockSpec(
        "supplementary_until", "fixed", SUPPLEMENT_DAYS, "Art. 13, 20"
    ),
    "investigation_report_by": ClockSpec(
        "investigation_report_by", "calendar_days", INVESTIGATION_DAYS, "Art. 27, 29"
    ),
    # 15 days, or 30 for 特别重大: approval_days(grade)
    "approval_by": ClockSpec("approval_by", "calendar_days", APPROVAL_DAYS, "Art. 32"),
}

#: the clock of the report to each level
LEVEL_CLOCK: dict[str, str] = {
    ReportLevel.COUNTY: "county_report_by",
    ReportLevel.CITY: "city_report_by",
    ReportLevel.PROVINCE: "province_report_by",
    ReportLevel.STATE: "state_report_by",
}


# --- Fines on the unit (reference data) ------------------------------------------------------


@dataclass(frozen=True)
class FineRange:
    """A fine on the responsible unit, in yuan: ``low`` 以上, ``high`` 以下 (both stated)."""

    low: Decimal
    high: Decimal
    article: str


#: 安全生产法 (2021) Art. 114, by grade. Reference for the approval and the penalty decision;
#: the system never imposes a fine. (Art. 114 para. 2: 2 to 5 times these amounts where the
#: circumstances are especially serious and the effects especially bad.)
FINES: dict[str, FineRange] = {
    AccidentGrade.ORDINARY: FineRange(
        Decimal("300000"), Decimal("1000000"), "安全生产法 Art. 114(1)"
    ),
    AccidentGrade.RELATIVELY_LARGE: FineRange(
        Decimal("1000000"), Decimal("2000000"), "安全生产法 Art. 114(2)"
    ),
    AccidentGrade.SERIOUS: FineRange(
        Decimal("2000000"), Decimal("10000000"), "安全生产法 Art. 114(3)"
    ),
    AccidentGrade.PARTICULARLY_SERIOUS: FineRange(
        Decimal("10000000"), Decimal("20000000"), "安全生产法 Art. 114(4)"
    ),
}
