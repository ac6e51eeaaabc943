from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from anxin.core.choices import Role
from anxin.core.scoping import can, grants_of


def anxin(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles: list[str] = []
    nav: dict[str, bool] = {}
    if user is not None and user.is_authenticated:
        roles = sorted({str(Role(g.role).label) for g in grants_of(user)})
        nav = {
            "units": can(user, "unit.view"),
            "people": can(user, "user.view"),
            "audit": can(user, "audit.view"),
            "calendar": can(user, "calendar.manage"),
            "petitions": can(user, "petition.view"),
            "reception": can(user, "reception.view"),
            "sites": can(user, "site.view") or can(user, "site.view_own"),
            "sectors": can(user, "sector.manage"),
        }
    return {"demo_mode": settings.ANXIN_DEMO, "my_roles": roles, "nav": nav}
