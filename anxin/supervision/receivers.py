"""Supervision's receivers: a changed calendar day moves the open clocks it affects; the sweep's
warnings and escalations, and the open deadlines of items, feed core's webhooks."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from anxin.core.calendar import calendar_changed
from anxin.supervision.signals import clocks_overdue, deadline_warning


@receiver(calendar_changed, dispatch_uid="supervision.clock_recompute_for_dates")
def recompute_on_calendar_change(
    sender: Any, dates: Any = (), actor: Any = None, **kw: Any
) -> None:
    from anxin.supervision.services import clock_recompute_for_dates

    clock_recompute_for_dates(actor=actor, dates=list(dates))


# --- Webhooks: the sweep's warnings and escalations, and the deadlines in payloads ---------------


def _emit(event: str, clock_ids: Any) -> None:
    """Queue ``event`` for the items of these clocks: one read, one call per item type.

    The clocks are read only for the item types some active endpoint follows (the endpoints
    are cached per process): a sweep of thousands of clocks reads nothing when nobody listens.
    """
    from anxin.core.webhooks import SUBJECTS, webhooks_emit, webhooks_subscribed
    from anxin.supervision.models import Clock

    followed = [
        subject_type for subject_type in SUBJECTS if webhooks_subscribed(event, subject_type)
    ]
    if not followed:
        return
    groups: dict[str, tuple[list[int], list[dict[str, Any]]]] = {}
    rows = Clock.objects.filter(pk__in=list(clock_ids), subject_type__in=followed)
    for row in rows.values("subject_type", "subject_id", "name", "due_on", "due_at", "state"):
        ids, data = groups.setdefault(row["subject_type"], ([], []))
        ids.append(row["subject_id"])
        data.append(
            {
                "clock": row["name"],
                "due_on": row["due_on"],
                "due_at": row["due_at"],
                "state": row["state"],
            }
        )
    for subject_type, (ids, data) in groups.items():
        webhooks_emit(event=event, subject_type=subject_type, subject_ids=ids, data=data)


@receiver(deadline_warning, dispatch_uid="supervision.webhooks_deadline_warning")
def webhooks_on_warning(sender: Any, clock_ids: Any = (), **kw: Any) -> None:
    _emit("deadline_warning", clock_ids)


@receiver(clocks_overdue, dispatch_uid="supervision.webhooks_overdue")
def webhooks_on_overdue(sender: Any, clock_ids: Any = (), **kw: Any) -> None:
    _emit("overdue", clock_ids)


def open_deadlines(subject_type: str, ids: list[int]) -> dict[int, dict[str, str]]:
    """The running or paused clocks of these items, ``{id: {name: ISO due}}``, in one query
    (registered with :func:`anxin.core.webhooks.register_deadline_source`)."""
    from anxin.supervision.models import Clock

    out: dict[int, dict[str, str]] = {}
    rows = Clock.objects.open().filter(subject_type=subject_type, subject_id__in=ids)
    for sid, name, due_on, due_at in rows.values_list("subject_id", "name", "due_on", "due_at"):
        out.setdefault(sid, {})[name] = (due_at or due_on).isoformat()
    return out
