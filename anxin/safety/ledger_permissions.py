"""Who may import Excel ledgers (台账) of sites and hazards (called from
``register_safety_actions``).

``ledger.import`` lets a person upload a ledger and confirm its preview. It is scoped: the
person imports into the units of their grant, and every row is checked again against
``site.manage`` / ``hazard.manage`` for its own unit or site, by the services that save it.
"""

from __future__ import annotations


def register_ledger_actions() -> None:
    from anxin.core.choices import Role
    from anxin.core.permissions import grant

    grant({Role.INSPECTOR, Role.UNIT_HEAD}, "ledger.import")
