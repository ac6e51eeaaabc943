"""Who sees and does what with a site.

- Staff: a site is in scope through its territorial unit (属地) **or** its regulating
  department (行业主管部门) — 管行业必须管安全 and 属地管理 both count (安全生产法 Art. 3).
- The enterprise contact (role ``enterprise``) sees only the sites whose ``contact_user`` is
  their own login, and may do nothing else with them here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from anxin.core import permissions
from anxin.core.scoping import grants_of, scope_q

#: the enterprise contact's own-site grant (registered in anxin/safety/permissions.py)
OWN_SITE_ACTION = "site.view_own"


def site_restrict_q(user: Any, action: str) -> Q | None:
    grants = grants_of(user)
    if not grants:
        return None
    q = scope_q(user, action, ("unit", "regulating_unit"))
    if action == "site.view" and any(
        permissions.role_grants(g.role, OWN_SITE_ACTION) for g in grants
    ):
        own = Q(contact_user_id=user.pk)
        q = own if q is None else (q | own)
    return q
