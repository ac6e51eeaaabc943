"""The unread-notification badge in the top navigation: one cheap indexed count per page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"inbox_unread": 0}

    def count() -> int:
        from anxin.supervision.notifications import unread_count

        return unread_count(user)

    # Counted only when a template shows it (public pages never do).
    return {"inbox_unread": SimpleLazyObject(count)}
