"""The working-day calendar and the counting of periods (民法典 Art. 200–204).

Whether a day is a working day is decided, first match wins, by:

1. the administrators' table :class:`~anxin.core.models_calendar.CalendarDay` (a rest day or
   a make-up working day, 调休), which also covers years the package does not know;
2. the ``chinese_calendar`` package (the State Council's yearly holiday notices under
   《全国年节及纪念日放假办法》, including make-up working days; data through 2026 in 1.11);
3. the weekly rest days: Saturday and Sunday (《国务院关于职工工作时间的规定》 Art. 7).

A year without data (neither the package nor a rest day in the table) never raises: it falls
back to weekends plus the table, and :func:`coverage_warning` / system check ``anxin.W010`` say
so loudly.

The pure functions load the table rows of the date range they need in one query. A batch of
computations (recomputing many clocks) shares one :class:`WorkingCalendar`.

Writes go through :func:`calendar_day_set` and :func:`calendar_day_delete`; both send
:data:`calendar_changed` inside their transaction so that the deadlines depending on the changed
days are recomputed atomically with the change (supervision listens; core imports no other app).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

import chinese_calendar
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.models_calendar import CalendarDay, CalendarDayKind
from anxin.core.scoping import can

#: Sent inside the writing transaction after the table changed, with ``dates`` (a list of
#: :class:`datetime.date` whose kind changed) and ``actor`` (the user, or None for the system).
#: Receivers run in the same transaction: if one fails, the calendar change is rolled back.
calendar_changed = Signal()

MANAGE_ACTION = "calendar.manage"
ONE_DAY = dt.timedelta(days=1)
#: how far past the asked range a calendar loads at once, and loads again when walked past
CHUNK = dt.timedelta(days=400)
NOTE_MAX = 100


# --- The default calendar: package, then weekends -------------------------------------------


@cache
def package_has_year(year: int) -> bool:
    """Whether the installed ``chinese_calendar`` has the holiday notice of ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=1 << 16)
def default_is_working_day(d: dt.date) -> bool:
    """The day's kind without the table: the State Council calendar, else plain weekends.

    Cached per day: the package's data do not change while the process runs, and its own
    look-up scans its whole table on every call.
    """
    if package_has_year(d.year):
        # The State Council's notice, make-up working days included (民法典 Art. 203 "法定休假日").
        return bool(chinese_calendar.is_workday(d))
    # Saturday and Sunday are the weekly rest days (《国务院关于职工工作时间的规定》 Art. 7).
    return d.weekday() < 5


# --- The calendar with the table -------------------------------------------------------------


