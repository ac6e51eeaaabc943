"""The working-day calendar: rules.md §1 worked examples, precedence, years without data."""

from __future__ import annotations

import datetime as dt
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.core import calendar
from anxin.core.calendar import (
    WorkingCalendar,
    add_working_days,
    calendar_changed,
    calendar_day_delete,
    calendar_day_set,
    calendar_period_end,
    coverage_warning,
    is_working_day,
    working_days_between,
    year_has_data,
)
from anxin.core.checks_calendar import check_calendar_coverage
from anxin.core.models import AuditEvent
from anxin.core.models_calendar import CalendarDay, CalendarDayKind

HOLIDAY, WORKDAY = CalendarDayKind.HOLIDAY, CalendarDayKind.WORKDAY
#: no table rows: the package, then weekends (no database)
PLAIN = WorkingCalendar(rows={})


@pytest.fixture(autouse=True)
def _calendar_actions():
    calendar.register_calendar_actions()


# --- rules.md §1 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 20), True),  # Sunday, make-up working day (rules.md §1)
        (date(2026, 10, 10), True),  # Saturday, make-up working day (rules.md §1)
        *[(date(2026, 10, d), False) for d in range(1, 8)],  # National Day 10-01…10-07
        (date(2026, 10, 8), True),
        (date(2026, 10, 11), False),  # an ordinary Sunday
        (date(2027, 1, 1), True),  # no data for 2027: a Friday is a working day …
        (date(2027, 1, 2), False),  # … and a Saturday a rest day
    ],
)
def test_installed_package_agrees_with_rules_md(day, working):
    assert PLAIN.is_working_day(day) is working


@pytest.mark.parametrize(
    ("rule", "start", "n", "expected"),
    [
        # 民法典 Art. 201, 203: 15 days from 09-16 → nominal 10-01 (holiday) → 10-08.
        ("calendar", date(2026, 9, 16), 15, date(2026, 10, 8)),
        # 工作日: 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13.
        ("working", date(2026, 9, 30), 5, date(2026, 10, 13)),
        # The nominal last day is a make-up working day: it stays.
        ("calendar", date(2026, 9, 10), 10, date(2026, 9, 20)),
        # The nominal last day is a plain weekday.
        ("calendar", date(2026, 9, 1), 15, date(2026, 9, 16)),
        # An ordinary weekend moves the end to Monday.
        ("calendar", date(2026, 10, 1), 10, date(2026, 10, 12)),
        ("working", date(2026, 9, 18), 1, date(2026, 9, 20)),  # Friday → make-up Sunday
        ("working", date(2026, 9, 16), 0, date(2026, 9, 16)),
        # 2027: no holiday data, weekends only; never raises.
        ("calendar", date(2026, 12, 18), 15, date(2027, 1, 4)),  # Saturday 01-02 → Monday
        ("working", date(2026, 12, 30), 5, date(2027, 1, 6)),  # 12-31, 01-01, 04, 05, 06
        ("calendar", date(2027, 3, 1), 60, date(2027, 4, 30)),
    ],
)
def test_worked_examples_without_table_rows(rule, start, n, expected):
    if rule == "calendar":
        assert PLAIN.period_end(start, n) == expected
    else:
        assert PLAIN.add_working_days(start, n) == expected


@pytest.mark.django_db
@pytest.mark.dbdep
def test_worked_examples_through_the_database(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert calendar_period_end(date(2026, 9, 16), 15) == date(2026, 10, 8)
    with django_assert_num_queries(1):
        assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    with django_assert_num_queries(1):
        assert is_working_day(date(2026, 10, 10)) is True
    with django_assert_num_queries(1):
        assert working_days_between(date(2026, 9, 28), date(2026, 10, 12)) == 6


@pytest.mark.django_db
@pytest.mark.dbdep
def test_one_query_even_for_a_long_working_day_period(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert add_working_days(date(2027, 1, 1), 250) > date(2027, 12, 1)


@pytest.mark.django_db
@pytest.mark.dbdep
def test_a_shared_calendar_loads_the_next_chunk_only_when_walked_past():
    cal = WorkingCalendar()
    assert cal.add_working_days(date(2027, 1, 1), 10) == date(2027, 1, 15)
    assert cal.queries == 1  # 2027-01-02 … 2028-02-06 loaded at once
    assert cal.add_working_days(date(2027, 1, 1), 400) == date(2028, 7, 14)
    assert cal.queries == 2
    cal.preload(date(2026, 1, 1), date(2027, 1, 1))
    assert cal.queries == 3
    cal.preload(date(2026, 6, 1), date(2027, 6, 1))  # already loaded
    assert cal.queries == 3


def test_negative_periods_are_refused():
    with pytest.raises(ValueError):
        PLAIN.add_working_days(date(2026, 1, 1), -1)
    with pytest.raises(ValueError):
        PLAIN.period_end(date(2026, 1, 1), -1)


# --- precedence: table > package > weekends ---------------------------------------------------


def test_table_rows_override_the_package_and_the_weekend():
    cal = WorkingCalendar(
        rows={
            date(2026, 10, 8): HOLIDAY,  # a working Thursday made a rest day
            date(2026, 10, 11): WORKDAY,  # a Sunday made a working day
            date(2027, 2, 8): HOLIDAY,  # a year without package data
            date(2027, 2, 20): WORKDAY,  # a Saturday in that year
        }
    )
    assert not cal.is_working_day(date(2026, 10, 8))
    assert cal.is_working_day(date(2026, 10, 11))
    assert not cal.is_working_day(date(2027, 2, 8))
    assert cal.is_working_day(date(2027, 2, 20))
    # 15 days from 09-16 → 10-01 … 10-07 (package) and 10-08 (table) are rest days → 10-09.
    assert cal.period_end(date(2026, 9, 16), 15) == date(2026, 10, 9)
    # 10-09, 10-10 (make-up Saturday, package), 10-11 (Sunday, table), 10-12, 10-13.
    assert cal.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 11)


@pytest.mark.django_db
@pytest.mark.dbdep
def test_year_has_data_and_the_warning(personas):
    assert year_has_data(2026)
    assert coverage_warning(2026) is None
    assert not year_has_data(2027)
    warning = coverage_warning(2027)
    assert warning is not None and "2027" in warning
    # A make-up working day alone is not a holiday notice.
    calendar_day_set(actor=personas.sysadmin, date=date(2027, 2, 20), kind=WORKDAY)
    assert not year_has_data(2027)
    calendar_day_set(actor=personas.sysadmin, date=date(2027, 2, 8), kind=HOLIDAY, note="春节")
    assert year_has_data(2027)
    assert coverage_warning(2027) is None
    assert not is_working_day(date(2027, 2, 8))
    assert is_working_day(date(2027, 2, 20))


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    n=st.integers(min_value=1, max_value=80),
)
def test_add_working_days_properties(start, n):
    cal = WorkingCalendar(rows={date(2027, 10, 1): HOLIDAY, date(2027, 10, 9): WORKDAY})
    result = cal.add_working_days(start, n)
    assert cal.is_working_day(result)
    assert result > start
    assert cal.add_working_days(start, n - 1) < result  # strictly monotonic in n
    assert cal.working_days_in(start + dt.timedelta(days=1), result + dt.timedelta(days=1)) == n


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    n=st.integers(min_value=0, max_value=90),
)
def test_calendar_period_end_properties(start, n):
    end = PLAIN.period_end(start, n)
    nominal = start + dt.timedelta(days=n)
    assert end >= nominal
    assert PLAIN.is_working_day(end)
    d = nominal
    while d < end:  # every day skipped is a rest day (Art. 203)
        assert not PLAIN.is_working_day(d)
        d += dt.timedelta(days=1)


