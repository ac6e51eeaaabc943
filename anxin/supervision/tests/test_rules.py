"""compute_due and paused_span, table-driven from rules.md §1 (no database: table rows given)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from anxin.core.calendar import WorkingCalendar
from anxin.supervision.choices import ClockRule
from anxin.supervision.rules import compute_due, compute_due_at, paused_span

CAL, WORK, FIXED = ClockRule.CALENDAR_DAYS, ClockRule.WORKING_DAYS, ClockRule.FIXED
PLAIN = WorkingCalendar(rows={})


@pytest.mark.parametrize(
    ("case", "rule", "start", "days", "extra", "paused", "expected"),
    [
        # rules.md §1 worked examples.
        ("15 days, nominal end a holiday", CAL, date(2026, 9, 16), 15, 0, 0, date(2026, 10, 8)),
        ("5 working days over National Day", WORK, date(2026, 9, 30), 5, 0, 0, date(2026, 10, 13)),
        # Pauses: the period ends as if started later; Art. 203 applies to the moved end.
        ("no pause", CAL, date(2026, 9, 1), 15, 0, 0, date(2026, 9, 16)),
        # 09-16 + 3 = 09-19 (Saturday, rest) → 09-20 (make-up Sunday, a working day).
        ("3 paused days", CAL, date(2026, 9, 1), 15, 0, 3, date(2026, 9, 20)),
        ("2 paused working days", WORK, date(2026, 9, 30), 5, 0, 2, date(2026, 10, 15)),
        # Extension (信访工作条例 Art. 34: 60 days + at most 30).
        ("60 days", CAL, date(2026, 8, 3), 60, 0, 0, date(2026, 10, 8)),
        ("60 + 30 days", CAL, date(2026, 8, 3), 60, 30, 0, date(2026, 11, 2)),  # 11-01 Sunday
        ("extension and pause add up", CAL, date(2026, 8, 3), 60, 27, 3, date(2026, 11, 2)),
        # 2027: no holiday data — weekends only, never raises.
        ("2027 calendar days", CAL, date(2027, 1, 15), 30, 0, 0, date(2027, 2, 15)),  # Sunday
        ("2027 working days", WORK, date(2027, 1, 1), 10, 0, 0, date(2027, 1, 15)),
        ("across the year end", WORK, date(2026, 12, 30), 5, 0, 0, date(2027, 1, 6)),
        # Fixed dates: given, not moved off rest days; extended and paused day by day.
        ("fixed", FIXED, date(2026, 9, 16), 15, 0, 0, date(2026, 10, 1)),
        ("fixed extended", FIXED, date(2026, 9, 16), 15, 5, 0, date(2026, 10, 6)),
        ("fixed paused", FIXED, date(2026, 9, 16), 15, 0, 2, date(2026, 10, 3)),
    ],
)
def test_compute_due(case, rule, start, days, extra, paused, expected):
    assert compute_due(rule, start, days, extra, paused, calendar=PLAIN) == expected, case


def test_table_rows_move_computed_clocks_but_not_fixed_ones():
    cal = WorkingCalendar(rows={date(2026, 10, 8): "holiday"})
    assert compute_due(CAL, date(2026, 9, 16), 15, calendar=cal) == date(2026, 10, 9)
    assert compute_due(WORK, date(2026, 9, 30), 5, calendar=cal) == date(2026, 10, 14)
    assert compute_due(FIXED, date(2026, 9, 23), 15, calendar=cal) == date(2026, 10, 8)


@pytest.mark.parametrize(
    ("rule", "since", "until", "expected"),
    [
        (CAL, date(2026, 10, 10), date(2026, 10, 13), 3),
        (FIXED, date(2026, 10, 10), date(2026, 10, 13), 3),
        (CAL, date(2026, 10, 10), date(2026, 10, 10), 0),
        # [09-30, 10-09): 09-30 and 10-08 are working days; 10-01…10-07 are not.
        (WORK, date(2026, 9, 30), date(2026, 10, 9), 2),
        # [10-09, 10-12): Friday, make-up Saturday; Sunday is not.
        (WORK, date(2026, 10, 9), date(2026, 10, 12), 2),
    ],
)
def test_paused_span(rule, since, until, expected):
    assert paused_span(rule, since, until, calendar=PLAIN) == expected


def test_unknown_rule_and_negative_periods():
    with pytest.raises(ValueError):
        compute_due("lunar_months", date(2026, 1, 1), 1, calendar=PLAIN)
    with pytest.raises(ValueError):
        compute_due(CAL, date(2026, 1, 1), -5, calendar=PLAIN)


# --- hours clocks (493号令 Art. 9, 11) -----------------------------------------------------------

CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("start", "hours", "extra", "expected"),
    [
        (datetime(2026, 9, 16, 8, 30, tzinfo=CST), 1, 0, datetime(2026, 9, 16, 9, 30, tzinfo=CST)),
        # across midnight into a holiday: an hour is an hour, rest days do not matter
        (datetime(2026, 9, 30, 23, 10, tzinfo=CST), 2, 0, datetime(2026, 10, 1, 1, 10, tzinfo=CST)),
        (datetime(2026, 9, 16, 8, 30, tzinfo=CST), 1, 3, datetime(2026, 9, 16, 12, 30, tzinfo=CST)),
        (datetime(2026, 9, 16, 8, 30, tzinfo=CST), 0, 0, datetime(2026, 9, 16, 8, 30, tzinfo=CST)),
    ],
)
def test_compute_due_at(start, hours, extra, expected):
    assert compute_due_at(start, hours, extra) == expected


def test_hours_need_an_aware_start_and_are_not_computed_as_dates():
    with pytest.raises(ValueError):
        compute_due_at(datetime(2026, 9, 16, 8, 30), 1)
    with pytest.raises(ValueError):
        compute_due_at(datetime(2026, 9, 16, 8, 30, tzinfo=CST), -2)
    with pytest.raises(ValueError):
        compute_due(ClockRule.HOURS, date(2026, 9, 16), 1, calendar=PLAIN)
