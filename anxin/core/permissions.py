"""Which role may do which action: the table behind ``restrict(user, action)``.

Each app registers the actions its roles grant in ``AppConfig.ready`` (core imports no other
app). An action is ``<entity>.<verb>``. A *global* action ignores the scope unit of the role
assignment: whoever holds a granting role anywhere may do it everywhere (the organisation
directory, the audit trail).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from anxin.core.choices import STAFF_ROLES, Role

_ROLE_ACTIONS: dict[str, set[str]] = defaultdict(set)
_GLOBAL_ACTIONS: set[str] = set()


def grant(roles: Iterable[str], *actions: str) -> None:
    for role in roles:
        _ROLE_ACTIONS[str(role)].update(actions)


def make_global(*actions: str) -> None:
    _GLOBAL_ACTIONS.update(actions)


def role_grants(role: str, action: str) -> bool:
    return action in _ROLE_ACTIONS.get(role, ())


def roles_granting(action: str) -> set[str]:
    return {role for role, actions in _ROLE_ACTIONS.items() if action in actions}


def is_global(action: str) -> bool:
    return action in _GLOBAL_ACTIONS


def register_core_navigation() -> None:
    from django.utils.translation import gettext_lazy as _

    from anxin.core import navigation

    navigation.register("units", _("Organisation"), "unit_list", "unit.view", order=80)
    navigation.register("people", _("People"), "user_list", "user.view", order=81)
    navigation.register("audit", _("Audit trail"), "audit_list", "audit.view", order=82)
    navigation.register(
        "calendar", _("Working-day calendar"), "calendar", "calendar.manage", order=83
    )
    navigation.register("webhooks", _("Webhooks"), "webhook_list", "webhook.manage", order=84)


def register_core_actions() -> None:
    # The organisation directory is readable by all staff.
    grant(STAFF_ROLES, "unit.view")
    make_global("unit.view")
    grant({Role.SYSADMIN}, "unit.manage")
    make_global("unit.manage")
    # People: administrators see everyone; unit heads see the people of their scope.
    grant({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR}, "user.view")
    grant({Role.UNIT_HEAD}, "user.view")
    grant({Role.SYSADMIN}, "user.manage")
    grant({Role.SECADMIN}, "role.assign")
    # The audit trail belongs to the security auditor alone.
    grant({Role.AUDITOR}, "audit.view")
    make_global("audit.view")
