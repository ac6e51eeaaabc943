"""The read path of the clocks: people read through ``restrict``; the system sweep does not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet

from anxin.supervision.choices import ClockState, Colour
from anxin.supervision.colours import Thresholds
from anxin.supervision.models import Clock

DUE_ORDERING = ("due_on", "id")


def clocks_for(subject_type: str, subject_id: int) -> dict[str, Clock]:
    """The item's live clocks (cancelled ones left out) by name, in one query.

    For domain services and item pages that have already checked access to the item.
    """
    qs = Clock.objects.of(subject_type, subject_id).exclude(state=ClockState.CANCELLED)
    return {clock.name: clock for clock in qs}


def clocks_due(*, user: Any, before: dt.date) -> QuerySet[Clock]:
    """Running clocks in the user's scope due strictly before ``before``.

    ``before=today`` gives the overdue clocks (the last day ends at 24:00, 民法典 Art. 203);
    ``before=today + 4 days`` those due within three days.
    """
    return (
        Clock.objects.restrict(user, "view")
        .filter(state=ClockState.RUNNING, due_on__lt=before)
        .select_related("unit", "responsible")
        .order_by(*DUE_ORDERING)
    )


def clocks_due_for_sweep(*, before: dt.date) -> QuerySet[Clock]:
    """Every running clock due strictly before ``before``, for the periodic sweep (no scope)."""
    return Clock.objects.filter(state=ClockState.RUNNING, due_on__lt=before).order_by(*DUE_ORDERING)


# --- 三色督办 ---------------------------------------------------------------------------------

BOARD_ORDERING = ("due_on", "id")


def clocks_coloured(
    *,
    user: Any,
    colour: str | None = None,
    unit: Any = None,
    thresholds: Thresholds | None = None,
) -> QuerySet[Clock]:
    """Open clocks in the user's scope, each annotated with its ``colour`` (one query).

    ``colour`` keeps one colour; ``unit`` keeps that unit and its subtree. The thresholds are
    computed once (pass them to share them between the list and the counts).
    """
    th = thresholds if thresholds is not None else Thresholds.compute()
    qs = Clock.objects.restrict(user, "view").filter(
        state__in=[ClockState.RUNNING, ClockState.PAUSED]
    )
    if colour:
        qs = qs.filter(th.colour_q(colour))
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.annotate(colour=th.colour_case()).select_related("unit", "responsible", "leader")


def clock_colour_counts(
    *, user: Any, unit: Any = None, thresholds: Thresholds | None = None
) -> dict[str, int]:
    """How many open clocks of each colour the user's scope holds (one grouped query)."""
    th = thresholds if thresholds is not None else Thresholds.compute()
    rows = (
        clocks_coloured(user=user, unit=unit, thresholds=th)
        .select_related(None)
        .order_by()
        .values("colour")  # type: ignore[misc]
        .annotate(n=Count("id"))
    )
    counts = {c.value: 0 for c in Colour}
    for row in rows:
        counts[row["colour"]] = row["n"]
    return counts
