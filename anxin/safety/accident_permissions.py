"""Who may see and record accidents (called from ``register_safety_actions``).

Accidents are scoped by their territorial unit (``Accident.scope_lookups = ("unit",)``): a
person sees and records the accidents of the units in the scope of their role assignments.
The enterprise contact sees none (the site's own accidents are the authorities' record).
"""

from __future__ import annotations


def register_accident_actions() -> None:
    from anxin.core.choices import Role
    from anxin.core.permissions import grant

    # Safety inspectors, unit heads, supervisors (督查) and read-only staff read the accidents
    # of their scope; inspectors and unit heads record reports and the investigation's steps.
    grant({Role.INSPECTOR, Role.UNIT_HEAD, Role.SUPERVISOR, Role.VIEWER}, "accident.view")
    grant({Role.INSPECTOR, Role.UNIT_HEAD}, "accident.manage")