class WorkingCalendar:
    """Working days over date ranges, with the table rows loaded one range per query.

    ``WorkingCalendar()`` loads lazily: the first day asked loads that day plus :data:`CHUNK`,
    and walking past the loaded range loads the next chunk (never one query per day).
    ``WorkingCalendar(start, end)`` loads ``start``–``end`` up front. ``rows=`` gives the table
    outright (tests, previews) and then the database is never read.
    """

    def __init__(
        self,
        start: dt.date | None = None,
        end: dt.date | None = None,
        *,
        rows: Mapping[dt.date, str] | None = None,
    ) -> None:
        self._rows: dict[dt.date, str] = {}
        self._lo: dt.date | None = None
        self._hi: dt.date | None = None
        #: how many queries this calendar made (tests pin it)
        self.queries = 0
        if rows is not None:
            self._rows = dict(rows)
            self._lo, self._hi = dt.date.min, dt.date.max
        elif start is not None:
            self._load(start, end if end is not None else start)

    def _load(self, lo: dt.date, hi: dt.date) -> None:
        self.queries += 1
        self._rows.update(
            CalendarDay.objects.filter(date__range=(lo, hi)).values_list("date", "kind")
        )
        self._lo = lo if self._lo is None else min(lo, self._lo)
        self._hi = hi if self._hi is None else max(hi, self._hi)

    def _ensure(self, d: dt.date) -> None:
        if self._lo is None or self._hi is None:
            self._load(d, _clamp_add(d, CHUNK))
        elif d > self._hi:
            self._load(self._hi + ONE_DAY, max(d, _clamp_add(self._hi, CHUNK)))
        elif d < self._lo:
            self._load(min(d, _clamp_sub(self._lo, CHUNK)), self._lo - ONE_DAY)

    def preload(self, lo: dt.date, hi: dt.date) -> None:
        """Load ``lo``–``hi`` now (only the part not loaded yet: at most two queries)."""
        if self._lo is None or self._hi is None:
            self._load(lo, hi)
            return
        if lo < self._lo:
            self._load(lo, self._lo - ONE_DAY)
        if hi > self._hi:
            self._load(self._hi + ONE_DAY, hi)

    def kind_of(self, d: dt.date) -> str | None:
        """The table's kind of the day, or None when the table says nothing about it."""
        self._ensure(d)
        return self._rows.get(d)

    def is_working_day(self, d: dt.date) -> bool:
        kind = self.kind_of(d)
        if kind == CalendarDayKind.HOLIDAY:
            return False
        if kind == CalendarDayKind.WORKDAY:
            return True
        return default_is_working_day(d)

    def next_working_day(self, d: dt.date) -> dt.date:
        """``d`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += ONE_DAY
        return d

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted).

        A period in working days (工作日) counts only working days, from the day after the
        start (民法典 Art. 201: "开始的当日不计入，自下一日开始计算"). ``n = 0`` is ``start``.
        """
        if n < 0:
            raise ValueError("a period cannot have a negative number of days")
        d = start
        while n:
            d += ONE_DAY
            if self.is_working_day(d):
                n -= 1
        return d

    def period_end(self, start: dt.date, n: int) -> dt.date:
        """The last day of an ``n``-day period in calendar days that starts on ``start``."""
        if n < 0:
            raise ValueError("a period cannot have a negative number of days")
        # 民法典 Art. 201: the start day is not counted, so the nominal last day is start + n.
        nominal = start + dt.timedelta(days=n)
        # 民法典 Art. 203: a last day on a rest day (statutory holiday or weekend, make-up
        # working days being working days) moves to the next working day.
        return self.next_working_day(nominal)

    def working_days_in(self, start: dt.date, end: dt.date) -> int:
        """How many working days ``d`` there are with ``start <= d < end``."""
        count = 0
        d = start
        while d < end:
            if self.is_working_day(d):
                count += 1
            d += ONE_DAY
        return count


def _clamp_add(d: dt.date, delta: dt.timedelta) -> dt.date:
    return d + delta if dt.date.max - d > delta else dt.date.max


def _clamp_sub(d: dt.date, delta: dt.timedelta) -> dt.date:
    return d - delta if d - dt.date.min > delta else dt.date.min


def _span_for(n: int) -> dt.timedelta:
    """Enough calendar days to hold ``n`` working days (5 in 7, plus the long holidays)."""
    return dt.timedelta(days=n * 3 // 2 + 31)


# --- Pure functions: one query each ----------------------------------------------------------


def is_working_day(d: dt.date) -> bool:
    return WorkingCalendar(d, d).is_working_day(d)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start``, ``start`` itself not counted (民法典 Art. 201)."""
    return WorkingCalendar(start, _clamp_add(start, _span_for(n))).add_working_days(start, n)


def calendar_period_end(start: dt.date, n: int) -> dt.date:
    """The end of ``n`` calendar days from ``start`` (民法典 Art. 201, 203)."""
    nominal = start + dt.timedelta(days=n)
    return WorkingCalendar(nominal, _clamp_add(nominal, dt.timedelta(days=31))).period_end(start, n)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days ``d`` there are with ``start <= d < end``."""
    return WorkingCalendar(start, max(start, end)).working_days_in(start, end)


def year_has_data(year: int) -> bool:
    """Whether ``year``'s holidays are known: in the package, or a rest day in the table."""
    if package_has_year(year):
        return True
    return CalendarDay.objects.filter(
        kind=CalendarDayKind.HOLIDAY, date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31))
    ).exists()


