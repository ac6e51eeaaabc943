"""Which role may do what in the safety app (registered in SafetyConfig.ready).

Each part of the app adds its actions here, in its own function called below.
"""

from __future__ import annotations


def register_safety_actions() -> None:
    from anxin.core.choices import Role
    from anxin.core.permissions import grant

    # Sites (一企一档): inspectors and unit heads manage the register; every business role reads.
    grant({Role.INSPECTOR, Role.UNIT_HEAD, Role.SUPERVISOR, Role.VIEWER, Role.HANDLER,
           Role.CLERK}, "site.view")
    grant({Role.INSPECTOR, Role.UNIT_HEAD}, "site.manage")
    grant({Role.SYSADMIN}, "sector.manage")
