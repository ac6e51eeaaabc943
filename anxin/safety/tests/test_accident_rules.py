"""493号令 as data: every grade boundary of Art. 3 and every clock, table-driven (no database).

rules.md §3: grade = the highest tier any criterion reaches; "以上" includes the number,
"以下" excludes it; people missing never count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from anxin.safety import accident_rules as rules
from anxin.safety.accident_rules import AccidentGrade as G
from anxin.safety.accident_rules import ReportLevel as L

PS, S, RL, ORD = G.PARTICULARLY_SERIOUS, G.SERIOUS, G.RELATIVELY_LARGE, G.ORDINARY
CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("deaths", "grade"),
    [
        (0, ORD),
        (1, ORD),
        (2, ORD),  # 3人以下 (excludes 3): 一般
        (3, RL),  # 3人以上 (includes 3): 较大
        (9, RL),
        (10, S),
        (29, S),  # 30人以下 excludes 30
        (30, PS),
        (31, PS),
        (500, PS),
    ],
)
def test_deaths_boundaries(deaths, grade):
    result = rules.grade_accident(deaths=deaths, serious_injuries=0, direct_loss_yuan=0)
    assert result.grade == grade
    assert result.decided_by == (() if grade == ORD else ("deaths",))


@pytest.mark.parametrize(
    ("injuries", "grade"),
    [
        (0, ORD),
        (9, ORD),
        (10, RL),
        (49, RL),
        (50, S),
        (99, S),
        (100, PS),
        (101, PS),
    ],
)
def test_serious_injury_boundaries_incl_acute_poisoning(injuries, grade):
    result = rules.grade_accident(deaths=0, serious_injuries=injuries, direct_loss_yuan=0)
    assert result.grade == grade
    assert result.decided_by == (() if grade == ORD else ("serious_injuries",))


@pytest.mark.parametrize(
    ("loss", "grade"),
    [
        (Decimal("0"), ORD),
        (Decimal("9999999"), ORD),
        (Decimal("9999999.99"), ORD),
        (Decimal("10000000"), RL),  # 1000万元以上
        (Decimal("10000000.00"), RL),
        (Decimal("49999999.99"), RL),
        (Decimal("50000000"), S),
        (Decimal("99999999"), S),
        (Decimal("99999999.99"), S),
        (Decimal("100000000"), PS),  # 1亿元以上
        (Decimal("350000000"), PS),
        (10_000_000, RL),  # an int is an amount too
    ],
)
def test_direct_loss_boundaries(loss, grade):
    result = rules.grade_accident(deaths=0, serious_injuries=0, direct_loss_yuan=loss)
    assert result.grade == grade
    assert result.decided_by == (() if grade == ORD else ("direct_loss_yuan",))


@pytest.mark.parametrize(
    ("deaths", "injuries", "loss", "missing", "grade", "decided_by", "article"),
    [
        # the highest tier ANY criterion reaches
        (2, 10, "0", 0, RL, ("serious_injuries",), "Art. 3(3)"),
        (0, 0, "50000000", 0, S, ("direct_loss_yuan",), "Art. 3(2)"),
        (3, 0, "100000000", 0, PS, ("direct_loss_yuan",), "Art. 3(1)"),
        (
            9,
            49,
            "49999999.99",
            0,
            RL,
            ("deaths", "serious_injuries", "direct_loss_yuan"),
            "Art. 3(3)",
        ),
        (
            30,
            100,
            "100000000",
            0,
            PS,
            ("deaths", "serious_injuries", "direct_loss_yuan"),
            "Art. 3(1)",
        ),
        (10, 9, "0", 0, S, ("deaths",), "Art. 3(2)"),
        (2, 9, "9999999.99", 0, ORD, (), "Art. 3(4)"),
        # missing never counts: 40 missing and 2 dead is still 一般
        (2, 0, "0", 40, ORD, (), "Art. 3(4)"),
        (0, 0, "0", 1000, ORD, (), "Art. 3(4)"),
        (29, 0, "0", 5, S, ("deaths",), "Art. 3(2)"),
    ],
)
def test_highest_tier_of_any_criterion(deaths, injuries, loss, missing, grade, decided_by, article):
    result = rules.grade_accident(
        deaths=deaths, serious_injuries=injuries, direct_loss_yuan=Decimal(loss), missing=missing
    )
    assert (result.grade, result.decided_by, result.article) == (grade, decided_by, article)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"deaths": -1, "serious_injuries": 0, "direct_loss_yuan": 0},
        {"deaths": 0, "serious_injuries": -1, "direct_loss_yuan": 0},
        {"deaths": 0, "serious_injuries": 0, "direct_loss_yuan": Decimal("-0.01")},
        {"deaths": 0, "serious_injuries": 0, "direct_loss_yuan": 0, "missing": -2},
        {"deaths": True, "serious_injuries": 0, "direct_loss_yuan": 0},
        {"deaths": 1.5, "serious_injuries": 0, "direct_loss_yuan": 0},
        {"deaths": 0, "serious_injuries": 0, "direct_loss_yuan": Decimal("NaN")},
    ],
)
def test_nonsense_casualties_are_refused(kwargs):
    with pytest.raises(ValueError):
        rules.grade_accident(**kwargs)


def test_the_tiers_are_the_law_and_ordered():
    assert [(t.grade, t.deaths, t.serious_injuries, t.direct_loss_yuan) for t in rules.TIERS] == [
        (PS, 30, 100, Decimal("100000000")),
        (S, 10, 50, Decimal("50000000")),
        (RL, 3, 10, Decimal("10000000")),
    ]
    assert rules.GRADE_ORDER == (PS, S, RL, ORD)
    assert [rules.grade_rank(g) for g in (PS, S, RL, ORD)] == [0, 1, 2, 3]
    assert rules.tier_bound(S, "deaths") == 10 and rules.tier_bound(ORD, "deaths") is None


# --- clocks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("informed", "due"),
    [
        (datetime(2026, 9, 16, 8, 30, tzinfo=CST), datetime(2026, 9, 16, 9, 30, tzinfo=CST)),
        # across midnight and a holiday: hours are hours (Art. 9)
        (datetime(2026, 9, 30, 23, 40, tzinfo=CST), datetime(2026, 10, 1, 0, 40, tzinfo=CST)),
        (datetime(2026, 9, 16, 0, 30, tzinfo=UTC), datetime(2026, 9, 16, 1, 30, tzinfo=UTC)),
    ],
)
def test_county_report_within_one_hour_of_the_unit_leader_being_informed(informed, due):
    assert rules.county_report_by(informed) == due


def test_each_level_reports_up_within_two_hours():
    at = datetime(2026, 9, 16, 23, 15, tzinfo=CST)
    assert rules.level_report_by(at) == datetime(2026, 9, 17, 1, 15, tzinfo=CST)


@pytest.mark.parametrize(
    ("grade", "required", "after_county", "after_city", "after_province"),
    [
        (PS, L.STATE, L.CITY, L.PROVINCE, L.STATE),  # Art. 10(1): 国务院安全生产监督管理部门
        (S, L.STATE, L.CITY, L.PROVINCE, L.STATE),
        (RL, L.PROVINCE, L.CITY, L.PROVINCE, None),  # Art. 10(2): 省级
        (ORD, L.CITY, L.CITY, None, None),  # Art. 10(3): 设区的市级
    ],
)
def test_the_level_the_report_must_reach(grade, required, after_county, after_city, after_province):
    assert rules.required_level(grade) == required
    assert rules.next_level(L.COUNTY, grade) == after_county
    assert rules.next_level(L.CITY, grade) == after_city
    assert rules.next_level(L.PROVINCE, grade) == after_province
    assert rules.next_level(L.STATE, grade) is None
    assert rules.levels_above(None, grade)[0] == L.COUNTY
    assert rules.levels_above(None, grade)[-1] == required


@pytest.mark.parametrize(
    ("kind", "occurred", "until"),
    [
        ("road_traffic", date(2026, 9, 16), date(2026, 9, 23)),  # 7 days (Art. 13)
        ("fire", date(2026, 9, 28), date(2026, 10, 5)),  # a window: not moved off the holiday
        ("production", date(2026, 9, 16), date(2026, 10, 16)),  # 30 days
        ("other", date(2026, 1, 31), date(2026, 3, 2)),
        ("construction", date(2026, 12, 20), date(2027, 1, 19)),
    ],
)
def test_supplementary_window(kind, occurred, until):
    assert rules.supplementary_until(occurred, kind) == until
    assert rules.supplement_days(kind) == (until - occurred).days


@pytest.mark.parametrize(
    ("grade", "investigator", "approval_days", "approval_extension"),
    [
        (PS, "state_council", 30, 30),  # Art. 19, 32: 30 + at most 30
        (S, "province", 15, 0),
        (RL, "city", 15, 0),
        (ORD, "county", 15, 0),
    ],
)
def test_investigation_and_approval_by_grade(
    grade, investigator, approval_days, approval_extension
):
    assert rules.investigated_by(grade) == investigator
    assert rules.approval_days(grade) == approval_days
    assert rules.max_approval_extension_days(grade) == approval_extension


def test_investigation_period_and_clock_table():
    assert (rules.INVESTIGATION_DAYS, rules.MAX_INVESTIGATION_EXTENSION_DAYS) == (60, 60)
    assert {n: (c.rule, c.amount) for n, c in rules.CLOCKS.items()} == {
        "county_report_by": ("hours", 1),
        "city_report_by": ("hours", 2),
        "province_report_by": ("hours", 2),
        "state_report_by": ("hours", 2),
        "supplementary_until": ("fixed", 30),
        "investigation_report_by": ("calendar_days", 60),
        "approval_by": ("calendar_days", 15),
    }
    assert all(c.article.startswith("Art.") for c in rules.CLOCKS.values())


@pytest.mark.parametrize(
    ("grade", "low", "high"),
    [
        (ORD, 300_000, 1_000_000),
        (RL, 1_000_000, 2_000_000),
        (S, 2_000_000, 10_000_000),
        (PS, 10_000_000, 20_000_000),
    ],
)
def test_fines_on_the_unit_by_grade(grade, low, high):
    fine = rules.FINES[grade]
    assert (fine.low, fine.high) == (Decimal(low), Decimal(high))
    assert fine.article.startswith("安全生产法 Art. 114")
