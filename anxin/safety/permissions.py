"""Which role may do what in the safety app (registered in SafetyConfig.ready).

Each part of the app adds its actions here, in its own function called below.
"""

from __future__ import annotations


def register_safety_actions() -> None:
    from anxin.safety.accident_permissions import register_accident_actions

    register_site_actions()
    register_accident_actions()
    from anxin.safety.hazard_permissions import register_hazard_actions

    register_hazard_actions()
    from anxin.safety.ledger_permissions import register_ledger_actions

    register_ledger_actions()
    from anxin.safety.enforcement_permissions import register_enforcement_actions

    register_enforcement_actions()


def register_site_actions() -> None:
    """Sites (一企一档), sectors and checklists."""
    from anxin.core.choices import Role
    from anxin.core.permissions import grant, make_global

    readers = {
        Role.INSPECTOR,
        Role.UNIT_HEAD,
        Role.SUPERVISOR,
        Role.VIEWER,
        Role.HANDLER,
        Role.CLERK,
    }
    # Sites: every business role reads the sites of its scope (territorial unit or regulating
    # department); inspectors and unit heads keep the register.
    grant(readers, "site.view")
    grant({Role.INSPECTOR, Role.UNIT_HEAD}, "site.manage")
    # The enterprise contact reads the site(s) whose contact login they are, nothing more
    # (anxin/safety/scoping.py).
    grant({Role.ENTERPRISE}, "site.view_own")
    # Sectors are one city-wide taxonomy kept by the system administrator.
    grant({Role.SYSADMIN}, "sector.manage")
    make_global("sector.manage")
    # Checklists are city-wide too: read by every business role, published by inspectors and
    # unit heads.
    grant(readers, "checklist.view")
    grant({Role.INSPECTOR, Role.UNIT_HEAD}, "checklist.manage")
    make_global("checklist.view", "checklist.manage")
