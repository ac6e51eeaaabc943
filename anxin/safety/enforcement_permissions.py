"""Who may read and issue enforcement orders (called at the end of ``register_safety_actions``).

Scope is the order's site: its territorial unit or its regulating department
(``EnforcementOrder.restrict_q``).
"""

from __future__ import annotations


def register_enforcement_actions() -> None:
    from django.utils.translation import gettext_lazy as _
    from django.utils.translation import pgettext_lazy

    from anxin.core import navigation
    from anxin.core.choices import Role
    from anxin.core.permissions import grant

    grant({Role.INSPECTOR, Role.UNIT_HEAD, Role.SUPERVISOR, Role.VIEWER}, "enforcement.view")
    grant({Role.INSPECTOR, Role.UNIT_HEAD}, "enforcement.issue")
    navigation.register(
        "enforcement", _("Enforcement"), "enforcement_list", "enforcement.view", order=24
    )

    from anxin.safety.presenters import EVENT_LABELS

    EVENT_LABELS.update(
        {
            "enforcement_issued": pgettext_lazy("site event", "Enforcement order issued"),
            "enforcement_executed": pgettext_lazy("site event", "Enforcement order carried out"),
            "enforcement_reinspected": pgettext_lazy("site event", "Re-inspection recorded"),
        }
    )
