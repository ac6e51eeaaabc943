"""Items a person must never see, declared by the domain apps, applied to every clock query.

A clock names its item only by ``subject_type`` and ``subject_id``, so the clock's own scope (its
unit) cannot know that the item is, say, an accusation against the person's own unit. A domain
app that hides items from some people registers, in its ``AppConfig.ready``, a function giving
the ids of the items hidden from a user as a subquery::

    from anxin.supervision.shields import register_subject_shield
    register_subject_shield("petitions.petition", hidden_petition_ids)  # (user) -> QuerySet | None

``Clock.restrict`` then leaves out the clocks of those items for that user — on the board, in
我的待办, on the dashboards and behind ``/supervision/clocks/<pk>/`` (404) — as the item's own
pages do (the whistleblower shield, 信访工作条例 Art. 30).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

HiddenIds = Callable[[Any], "QuerySet[Any] | None"]

_SHIELDS: dict[str, HiddenIds] = {}


def register_subject_shield(subject_type: str, hidden_ids: HiddenIds) -> None:
    _SHIELDS[subject_type] = hidden_ids


def shielded_q(user: Any) -> Q | None:
    """Clocks whose items are hidden from ``user`` (to exclude), or ``None`` when there are none."""
    q: Q | None = None
    for subject_type, hidden_ids in _SHIELDS.items():
        ids = hidden_ids(user)
        if ids is None:
            continue
        term = Q(subject_type=subject_type, subject_id__in=ids)
        q = term if q is None else q | term
    return q
