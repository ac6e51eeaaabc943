"""The one write path of the clocks.

These are building blocks for the domain services (``petition_accept`` starts ``handle_by`` and
stops ``accept_by``): they take the acting user for the audit trail but do not check
permissions, which is the calling domain service's business. Each runs in ``transaction.atomic``
(a savepoint inside the caller's transaction), locks the clock row it changes, and records the
audit event **on the subject** (``object_type=subject_type``, ``object_id=subject_id``,
``object_repr=<clock name>``) so that the item's timeline shows its clocks.

Dates are Asia/Shanghai local dates (``timezone.localdate()``), the dates statutory days count.
An ``hours`` clock (493号令 Art. 9, 11) counts from a timezone-aware moment (``start_at``) and is
stopped at a moment (``at``), compared with ``due_at``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record, audit_record_many
from anxin.core.bulk import RowInserter, unsaved
from anxin.core.calendar import WorkingCalendar
from anxin.core.models import Unit, User
from anxin.supervision.choices import CALENDAR_FREE_RULES, OPEN_STATES, ClockRule, ClockState
from anxin.supervision.models import Clock, ClockPause
from anxin.supervision.rules import compute_due, compute_due_at, paused_span
from anxin.supervision.signals import ClockMove, clocks_recomputed

SUBJECT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

#: clocks recomputed per query after a calendar change
RECOMPUTE_BATCH = 2000
#: a changed day affects clocks whose window [start_on, due_on + margin] contains it
RECOMPUTE_MARGIN = dt.timedelta(days=60)

SNAPSHOT_FIELDS = (
    "rule",
    "start_on",
    "days",
    "extra_days",
    "paused_days",
    "paused_since",
    "due_on",
    "start_at",
    "due_at",
    "state",
    "stopped_on",
    "unit_id",
    "responsible_id",
    "leader_id",
)


def _snapshot(clock: Clock) -> dict[str, Any]:
    out: dict[str, Any] = {}
    loaded = clock.__dict__  # the values at hand (a deferred field is read by getattr)
    for field in SNAPSHOT_FIELDS:
        value = loaded[field] if field in loaded else getattr(clock, field)
        out[field] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _audit(
    actor: Any,
    action: str,
    clock: Clock,
    before: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=clock.subject_type,
        object_id=str(clock.subject_id),
        object_repr=clock.name,
        before=before,
        after={**_snapshot(clock), **(extra or {})},
    )


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _check_key(subject_type: str, subject_id: int, name: str) -> None:
    errors: dict[str, str] = {}
    if not isinstance(subject_type, str) or not SUBJECT_TYPE_RE.match(subject_type):
        errors["subject_type"] = _("The item type is an app label and a model name.")
    if not isinstance(subject_id, int) or isinstance(subject_id, bool) or subject_id <= 0:
        errors["subject_id"] = _("The item id is a positive whole number.")
    if not isinstance(name, str) or not NAME_RE.match(name):
        errors["name"] = _("A clock name is 1–40 lower-case letters, digits or '_'.")
    if errors:
        raise ValidationError(errors)


def _check_date(field: str, value: Any) -> None:
    if not _is_date(value):
        raise ValidationError({field: _("Enter a valid date.")})


def _is_moment(value: Any) -> bool:
    return isinstance(value, dt.datetime) and timezone.is_aware(value)


def _check_moment(field: str, value: Any) -> None:
    if not _is_moment(value):
        raise ValidationError({field: _("Enter a valid date and time (with its time zone).")})


def _require_days_clock(clock: Clock) -> None:
    if clock.rule == ClockRule.HOURS:
        raise ValidationError(
            {
                "name": _("The clock %(name)s counts hours: it cannot be paused.")
                % {"name": clock.name}
            }
        )


def _locked(subject_type: str, subject_id: int, name: str) -> Clock:
    """The live (not cancelled) clock of that name, locked for the rest of the transaction."""
    _check_key(subject_type, subject_id, name)
    clock = (
        Clock.objects.select_for_update()
        .of(subject_type, subject_id)
        .filter(name=name)
        .exclude(state=ClockState.CANCELLED)
        .first()
    )
    if clock is None:
        raise ValidationError({"name": _("This item has no clock %(name)s.") % {"name": name}})
    return clock


def _require_open(clock: Clock) -> None:
    if clock.state not in OPEN_STATES:
        raise ValidationError(
            {"name": _("The clock %(name)s has already stopped.") % {"name": clock.name}}
        )


def _save(clock: Clock, fields: Iterable[str]) -> None:
    clock.version += 1
    clock.updated_at = timezone.now()
    clock.save(update_fields=[*fields, "version", "updated_at"])


def _recompute(clock: Clock, calendar: WorkingCalendar | None = None) -> None:
    if clock.rule == ClockRule.HOURS:
        assert clock.start_at is not None
        clock.due_at = compute_due_at(
            clock.start_at, clock.days, clock.extra_days, clock.paused_days
        )
        clock.due_on = timezone.localdate(clock.due_at)
        return
    clock.due_on = compute_due(
        clock.rule,
        clock.start_on,
        clock.days,
        clock.extra_days,
        clock.paused_days,
        calendar=calendar,
    )


# --- Starting --------------------------------------------------------------------------------


@transaction.atomic
def clock_start(
    *,
    actor: User | None,
    subject_type: str,
    subject_id: int,
    name: str,
    unit: Unit,
    rule: str,
    start_on: dt.date | None = None,
    days: int | None = None,
    responsible: User | None = None,
    due_on: dt.date | None = None,
    start_at: dt.datetime | None = None,
    hours: int | None = None,
    leader: User | None = None,
) -> Clock:
    """Start a clock of ``days`` counted from ``start_on`` (the start day itself not counted).

    ``rule="fixed"`` takes ``due_on`` instead of ``days`` (a deadline set by a decision).
    ``rule="hours"`` takes ``start_at`` (an aware datetime) and ``hours`` instead: it is due at
    ``start_at + hours`` (493号令 Art. 9, 11); ``start_on`` is then the local date of
    ``start_at`` and may be left out.
    """
    clock = _new_clock(
        subject_type=subject_type,
        subject_id=subject_id,
        name=name,
        unit=unit,
        rule=rule,
        start_on=start_on,
        days=days,
        responsible=responsible,
        due_on=due_on,
        start_at=start_at,
        hours=hours,
        leader=leader,
    )
    if (
        Clock.objects.of(subject_type, subject_id)
        .filter(name=name)
        .exclude(state=ClockState.CANCELLED)
        .exists()
    ):
        raise ValidationError(
            {"name": _("This item already has a clock %(name)s.") % {"name": name}}
        )
    try:
        with transaction.atomic():
            clock.save(force_insert=True)
    except IntegrityError as exc:  # started concurrently
        raise ValidationError(
            {"name": _("This item already has a clock %(name)s.") % {"name": name}}
        ) from exc
    _audit(actor, "clock.start", clock, None)
    return clock


def _new_clock(
    *,
    subject_type: str,
    subject_id: int,
    name: str,
    unit: Unit,
    rule: str,
    start_on: dt.date | None = None,
    days: int | None = None,
    responsible: User | None = None,
    due_on: dt.date | None = None,
    start_at: dt.datetime | None = None,
    hours: int | None = None,
    leader: User | None = None,
    now: dt.datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> Clock:
    """The checked, unsaved clock that :func:`clock_start` saves."""
    _check_key(subject_type, subject_id, name)
    errors: dict[str, str] = {}
    if rule == ClockRule.HOURS:
        _check_moment("start_at", start_at)
        assert start_at is not None
        local_start = timezone.localdate(start_at)
        if start_on is not None and start_on != local_start:
            errors["start_on"] = _("The start date must be the date of the start time.")
        start_on = local_start
        if days is not None and days != hours:
            errors["days"] = _("An hours clock takes its period in hours.")
        if not isinstance(hours, int) or isinstance(hours, bool) or hours < 0:
            errors["hours"] = _("The number of hours is a whole number, zero or more.")
        if due_on is not None:
            errors["due_on"] = _("Only a fixed deadline takes a date; this one is computed.")
        days = hours
    else:
        _check_date("start_on", start_on)
        if start_at is not None:
            errors["start_at"] = _("Only an hours clock counts from a time of day.")
        if hours is not None:
            errors["hours"] = _("Only an hours clock takes a number of hours.")
    assert start_on is not None
    if rule not in _RULES:
        errors["rule"] = _("Unknown counting rule.")
    elif rule == ClockRule.HOURS:
        pass
    elif rule == ClockRule.FIXED:
        if not _is_date(due_on) or due_on is None or due_on < start_on:
            errors["due_on"] = _("A fixed deadline needs a date on or after the start date.")
        elif days is not None and days != (due_on - start_on).days:
            errors["days"] = _("Give either the number of days or the fixed date, not both.")
        else:
            days = (due_on - start_on).days
    else:
        if due_on is not None:
            errors["due_on"] = _("Only a fixed deadline takes a date; this one is computed.")
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            errors["days"] = _("The number of days is a whole number, zero or more.")
    if not isinstance(unit, Unit) or unit.pk is None:
        errors["unit"] = _("A clock belongs to a unit.")
    if leader is not None and (not isinstance(leader, User) or leader.pk is None):
        errors["leader"] = _("The leader must be a saved user.")
    if errors:
        raise ValidationError(errors)
    assert days is not None
    now = now or timezone.now()
    # Clock(**kwargs), without __init__'s cost per field (an import starts thousands)
    clock = unsaved(
        Clock,
        {
            "subject_type": subject_type,
            "subject_id": subject_id,
            "name": name,
            "unit_id": unit.pk,
            "responsible_id": responsible.pk if responsible is not None else None,
            "leader_id": leader.pk if leader is not None else None,
            "rule": rule,
            "start_on": start_on,
            "start_at": start_at if rule == ClockRule.HOURS else None,
            "days": days,
            "state": ClockState.RUNNING,
            "created_at": now,
            "updated_at": now,
        },
        {"unit": unit, "responsible": responsible, "leader": leader},
    )
    _recompute(clock, calendar)
    return clock


#: the counting rules (ClockRule.values builds its list on every call)
_RULES = frozenset(ClockRule.values)

#: clocks per INSERT of clock_start_many
START_BATCH = 1000


def clock_start_many(*, actor: User | None, clocks: list[dict[str, Any]]) -> list[Clock]:
    """Start many clocks at once (an import): each dict takes the keyword arguments of
    :func:`clock_start` but ``actor``. The same checks and the same rows and audit events as
    that many calls, in a few statements: every clock is checked first, one query looks for
    clocks the items already have, the clocks are inserted in batches and their ``clock.start``
    events recorded with :func:`anxin.core.audit.audit_record_many`. A refused clock raises
    :class:`ClockRefused` with its index; nothing is saved. The caller holds the transaction.
    """
    if not clocks:
        return []
    now = timezone.now()
    calendar = WorkingCalendar()
    made: list[Clock] = []
    for index, spec in enumerate(clocks):
        try:
            made.append(_new_clock(**spec, now=now, calendar=calendar))
        except ValidationError as exc:
            raise ClockRefused(index, exc) from exc
    keys = {(c.subject_type, c.subject_id, c.name): i for i, c in enumerate(made)}
    by_type: dict[str, set[int]] = {}
    for subject_type, subject_id, _name in keys:
        by_type.setdefault(subject_type, set()).add(subject_id)
    query = Q()
    for subject_type, ids in by_type.items():
        low, high = min(ids), max(ids)
        if high - low < 2 * len(ids):  # dense (new items of an import): a range, not a list
            query |= Q(subject_type=subject_type, subject_id__range=(low, high))
        else:
            query |= Q(subject_type=subject_type, subject_id__in=ids)
    for found in (
        Clock.objects.filter(query)
        .exclude(state=ClockState.CANCELLED)
        .values_list("subject_type", "subject_id", "name")
    ):
        if found in keys:
            error = ValidationError(
                {"name": _("This item already has a clock %(name)s.") % {"name": found[2]}}
            )
            raise ClockRefused(keys[found], error)
    if len(keys) < len(made):
        seen: set[tuple[str, int, str]] = set()
        for index, c in enumerate(made):
            key = (c.subject_type, c.subject_id, c.name)
            if key in seen:
                error = ValidationError(
                    {"name": _("This item already has a clock %(name)s.") % {"name": c.name}}
                )
                raise ClockRefused(index, error)
            seen.add(key)
    _insert_clocks(made)
    audit_record_many(
        actor=actor,
        entries=[
            {
                "action": "clock.start",
                "object_type": c.subject_type,
                "object_id": str(c.subject_id),
                "object_repr": c.name,
                "after": _snapshot(c),
            }
            for c in made
        ],
    )
    return made


def _insert_clocks(made: list[Clock]) -> None:
    """Insert the checked clocks as tuples of their values (no per-value preparation) and
    give them their keys."""
    pk = Clock._meta.pk
    assert pk is not None
    attnames = [f.attname for f in Clock._meta.concrete_fields if f is not pk]
    rows = [tuple(c.__dict__[a] for a in attnames) for c in made]
    keys = RowInserter(Clock, attnames).write(rows, batch=START_BATCH)
    alias = connection.alias
    for clock, key in zip(made, keys, strict=True):
        clock.pk = key
        clock._state.adding, clock._state.db = False, alias


class ClockRefused(Exception):
    """One clock of :func:`clock_start_many` was refused: ``index`` into its list, ``error``
    the :class:`ValidationError` that :func:`clock_start` would have raised."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(index, error)
        self.index = index
        self.error = error


