"""A calendar edit recomputes the due dates of open clocks, set-based, and tells the domain apps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection

from anxin.core import calendar
from anxin.core.calendar import WorkingCalendar, calendar_day_delete, calendar_day_set
from anxin.core.models import AuditEvent
from anxin.supervision.choices import ClockRule, ClockState
from anxin.supervision.models import Clock
from anxin.supervision.rules import compute_due
from anxin.supervision.selectors import clocks_for
from anxin.supervision.services import (
    clock_pause,
    clock_recompute_for_dates,
    clock_start,
    clock_stop,
)
from anxin.supervision.signals import ClockMove, clocks_recomputed

pytestmark = [pytest.mark.django_db, pytest.mark.dbdep]

PETITION = "petitions.petition"


@pytest.fixture(autouse=True)
def _calendar_actions():
    calendar.register_calendar_actions()


@pytest.fixture
def received() -> Iterator[list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []

    def listener(sender, **kwargs):
        got.append(kwargs)

    clocks_recomputed.connect(listener)
    yield got
    clocks_recomputed.disconnect(listener)


def start(personas, subject_id, name="handle_by", **kw):
    args = {
        "rule": ClockRule.CALENDAR_DAYS,
        "start_on": date(2027, 1, 15),
        "days": 30,
        "unit": personas.city.T1,
        **kw,
    }
    return clock_start(actor=None, subject_type=PETITION, subject_id=subject_id, name=name, **args)


def test_entering_a_holiday_moves_open_clocks_only(personas, received):
    running = start(personas, 1)  # 2027-02-14 (Sunday) → 02-15
    working = start(personas, 2, rule=ClockRule.WORKING_DAYS, start_on=date(2027, 2, 8), days=5)
    start(personas, 3)
    clock_pause(
        actor=None, subject_type=PETITION, subject_id=3, name="handle_by", on=date(2027, 1, 20)
    )
    start(personas, 4)
    clock_stop(
        actor=None, subject_type=PETITION, subject_id=4, name="handle_by", on=date(2027, 2, 1)
    )
    start(personas, 5, rule=ClockRule.FIXED, days=None, due_on=date(2027, 2, 15))
    far = start(personas, 6, start_on=date(2027, 6, 1))  # its window starts after the change
    assert running.due_on == working.due_on == date(2027, 2, 15)

    # The 2027 Spring Festival notice, entered by the administrator: 02-15 becomes a rest day.
    calendar_day_set(actor=personas.sysadmin, date=date(2027, 2, 15), kind="holiday", note="春节")

    due = {c.subject_id: c.due_on for c in Clock.objects.all()}
    assert due[1] == date(2027, 2, 16)
    assert due[2] == date(2027, 2, 16)
    assert due[3] == date(2027, 2, 16)  # paused clocks move too
    assert due[4] == date(2027, 2, 15)  # stopped: history is not rewritten
    assert due[5] == date(2027, 2, 15)  # a fixed date does not follow the calendar
    assert due[6] == far.due_on
    assert Clock.objects.get(subject_id=1).version == running.version + 1
    assert len(received) == 1
    assert received[0]["actor"] == personas.sysadmin
    assert received[0]["dates"] == [date(2027, 2, 15)]
    assert sorted(received[0]["changes"]) == [
        ClockMove(PETITION, n, "handle_by", date(2027, 2, 15), date(2027, 2, 16)) for n in (1, 2, 3)
    ]
    event = AuditEvent.objects.get(action="clock.recompute")
    assert event.actor == personas.sysadmin and len(event.after["moved"]) == 3

    # Removing the row moves them back.
    calendar_day_delete(actor=personas.sysadmin, date=date(2027, 2, 15))
    assert clocks_for(PETITION, 1)["handle_by"].due_on == date(2027, 2, 15)
    assert len(received) == 2


def test_a_make_up_working_day_can_bring_a_deadline_forward(personas, received):
    start(personas, 1)  # nominal 2027-02-14, a Sunday → 02-15
    calendar_day_set(actor=None, date=date(2027, 2, 14), kind="workday", note="调休")
    assert clocks_for(PETITION, 1)["handle_by"].due_on == date(2027, 2, 14)


def test_a_change_that_moves_nothing_sends_nothing(personas, received):
    start(personas, 1)
    calendar_day_set(actor=None, date=date(2027, 2, 3), kind="workday")  # a Wednesday already
    assert received == []
    assert not AuditEvent.objects.filter(action="clock.recompute").exists()


def _bulk_clocks(personas, count: int) -> list[Clock]:
    units = [personas.city.T1, personas.city.T2, personas.city.T3]
    cal = WorkingCalendar()
    rows = []
    for i in range(count):
        rule = ClockRule.WORKING_DAYS if i % 2 else ClockRule.CALENDAR_DAYS
        start_on = date(2027, 1, 4) + timedelta(days=i % 40)
        days = 15 + i % 50
        rows.append(
            Clock(
                subject_type=PETITION,
                subject_id=i + 1,
                name="handle_by",
                unit=units[i % 3],
                rule=rule,
                start_on=start_on,
                days=days,
                due_on=compute_due(rule, start_on, days, calendar=cal),
                state=ClockState.RUNNING,
            )
        )
    return Clock.objects.bulk_create(rows)


def test_recomputing_500_clocks_takes_a_constant_number_of_queries(
    personas, django_assert_num_queries
):
    clocks = _bulk_clocks(personas, 500)
    holiday = date(2027, 2, 15)
    calendar_day_set(actor=None, date=holiday, kind="holiday")  # moves some of them
    Clock.objects.update(due_on=date(2027, 1, 1))  # make every due date stale: all 500 move
    # savepoint + release, select the batch, load the calendar rows, the UPDATE, one audit row,
    # and one query of each receiver of clocks_recomputed (petitions: which cases exist).
    # SQLite: bulk_update splits the UPDATE by SQLite's 999-parameter limit (199 rows each).
    updates = 1 if connection.vendor == "postgresql" else 3
    # reports' kpi rollup receiver moves the clocks between its daily rows, a constant 8 for the
    # whole batch: its savepoint, the moved clocks, the rows they move between, the new rows
    rollup = 8
    with django_assert_num_queries(6 + updates + rollup):
        moves = clock_recompute_for_dates(actor=None, dates=[holiday, date(2027, 1, 10)])
    assert len(moves) == len(clocks) == 500
    cal = WorkingCalendar()
    expected = {
        c.subject_id: compute_due(c.rule, c.start_on, c.days, calendar=cal)
        for c in Clock.objects.all()
    }
    assert all(m.new_due == expected[m.subject_id] for m in moves)


def test_recompute_works_in_batches(personas, monkeypatch):
    from anxin.supervision import services

    monkeypatch.setattr(services, "RECOMPUTE_BATCH", 7)
    _bulk_clocks(personas, 30)
    Clock.objects.update(due_on=date(2027, 1, 1))
    moves = clock_recompute_for_dates(actor=None, dates=[date(2027, 2, 15)])
    assert len({m.subject_id for m in moves}) == len(moves) == 30
    assert AuditEvent.objects.filter(action="clock.recompute").count() == 5  # 7+7+7+7+2
    assert not Clock.objects.filter(due_on=date(2027, 1, 1)).exists()


def test_a_calendar_change_never_moves_an_hours_clock(personas, received):
    from datetime import datetime, timezone

    cst = timezone(timedelta(hours=8))
    clock = clock_start(
        actor=None,
        subject_type="safety.accident",
        subject_id=1,
        name="county_report_by",
        unit=personas.city.T1,
        rule=ClockRule.HOURS,
        start_at=datetime(2027, 2, 15, 9, 0, tzinfo=cst),
        hours=1,
    )
    calendar_day_set(actor=personas.sysadmin, date=date(2027, 2, 15), kind="holiday", note="春节")
    again = Clock.objects.get(pk=clock.pk)
    assert (again.due_at, again.due_on, again.version) == (clock.due_at, clock.due_on, 1)
    assert received == []
