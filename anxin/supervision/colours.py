"""三色督办: the colour of an open clock, computed in SQL from threshold dates.

The thresholds are dates, computed **once per query** with the working-day calendar (one query
for the calendar table), then every clock is coloured by ``CASE WHEN`` on its ``due_on`` /
``due_at`` — set-based, whatever the number of clocks:

- red: overdue — an ``hours`` clock past its ``due_at``, any other past its ``due_on`` (the last
  day ends at 24:00, 民法典 Art. 203);
- yellow (the deadline warning): due within ``yellow_working_days`` working days
  (``due_on <= yellow_until``);
- blue: due within ``blue_working_days`` working days (``due_on <= blue_until``);
- normal: later; paused: a paused clock does not count down.

The escalation ladder (``escalation_working_days``, e.g. ``[0, 2, 5, 10]``): a clock reaches
step *k* when it is overdue by at least *n_k* working days, i.e. ``due_on < cutoff_k`` where
``cutoff_k`` is the *n_k*-th working day counting back from today (today included); step 0
(*n* = 0) is "overdue" itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Q, Value, When
from django.utils import timezone

from anxin.core.calendar import WorkingCalendar
from anxin.supervision.choices import LADDER, ClockRule, ClockState, Colour, EscalationLevel
from anxin.supervision.conf import setting

ONE_DAY = dt.timedelta(days=1)


def working_day_back(calendar: WorkingCalendar, today: dt.date, n: int) -> dt.date:
    """The ``n``-th working day counting back from ``today`` (today included; n >= 1)."""
    d = today
    count = 0
    while True:
        if calendar.is_working_day(d):
            count += 1
            if count >= n:
                return d
        d -= ONE_DAY


@dataclass(frozen=True)
class Thresholds:
    today: dt.date
    now: dt.datetime
    yellow_until: dt.date
    blue_until: dt.date
    #: (level, working days overdue, cutoff date) for each step of the ladder
    ladder: tuple[tuple[str, int, dt.date], ...]

    @classmethod
    def compute(
        cls, *, now: dt.datetime | None = None, calendar: WorkingCalendar | None = None
    ) -> Thresholds:
        now = now if now is not None else timezone.now()
        today = timezone.localdate(now)
        days = list(setting("escalation_working_days"))
        blue = int(setting("blue_working_days"))
        yellow = int(setting("yellow_working_days"))
        reach = max([blue, yellow, *days])
        span = dt.timedelta(days=reach * 3 // 2 + 31)
        cal = calendar if calendar is not None else WorkingCalendar(today - span, today + span)
        ladder = tuple(
            (str(level), n, today if n == 0 else working_day_back(cal, today, n))
            for level, n in zip(LADDER, days, strict=True)
        )
        return cls(
            today=today,
            now=now,
            yellow_until=cal.add_working_days(today, yellow),
            blue_until=cal.add_working_days(today, blue),
            ladder=ladder,
        )

    def overdue_q(self) -> Q:
        return Q(rule=ClockRule.HOURS, due_at__lt=self.now) | (
            ~Q(rule=ClockRule.HOURS) & Q(due_on__lt=self.today)
        )

    def colour_case(self) -> Case:
        return Case(
            When(state=ClockState.PAUSED, then=Value(Colour.PAUSED.value)),
            When(self.overdue_q(), then=Value(Colour.RED.value)),
            When(due_on__lte=self.yellow_until, then=Value(Colour.YELLOW.value)),
            When(due_on__lte=self.blue_until, then=Value(Colour.BLUE.value)),
            default=Value(Colour.NORMAL.value),
            output_field=CharField(),
        )

    def colour_q(self, colour: str) -> Q:
        """The clocks of one colour, as a filter (uses the due-date indexes)."""
        running = Q(state=ClockState.RUNNING)
        if colour == Colour.PAUSED:
            return Q(state=ClockState.PAUSED)
        if colour == Colour.RED:
            return running & self.overdue_q()
        not_red = running & ~self.overdue_q()
        if colour == Colour.YELLOW:
            return not_red & Q(due_on__lte=self.yellow_until)
        if colour == Colour.BLUE:
            return not_red & Q(due_on__gt=self.yellow_until, due_on__lte=self.blue_until)
        return not_red & Q(due_on__gt=self.blue_until)

    def cutoff(self, level: str) -> tuple[int, dt.date]:
        for lvl, n, cutoff in self.ladder:
            if lvl == level:
                return n, cutoff
        raise KeyError(level)


__all__ = ["Colour", "EscalationLevel", "Thresholds", "working_day_back"]
