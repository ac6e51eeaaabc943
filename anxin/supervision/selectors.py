"""The read path of the clocks: people read through ``restrict``; the system sweep does not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from anxin.supervision.choices import ClockState
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