# --- services ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_set_change_and_delete_are_audited_and_signalled(personas):
    sent = []

    def listener(sender, dates, actor, **kw):
        sent.append((dates, actor))

    calendar_changed.connect(listener)
    try:
        day = calendar_day_set(
            actor=personas.sysadmin, date=date(2027, 10, 1), kind=HOLIDAY, note="国庆节"
        )
        assert day.updated_by == personas.sysadmin
        # Only the note changes: audited, but no recompute.
        calendar_day_set(actor=personas.sysadmin, date=date(2027, 10, 1), kind=HOLIDAY, note="国庆")
        # Nothing changes: neither.
        calendar_day_set(actor=personas.sysadmin, date=date(2027, 10, 1), kind=HOLIDAY, note="国庆")
        calendar_day_set(actor=personas.sysadmin, date=date(2027, 10, 1), kind=WORKDAY, note="")
        calendar_day_delete(actor=personas.sysadmin, date=date(2027, 10, 1))
    finally:
        calendar_changed.disconnect(listener)
    assert sent == [([date(2027, 10, 1)], personas.sysadmin)] * 3
    events = list(
        AuditEvent.objects.filter(object_type="core.calendarday", object_id="2027-10-01")
        .order_by("id")
        .values_list("action", "before", "after")
    )
    assert [e[0] for e in events] == [
        "calendar.set",
        "calendar.set",
        "calendar.set",
        "calendar.delete",
    ]
    assert events[0][2] == {"date": "2027-10-01", "kind": "holiday", "note": "国庆节"}
    assert events[3][1] == {"date": "2027-10-01", "kind": "workday", "note": ""}
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_only_the_system_administrator_manages_the_calendar(personas):
    for person in (personas.same, personas.clerk, personas.secadmin, personas.auditor):
        with pytest.raises(PermissionDenied):
            calendar_day_set(actor=person, date=date(2027, 1, 1), kind=HOLIDAY)
        with pytest.raises(PermissionDenied):
            calendar_day_delete(actor=person, date=date(2027, 1, 1))
    calendar_day_set(actor=None, date=date(2027, 1, 1), kind=HOLIDAY)  # the system may
    assert calendar.calendar_day_list(user=personas.same, year=2027).count() == 0
    assert calendar.calendar_day_list(user=personas.sysadmin, year=2027).count() == 1


@pytest.mark.django_db
def test_invalid_input_is_refused_with_field_errors(personas):
    with pytest.raises(ValidationError) as exc:
        calendar_day_set(
            actor=personas.sysadmin, date=dt.datetime(2027, 1, 1), kind="party", note="x" * 101
        )
    assert set(exc.value.message_dict) == {"date", "kind", "note"}
    with pytest.raises(ValidationError) as exc:
        calendar_day_delete(actor=personas.sysadmin, date=date(2027, 1, 1))
    assert set(exc.value.message_dict) == {"date"}


# --- system check anxin.W010 ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.dbdep
def test_check_warns_when_next_year_has_no_data(monkeypatch, personas):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 11, 27))
    assert check_calendar_coverage(databases=None) == []  # database checks only
    issues = check_calendar_coverage(databases=["default"])
    assert [i.id for i in issues] == ["anxin.W010"]
    assert "2027" in issues[0].msg
    calendar_day_set(actor=None, date=date(2027, 1, 1), kind=HOLIDAY, note="元旦")
    assert check_calendar_coverage(databases=["default"]) == []
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2028, 3, 1))
    assert [i.id for i in check_calendar_coverage(databases=["default"])] == ["anxin.W010"] * 2
