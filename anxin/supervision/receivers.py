"""Supervision listens to the core calendar: a changed day moves the open clocks it affects."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from anxin.core.calendar import calendar_changed


@receiver(calendar_changed, dispatch_uid="supervision.clock_recompute_for_dates")
def recompute_on_calendar_change(
    sender: Any, dates: Any = (), actor: Any = None, **kw: Any
) -> None:
    from anxin.supervision.services import clock_recompute_for_dates

    clock_recompute_for_dates(actor=actor, dates=list(dates))