# --- Changing the period ----------------------------------------------------------------------


@transaction.atomic
def clock_extend(
    *,
    actor: User | None,
    subject_type: str,
    subject_id: int,
    name: str,
    days: int,
    reason: str = "",
) -> Clock:
    """Add ``days`` to the period, in the rule's unit (hours for an ``hours`` clock).

    The caller enforces any statutory cap.
    """
    clock = _locked(subject_type, subject_id, name)
    _require_open(clock)
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        raise ValidationError({"days": _("An extension is a whole number of days, one or more.")})
    before = _snapshot(clock)
    clock.extra_days += days
    _recompute(clock)
    _save(clock, ["extra_days", "due_on", "due_at"])
    _audit(actor, "clock.extend", clock, before, {"added_days": days, "reason": reason})
    return clock


@transaction.atomic
def clock_pause(
    *,
    actor: User | None,
    subject_type: str,
    subject_id: int,
    name: str,
    on: dt.date,
    reason: str = "",
) -> Clock:
    """Stop counting from ``on`` (a hearing, Art. 36; a technical appraisal, 493号令 Art. 27).

    The pause is recorded as a :class:`ClockPause` row (from, reason, who); the resume fills in
    its end and the days not counted.
    """
    clock = _locked(subject_type, subject_id, name)
    _require_days_clock(clock)
    _check_date("on", on)
    if clock.state != ClockState.RUNNING:
        raise ValidationError({"name": _("Only a running clock can be paused.")})
    if on < clock.start_on:
        raise ValidationError({"on": _("A clock cannot be paused before it starts.")})
    if on > clock.due_on:
        raise ValidationError(
            {"on": _("The deadline has passed: an overdue clock cannot be paused.")}
        )
    before = _snapshot(clock)
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason within 200 characters.")})
    clock.state = ClockState.PAUSED
    clock.paused_since = on
    _save(clock, ["state", "paused_since"])
    ClockPause.objects.create(clock=clock, paused_on=on, reason=reason, actor=_user_or_none(actor))
    _audit(actor, "clock.pause", clock, before, {"reason": reason})
    return clock


