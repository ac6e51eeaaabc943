"""The petition's statutory clocks, kept in supervision's one clock table.

A thin adapter: petitions names its clocks (rules.CLOCKS) and supervision stores, pauses and
sweeps them. ``deadlines(petition)`` answers the API's ``deadlines`` map.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from anxin.petitions.rules import CLOCKS
from anxin.supervision import services as clock_services
from anxin.supervision.selectors import clocks_for

SUBJECT = "petitions.petition"


def start(
    *,
    actor: Any,
    petition: Any,
    name: str,
    unit: Any,
    start_on: date,
    days: int | None = None,
    responsible: Any = None,
    leader: Any = None,
) -> Any:
    """Start one of the case's clocks; returns the supervision ``Clock`` row."""
    rule = CLOCKS[name]
    return clock_services.clock_start(
        actor=actor,
        subject_type=SUBJECT,
        subject_id=petition.pk,
        name=name,
        unit=unit,
        rule=rule.rule,
        start_on=start_on,
        days=rule.days if days is None else days,
        responsible=responsible,
        leader=leader,
    )


def stop(*, actor: Any, petition: Any, name: str, on: date) -> None:
    clock_services.clock_stop(
        actor=actor, subject_type=SUBJECT, subject_id=petition.pk, name=name, on=on
    )


def cancel(*, actor: Any, petition: Any, name: str) -> None:
    clock_services.clock_cancel(
        actor=actor, subject_type=SUBJECT, subject_id=petition.pk, name=name
    )


def extend(*, actor: Any, petition: Any, name: str, days: int) -> None:
    clock_services.clock_extend(
        actor=actor, subject_type=SUBJECT, subject_id=petition.pk, name=name, days=days
    )


def pause(*, actor: Any, petition: Any, name: str, on: date) -> None:
    clock_services.clock_pause(
        actor=actor, subject_type=SUBJECT, subject_id=petition.pk, name=name, on=on
    )


def resume(*, actor: Any, petition: Any, name: str, on: date) -> None:
    clock_services.clock_resume(
        actor=actor, subject_type=SUBJECT, subject_id=petition.pk, name=name, on=on
    )


def running(petition: Any) -> dict[str, Any]:
    """The petition's live clocks by name (running or paused), one query."""
    return {
        name: clock
        for name, clock in clocks_for(SUBJECT, petition.pk).items()
        if clock.state in ("running", "paused")
    }


def all_clocks(petition: Any) -> dict[str, Any]:
    return clocks_for(SUBJECT, petition.pk)


def deadlines(petition: Any, clocks: dict[str, Any] | None = None) -> dict[str, str]:
    """The API's ``deadlines``: name → ISO due date, for the clocks that apply now."""
    clocks = all_clocks(petition) if clocks is None else clocks
    return {
        name: clock.due_on.isoformat()
        for name, clock in sorted(clocks.items())
        if clock.state != "cancelled"
    }
