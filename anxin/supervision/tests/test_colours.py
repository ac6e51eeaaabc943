"""三色督办: thresholds from the working-day calendar, colours set-based, scope by unit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from anxin.core.calendar import WorkingCalendar
from anxin.supervision.choices import ClockRule
from anxin.supervision.colours import Thresholds, working_day_back
from anxin.supervision.selectors import clock_colour_counts, clocks_coloured
from anxin.supervision.services import clock_pause, clock_start

from .conftest import NOW, SHANGHAI, start

pytestmark = pytest.mark.django_db


def test_thresholds_count_working_days_with_the_national_day_holiday():
    # Wednesday 2026-09-30, before the National Day holiday (10-01…07) and the make-up
    # working Saturday 10-10 (rules §1).
    now = dt.datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)
    th = Thresholds.compute(now=now)
    assert th.yellow_until == dt.date(2026, 10, 8)  # one working day after 09-30
    assert th.blue_until == dt.date(2026, 10, 10)  # 10-08, 10-09, 10-10 (Saturday, worked)
    assert th.ladder[0] == ("handler", 0, dt.date(2026, 9, 30))
    # two working days back from 09-30, today included: 09-30, 09-29
    assert th.ladder[1] == ("unit_head", 2, dt.date(2026, 9, 29))
    # five back: 09-30, 29, 28 (Monday), then the Mid-Autumn holiday 09-25…27, then 24, 23
    assert th.ladder[2] == ("supervisor", 5, dt.date(2026, 9, 23))


def test_working_day_back_skips_rest_days():
    cal = WorkingCalendar(dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    # Monday 10-12: 10-12 (1), 10-10 Saturday make-up (2), 10-09 (3), 10-08 (4), 09-30 (5)
    assert working_day_back(cal, dt.date(2026, 10, 12), 5) == dt.date(2026, 9, 30)
    # from a rest day, the first working day before it is the first counted
    assert working_day_back(cal, dt.date(2026, 10, 4), 1) == dt.date(2026, 9, 30)


@override_settings(
    ANXIN_SUPERVISION={
        "blue_working_days": 5,
        "yellow_working_days": 2,
        "escalation_working_days": [0, 1, 2, 3],
    }
)
def test_thresholds_follow_the_setting():
    th = Thresholds.compute(now=NOW)  # Friday 11-27
    assert th.yellow_until == dt.date(2026, 12, 1)
    assert th.blue_until == dt.date(2026, 12, 4)
    assert [c for _, _, c in th.ladder] == [
        dt.date(2026, 11, 27),
        dt.date(2026, 11, 27),
        dt.date(2026, 11, 26),
        dt.date(2026, 11, 25),
    ]


@pytest.fixture
def board(personas):
    city = personas.city
    made = {
        "red": start(1, city.T1, dt.date(2026, 11, 26)),
        "yellow": start(2, city.V1, dt.date(2026, 11, 30)),
        "blue": start(3, city.T1, dt.date(2026, 12, 2)),
        "normal": start(4, city.T1, dt.date(2026, 12, 31)),
        "paused": start(5, city.T1, dt.date(2026, 12, 31)),
        "sibling": start(6, city.T2, dt.date(2026, 11, 26)),
        "hours_red": clock_start(
            actor=None,
            subject_type="safety.accident",
            subject_id=7,
            name="county_report_by",
            unit=city.T1,
            rule=ClockRule.HOURS,
            start_at=NOW - dt.timedelta(hours=2),
            hours=1,
        ),
        "hours_yellow": clock_start(
            actor=None,
            subject_type="safety.accident",
            subject_id=8,
            name="county_report_by",
            unit=city.T1,
            rule=ClockRule.HOURS,
            start_at=NOW - dt.timedelta(minutes=30),
            hours=1,
        ),
    }
    clock_pause(
        actor=None,
        subject_type="petitions.petition",
        subject_id=5,
        name="handle_by",
        on=dt.date(2026, 11, 20),
    )
    return made


def colours(user, **kw):
    th = Thresholds.compute(now=NOW)
    return {
        (c.subject_type, c.subject_id): c.colour
        for c in clocks_coloured(user=user, thresholds=th, **kw)
    }


def test_each_clock_has_its_colour(personas, board):
    assert colours(personas.parent) == {
        ("petitions.petition", 1): "red",
        ("petitions.petition", 2): "yellow",
        ("petitions.petition", 3): "blue",
        ("petitions.petition", 4): "normal",
        ("petitions.petition", 5): "paused",
        ("petitions.petition", 6): "red",
        ("safety.accident", 7): "red",  # an hour past its due moment
        ("safety.accident", 8): "yellow",  # due within the half hour
    }


def test_colour_filter_and_counts_agree(personas, board):
    th = Thresholds.compute(now=NOW)
    counts = clock_colour_counts(user=personas.parent, thresholds=th)
    assert counts == {"red": 3, "yellow": 2, "blue": 1, "normal": 1, "paused": 1}
    for colour, n in counts.items():
        rows = list(clocks_coloured(user=personas.parent, colour=colour, thresholds=th))
        assert len(rows) == n and {r.colour for r in rows} <= {colour}


def test_scope_is_the_clock_unit(personas, board):
    assert set(colours(personas.same)) == {
        ("petitions.petition", 1),
        ("petitions.petition", 2),
        ("petitions.petition", 3),
        ("petitions.petition", 4),
        ("petitions.petition", 5),
        ("safety.accident", 7),
        ("safety.accident", 8),
    }
    assert set(colours(personas.sibling)) == {("petitions.petition", 6)}
    assert colours(personas.outsider) == {}
    assert colours(personas.enterprise) == {}
    th = Thresholds.compute(now=NOW)
    assert clock_colour_counts(user=personas.sibling, thresholds=th)["red"] == 1


def test_unit_filter_keeps_the_subtree(personas, board):
    assert set(colours(personas.parent, unit=personas.city.T1)) == set(colours(personas.same))


def test_one_query_for_the_list_and_one_for_the_counts(personas, board, django_assert_num_queries):
    th = Thresholds.compute(now=NOW)
    personas.parent.refresh_from_db()
    list(clocks_coloured(user=personas.parent, thresholds=th))  # load the grants
    with django_assert_num_queries(2):
        rows = list(clocks_coloured(user=personas.parent, thresholds=th))
        [r.unit.name for r in rows]
        clock_colour_counts(user=personas.parent, thresholds=th)
