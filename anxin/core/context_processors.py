from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from anxin.core.choices import Role
from anxin.core.navigation import items_for
from anxin.core.scoping import grants_of


def anxin(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles: list[str] = []
    items = items_for(user)
    if user is not None and user.is_authenticated:
        roles = sorted({str(Role(g.role).label) for g in grants_of(user)})
    return {
        "demo_mode": settings.ANXIN_DEMO,
        "my_roles": roles,
        "nav_items": items,
        "nav": {item.key: True for item in items},
    }