def _user_or_none(actor: Any) -> User | None:
    return actor if isinstance(actor, User) and actor.pk is not None else None


def _close_pause(clock: Clock, on: dt.date, span: int, actor: Any) -> None:
    """End the clock's open :class:`ClockPause` row (one UPDATE; none open: nothing)."""
    ClockPause.objects.filter(clock=clock, resumed_on__isnull=True).update(
        resumed_on=on, days_not_counted=span, resumed_by=_user_or_none(actor)
    )


def _fold_pause(clock: Clock, on: dt.date) -> int:
    """End the open pause on ``on``: add its days (not counted) to ``paused_days``."""
    assert clock.paused_since is not None
    span = paused_span(clock.rule, clock.paused_since, on)
    clock.paused_days += span
    clock.paused_since = None
    _recompute(clock)
    return span


@transaction.atomic
def clock_resume(
    *, actor: User | None, subject_type: str, subject_id: int, name: str, on: dt.date
) -> Clock:
    """Count again from ``on``; the paused days are not counted, so the due date moves."""
    clock = _locked(subject_type, subject_id, name)
    _require_days_clock(clock)
    _check_date("on", on)
    if clock.state != ClockState.PAUSED or clock.paused_since is None:
        raise ValidationError({"name": _("Only a paused clock can be resumed.")})
    if on < clock.paused_since:
        raise ValidationError({"on": _("A clock cannot resume before it was paused.")})
    before = _snapshot(clock)
    span = _fold_pause(clock, on)
    _close_pause(clock, on, span, actor)
    clock.state = ClockState.RUNNING
    _save(clock, ["state", "paused_since", "paused_days", "due_on"])
    _audit(actor, "clock.resume", clock, before, {"paused_days_added": span})
    return clock


