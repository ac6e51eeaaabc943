"""Placeholder of the notifications entry point, for the ``notices`` branch only.

The real module (inbox, outbox, e-mail and SMS backends, preferences) comes from the
``supervise`` branch; the lead replaces this file with it at merge. Only the signature is
shared: the 督办 notice services call :func:`notify` with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

logger = logging.getLogger(__name__)


def notify(
    *,
    user_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str,
) -> int:
    """Queue a message for each person; returns how many were queued (none here)."""
    logger.info("notify %s to %s: %s (%s)", kind, sorted(set(user_ids)), title, dedupe_key)
    return 0