def coverage_warning(year: int) -> str | None:
    """A message for people when ``year`` has no holiday data; None when it has."""
    if year_has_data(year):
        return None
    return _(
        "There are no public-holiday data for %(year)d. Deadlines in %(year)d count Saturdays "
        "and Sundays as rest days, plus the days entered in the working-day calendar; enter "
        "the State Council's holiday notice for %(year)d there."
    ) % {"year": year}


# --- Reads for the pages ----------------------------------------------------------------------


def calendar_day_list(*, user: Any, year: int) -> QuerySet[CalendarDay]:
    """The table rows of one year, for those who manage the calendar."""
    qs = CalendarDay.objects.select_related("updated_by")
    if not can(user, MANAGE_ACTION):
        return qs.none()
    return qs.filter(date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31))).order_by("date")


# --- Writes -------------------------------------------------------------------------------------


def register_calendar_actions() -> None:
    """The system administrator keeps the calendar, for everyone (one calendar per city)."""
    from anxin.core.choices import Role
    from anxin.core.permissions import grant, make_global

    grant({Role.SYSADMIN}, MANAGE_ACTION)
    make_global(MANAGE_ACTION)


def _require(actor: Any) -> None:
    if actor is not None and not can(actor, MANAGE_ACTION):
        raise PermissionDenied


def _person(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _snapshot(day: CalendarDay) -> dict[str, Any]:
    return {"date": day.date.isoformat(), "kind": day.kind, "note": day.note}


@transaction.atomic
def calendar_day_set(*, actor: Any, date: dt.date, kind: str, note: str = "") -> CalendarDay:
    """Make ``date`` a rest day or a make-up working day (creating or changing its row)."""
    _require(actor)
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        errors["date"] = _("Enter a valid date.")
    if kind not in CalendarDayKind.values:
        errors["kind"] = _("Unknown kind of day.")
    if len(note) > NOTE_MAX:
        errors["note"] = _("The note is at most %(n)d characters.") % {"n": NOTE_MAX}
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    before: dict[str, Any] = {}
    if day is None:
        day = CalendarDay(
            date=date,
            kind=kind,
            note=note,
            created_at=now,
            updated_at=now,
            updated_by=_person(actor),
        )
        try:
            with transaction.atomic():
                day.save(force_insert=True)
        except IntegrityError as exc:  # someone else added the same day meanwhile
            raise ValidationError(
                {"date": _("This day was just entered by someone else. Reload and try again.")}
            ) from exc
    else:
        if day.kind == kind and day.note == note:
            return day
        before = _snapshot(day)
        day.kind, day.note, day.updated_at, day.updated_by = kind, note, now, _person(actor)
        day.save(update_fields=["kind", "note", "updated_at", "updated_by"])
    audit_record(
        actor=actor,
        action="calendar.set",
        obj=day,
        object_id=date.isoformat(),
        before=before,
        after=_snapshot(day),
    )
    if before.get("kind") != kind:
        calendar_changed.send(sender=CalendarDay, dates=[date], actor=actor)
    return day


@transaction.atomic
def calendar_day_delete(*, actor: Any, date: dt.date) -> None:
    """Remove the table's row for ``date``: the package and the weekend decide again."""
    _require(actor)
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if day is None:
        raise ValidationError({"date": _("This day is not in the working-day calendar.")})
    before = _snapshot(day)
    day.delete()
    audit_record(
        actor=actor,
        action="calendar.delete",
        object_type="core.calendarday",
        object_id=date.isoformat(),
        object_repr=before["date"],
        before=before,
    )
    calendar_changed.send(sender=CalendarDay, dates=[date], actor=actor)
