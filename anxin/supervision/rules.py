"""How a clock's due date follows from its rule (民法典 Art. 200–204).

- ``calendar_days``: periods are counted in calendar days unless a rule says 工作日
  (民法典 Art. 200–201): the start day is not counted, the nominal last day is
  ``start_on + days``, and a last day on a rest day moves to the next working day (Art. 203).
- ``working_days``: the ``days``-th working day after ``start_on`` (start day not counted,
  Art. 201), by the State Council calendar with make-up working days (:mod:`anxin.core.calendar`).
- ``fixed``: a date set by a decision (a rectification deadline). It is kept as
  ``start_on + days`` (``days`` derived from the date given when the clock starts), so it can be
  extended and paused like the others; it does not move off rest days, and a calendar change
  never moves it.
- ``hours``: a period in hours from a moment (493号令 Art. 9: the unit leader reports within
  1 hour of being told; Art. 11: each level reports up within 2 hours). ``due_at = start_at +
  hours`` to the minute, whatever the day; rest days and the calendar do not matter, and the
  act is in time when it happens at or before ``due_at``. ``days``/``extra_days`` hold hours.
  Such a clock is not paused: the law stops no hour clock.

Extensions (``extra_days``) lengthen the period itself (信访工作条例 Art. 34: "延长期限不得超过
三十日"; 493号令 Art. 29), so they count in the rule's own unit.

Paused days are not counted (信访工作条例 Art. 36: "听证所需时间不计算在前款规定的期限内";
493号令 Art. 27: "技术鉴定所需时间不计入事故调查期限"). They are kept **in the rule's own
unit**: a ``calendar_days`` or ``fixed`` clock paused from day P to day R (``on`` of the pause
and of the resume) has R − P calendar days added; a ``working_days`` clock has the number of
*working* days in [P, R) added, because only working days were being counted, so only working
days can have been lost. The period then ends as if it had started that many days later: for
calendar days the rest-day rule of Art. 203 applies to the moved end.
"""

from __future__ import annotations

import datetime as dt

from anxin.core.calendar import WorkingCalendar
from anxin.supervision.choices import ClockRule


def compute_due(
    rule: str,
    start_on: dt.date,
    days: int,
    extra_days: int = 0,
    paused_days: int = 0,
    *,
    calendar: WorkingCalendar | None = None,
) -> dt.date:
    """The due date; pass a shared ``calendar`` when computing many (one query per range)."""
    total = days + extra_days + paused_days
    if total < 0:
        raise ValueError("a period cannot have a negative number of days")
    if rule == ClockRule.FIXED:
        return start_on + dt.timedelta(days=total)
    if rule == ClockRule.HOURS:
        raise ValueError("an hours clock is computed from its start moment: use compute_due_at")
    cal = calendar if calendar is not None else WorkingCalendar()
    if rule == ClockRule.CALENDAR_DAYS:
        # 民法典 Art. 201 (start day not counted) and Art. 203 (last day off a rest day).
        return cal.period_end(start_on, total)
    if rule == ClockRule.WORKING_DAYS:
        # 工作日: only working days count, from the day after the start (Art. 201).
        return cal.add_working_days(start_on, total)
    raise ValueError(f"unknown clock rule {rule!r}")


def compute_due_at(
    start_at: dt.datetime, hours: int, extra_hours: int = 0, paused_hours: int = 0
) -> dt.datetime:
    """The due moment of an ``hours`` clock: ``start_at`` plus the hours (493号令 Art. 9, 11)."""
    total = hours + extra_hours + paused_hours
    if total < 0:
        raise ValueError("a period cannot have a negative number of hours")
    if start_at.tzinfo is None:
        raise ValueError("an hours clock counts from a timezone-aware moment")
    return start_at + dt.timedelta(hours=total)


def paused_span(
    rule: str,
    paused_since: dt.date,
    resumed_on: dt.date,
    *,
    calendar: WorkingCalendar | None = None,
) -> int:
    """Days not counted for a pause from ``paused_since`` to ``resumed_on``, in the rule's unit.

    The pause day is the first day not counted; the resume day counts again.
    (信访工作条例 Art. 36; 493号令 Art. 27.)
    """
    if resumed_on <= paused_since:
        return 0
    if rule == ClockRule.WORKING_DAYS:
        cal = calendar if calendar is not None else WorkingCalendar(paused_since, resumed_on)
        return cal.working_days_in(paused_since, resumed_on)
    return (resumed_on - paused_since).days
