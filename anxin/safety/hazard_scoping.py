"""Who sees and does what with inspections and hazards.

- Staff: through the site — its territorial unit (属地) or its regulating department (行业主管部门),
  as for the site itself. A reported hazard that has no site yet is seen through the unit of
  its place.
- The enterprise contact (role ``enterprise``): the hazards of the sites whose contact login they
  are — not the triage queue (``reported``) nor voided reports — and may only submit the
  rectification (``hazard.submit``); the inspections of their sites once they are signed or
  refused, never the drafts. The enterprise-only actions never use the role's scope unit.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from anxin.core import permissions
from anxin.core.scoping import grants_of, scope_q

SITE_LOOKUPS = ("site__unit", "site__regulating_unit")

#: actions granted to the enterprise contact: they reach their own sites only
HAZARD_OWN_ACTIONS = {"hazard.view": "hazard.view_own", "hazard.submit": "hazard.submit"}
INSPECTION_OWN_ACTIONS = {"inspection.view": "inspection.view_own"}


def _holds(user: Any, action: str) -> bool:
    return any(permissions.role_grants(g.role, action) for g in grants_of(user))


def _or(a: Q | None, b: Q | None) -> Q | None:
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def hazard_restrict_q(user: Any, action: str) -> Q | None:
    if not grants_of(user):
        return None
    q: Q | None = None
    if action != "hazard.submit":  # never through a scope unit: the contact's own login only
        q = scope_q(user, action, SITE_LOOKUPS)
        by_place = scope_q(user, action, ("unit",))
        if by_place is not None:
            q = _or(q, Q(site__isnull=True) & by_place)
    own_action = HAZARD_OWN_ACTIONS.get(action)
    if own_action and _holds(user, own_action):
        own = Q(site__contact_user_id=user.pk) & ~Q(status__in=["reported", "void"])
        q = _or(q, own)
    return q


def inspection_restrict_q(user: Any, action: str) -> Q | None:
    if not grants_of(user):
        return None
    q = scope_q(user, action, SITE_LOOKUPS)
    own_action = INSPECTION_OWN_ACTIONS.get(action)
    if own_action and _holds(user, own_action):
        q = _or(q, Q(site__contact_user_id=user.pk) & ~Q(status="draft"))
    return q


def site_in_scope(user: Any, action: str, site: Any) -> bool:
    """Whether the site lies in the user's scope for ``action`` (no query)."""
    from anxin.core.scoping import unit_in_scope

    return unit_in_scope(user, action, site.unit) or unit_in_scope(
        user, action, site.regulating_unit
    )