# --- Ending ------------------------------------------------------------------------------------


@transaction.atomic
def clock_stop(
    *,
    actor: User | None,
    subject_type: str,
    subject_id: int,
    name: str,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Clock:
    """The timed act happened on ``on``: met when ``on <= due_on``, else missed.

    The last day ends at 24:00 (民法典 Art. 203), so an act on the due date itself is in time.
    A paused clock stops as if resumed on ``on``.

    An ``hours`` clock needs the moment ``at`` of the act: met when ``at <= due_at`` (an hour
    is an hour, 493号令 Art. 9). Any clock may be given ``at`` instead of ``on`` (its local date).
    """
    clock = _locked(subject_type, subject_id, name)
    extra: dict[str, Any] = {}
    if clock.rule == ClockRule.HOURS or at is not None:
        _check_moment("at", at)
        assert at is not None
        if on is not None and on != timezone.localdate(at):
            raise ValidationError({"on": _("The stop date must be the date of the stop time.")})
        on = timezone.localdate(at)
        extra["stopped_at"] = at.isoformat()
    _check_date("on", on)
    assert on is not None
    _require_open(clock)
    too_early = on < clock.start_on
    if clock.rule == ClockRule.HOURS:
        assert at is not None and clock.start_at is not None and clock.due_at is not None
        too_early = at < clock.start_at
    if too_early:
        raise ValidationError({"on": _("A clock cannot stop before it starts.")})
    before = _snapshot(clock)
    if clock.state == ClockState.PAUSED:
        resumed = max(on, clock.paused_since or on)
        _close_pause(clock, resumed, _fold_pause(clock, resumed), actor)
    if clock.rule == ClockRule.HOURS:
        assert at is not None and clock.due_at is not None
        in_time = at <= clock.due_at
    else:
        in_time = on <= clock.due_on
    clock.state = ClockState.MET if in_time else ClockState.MISSED
    clock.stopped_on = on
    _save(clock, ["state", "stopped_on", "paused_since", "paused_days", "due_on"])
    _audit(actor, "clock.stop", clock, before, extra)
    return clock


@transaction.atomic
def clock_cancel(
    *,
    actor: User | None,
    subject_type: str,
    subject_id: int,
    name: str,
    on: dt.date | None = None,
    reason: str = "",
) -> Clock:
    """The period no longer applies (item withdrawn, merged, routed elsewhere).

    A cancelled clock stays as history and frees the name for a new clock.
    """
    clock = _locked(subject_type, subject_id, name)
    _require_open(clock)
    on = on if on is not None else timezone.localdate()
    _check_date("on", on)
    before = _snapshot(clock)
    if clock.state == ClockState.PAUSED:
        _close_pause(clock, max(on, clock.paused_since or on), 0, actor)
    clock.state = ClockState.CANCELLED
    clock.paused_since = None
    clock.stopped_on = on
    _save(clock, ["state", "paused_since", "stopped_on"])
    _audit(actor, "clock.cancel", clock, before, {"reason": reason})
    return clock


@transaction.atomic
def clock_set_leader(
    *,
    actor: User | None,
    subject_type: str,
    subject_id: int,
    leader: User | None,
    names: Iterable[str] | None = None,
) -> int:
    """Name the responsible leader (a petition's 包案 leader) on the item's open clocks.

    The last step of the escalation ladder goes to this person. Returns the clocks changed.
    """
    _check_key(subject_type, subject_id, "x")
    if leader is not None and (not isinstance(leader, User) or leader.pk is None):
        raise ValidationError({"leader": _("The leader must be a saved user.")})
    qs = (
        Clock.objects.select_for_update()
        .of(subject_type, subject_id)
        .filter(state__in=[ClockState.RUNNING, ClockState.PAUSED])
        .order_by("pk")
    )
    if names is not None:
        qs = qs.filter(name__in=list(names))
    leader_id = getattr(leader, "pk", None)
    changed = [c for c in qs if c.leader_id != leader_id]
    now = timezone.now()
    for clock in changed:
        before = _snapshot(clock)
        clock.leader = leader
        clock.version += 1
        clock.updated_at = now
        _audit(actor, "clock.set_leader", clock, before)
    if changed:
        Clock.objects.bulk_update(changed, ["leader", "version", "updated_at"])
    return len(changed)


# --- Moving ------------------------------------------------------------------------------------


@transaction.atomic
def clock_move_unit(
    *,
    actor: User | None,
    subject_type: str,
    subject_id: int,
    unit: Unit,
    responsible: User | None = None,
    names: Iterable[str] | None = None,
) -> list[Clock]:
    """The item changed hands: its open clocks (all, or those ``names``) move to ``unit``.

    ``responsible`` becomes the responsible person (None: nobody yet). Stopped clocks stay with
    the unit that met or missed them (they count in that unit's indicators).
    """
    if not isinstance(unit, Unit) or unit.pk is None:
        raise ValidationError({"unit": _("A clock belongs to a unit.")})
    qs = (
        Clock.objects.select_for_update()
        .of(subject_type, subject_id)
        .filter(state__in=[ClockState.RUNNING, ClockState.PAUSED])
        .order_by("pk")
    )
    if names is not None:
        qs = qs.filter(name__in=list(names))
    clocks = list(qs)
    moved = []
    now = timezone.now()
    for clock in clocks:
        if clock.unit_id == unit.pk and clock.responsible_id == getattr(responsible, "pk", None):
            continue
        before = _snapshot(clock)
        clock.unit = unit
        clock.responsible = responsible
        clock.version += 1
        clock.updated_at = now
        moved.append(clock)
        _audit(actor, "clock.move_unit", clock, before, {"unit": unit.code})
    if moved:
        Clock.objects.bulk_update(moved, ["unit", "responsible", "version", "updated_at"])
    return moved


# --- Recomputing after a calendar change --------------------------------------------------------


def _horizon(clock: Clock) -> dt.date:
    """A date the due date cannot pass: 5 working days in 7, plus a month of holidays."""
    total = clock.days + clock.extra_days + clock.paused_days
    return clock.start_on + dt.timedelta(days=total * 3 // 2 + 31)


def clock_recompute_for_dates(*, actor: Any = None, dates: Iterable[dt.date]) -> list[ClockMove]:
    """Recompute the due dates of open clocks whose window contains one of ``dates``.

    Set-based: the affected clocks are selected by one condition, read in batches of
    :data:`RECOMPUTE_BATCH` (keyset on the id), computed in Python with one shared calendar, and
    written with ``bulk_update``; one audit event per batch lists the moves. Fixed deadlines and
    hours clocks do not depend on the calendar. Sends :data:`~anxin.supervision.signals.clocks_recomputed`.
    """
    days = sorted(set(dates))
    if not days:
        return []
    window = Q()
    for d in days:
        window |= Q(start_on__lte=d, due_on__gte=d - RECOMPUTE_MARGIN)
    base = (
        Clock.objects.filter(window, state__in=[ClockState.RUNNING, ClockState.PAUSED])
        .exclude(rule__in=CALENDAR_FREE_RULES)
        .order_by("pk")
        .only(
            "pk",
            "subject_type",
            "subject_id",
            "name",
            "rule",
            "start_on",
            "days",
            "extra_days",
            "paused_days",
            "due_on",
            "version",
        )
    )
    calendar = WorkingCalendar()
    moves: list[ClockMove] = []
    last_pk = 0
    with transaction.atomic():
        while True:
            batch = list(base.filter(pk__gt=last_pk).select_for_update()[:RECOMPUTE_BATCH])
            if not batch:
                break
            last_pk = batch[-1].pk
            # The rows every computation of the batch can reach, in one query (or two).
            calendar.preload(min(c.start_on for c in batch), max(_horizon(c) for c in batch))
            now = timezone.now()
            changed: list[Clock] = []
            for clock in batch:
                old = clock.due_on
                _recompute(clock, calendar)
                if clock.due_on != old:
                    clock.version += 1
                    clock.updated_at = now
                    changed.append(clock)
                    moves.append(
                        ClockMove(
                            clock.subject_type, clock.subject_id, clock.name, old, clock.due_on
                        )
                    )
            if changed:
                Clock.objects.bulk_update(
                    changed, ["due_on", "version", "updated_at"], batch_size=RECOMPUTE_BATCH
                )
                audit_record(
                    actor=actor,
                    action="clock.recompute",
                    object_type="supervision.clock",
                    after={
                        "dates": [d.isoformat() for d in days],
                        "moved": [
                            [m.subject_type, m.subject_id, m.name, str(m.old_due), str(m.new_due)]
                            for m in moves[-len(changed) :]
                        ],
                    },
                )
            if len(batch) < RECOMPUTE_BATCH:
                break
        if moves:
            clocks_recomputed.send(sender=Clock, changes=moves, dates=days, actor=actor)
    return moves
