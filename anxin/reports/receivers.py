"""Listeners of core's ``audited`` signal: the daily rollups follow every audited change in the
writer's own transaction (see :mod:`anxin.reports.rollups`)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from anxin.core.audit import audited
from anxin.reports import rollups


@receiver(audited, dispatch_uid="reports.rollups")
def keep_rollups(sender: Any, event: Any, obj: Any = None, **kwargs: Any) -> None:
    rollups.apply_event(event, obj)
