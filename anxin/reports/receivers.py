"""Listeners of core's ``audited`` signal: the daily rollups follow every audited change in the
writer's own transaction (see :mod:`anxin.reports.rollups`).

A rollup must never fail the writer's action: the increments of a relevant action run in a
savepoint, and an error is logged and leaves the rollups to the next ``rebuild_rollups``.
Irrelevant actions cost nothing (no query, no savepoint)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from anxin.core.audit import audited, audited_many
from anxin.reports import rollups

log = logging.getLogger(__name__)


@receiver(audited, dispatch_uid="reports.rollups")
def keep_rollups(sender: Any, event: Any, obj: Any = None, **kwargs: Any) -> None:
    if not rollups.is_relevant(event):
        return
    try:
        with transaction.atomic():
            rollups.apply_event(event, obj)
    except Exception:
        log.exception(
            "rollups: %s on %s %s not counted", event.action, event.object_type, event.object_id
        )


@receiver(audited_many, dispatch_uid="reports.rollups_many")
def keep_rollups_many(sender: Any, events: Any, objs: Any, **kwargs: Any) -> None:
    pairs = [(e, o) for e, o in zip(events, objs, strict=True) if rollups.is_relevant(e)]
    if not pairs:
        return
    try:
        with transaction.atomic():
            rollups.apply_events(pairs)
    except Exception:
        log.exception("rollups: a batch of %s audited changes not counted", len(pairs))
