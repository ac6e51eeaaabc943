"""Signals supervision sends, for the domain apps to note in their items' timelines."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.dispatch import Signal


class ClockMove(NamedTuple):
    """One clock whose due date a calendar change moved."""

    subject_type: str
    subject_id: int
    name: str
    old_due: dt.date
    new_due: dt.date


#: Sent inside the recomputing transaction (the calendar change's) with ``changes`` (a list of
#: :class:`ClockMove`, only clocks whose due date moved), ``dates`` (the changed calendar days)
#: and ``actor``. A receiver picks its own ``subject_type`` out of ``changes``.
clocks_recomputed = Signal()

#: Sent after the commit of a sweep batch with ``clock_ids``: the clocks that have just turned
#: yellow (deadline warning recorded for the first time). For webhooks and domain timelines.
deadline_warning = Signal()

#: Sent after the commit of a sweep batch with ``clock_ids`` (the clocks that reached a new
#: escalation step) and ``escalations`` (a list of ``(clock_id, level)``).
clocks_overdue = Signal()
