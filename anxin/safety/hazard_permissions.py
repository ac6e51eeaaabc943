"""Who may do what with inspections, plans and hazards (called from ``register_safety_actions``).

Scoping is in :mod:`anxin.safety.hazard_scoping`: staff through the site's territorial unit or
regulating department; the enterprise contact through their own login only.
"""

from __future__ import annotations


def register_hazard_actions() -> None:
    from django.utils.translation import gettext_lazy as _

    from anxin.core import navigation
    from anxin.core.choices import Role
    from anxin.core.permissions import grant

    readers = {
        Role.INSPECTOR,
        Role.UNIT_HEAD,
        Role.SUPERVISOR,
        Role.VIEWER,
        Role.HANDLER,
        Role.CLERK,
    }
    keepers = {Role.INSPECTOR, Role.UNIT_HEAD}

    # Inspections: read by every business role of the site's scope; made and signed by
    # inspectors and unit heads. The enterprise contact reads the signed records of their site.
    grant(readers, "inspection.view")
    grant(keepers, "inspection.conduct")
    grant({Role.ENTERPRISE}, "inspection.view_own")
    # Plans and campaigns (专项行动)
    grant(readers, "inspection_plan.view")
    grant(keepers, "inspection_plan.manage")

    # Hazards: registered, rectified under 五落实, closed or voided by the keepers; verified
    # (验收) and the resumption approved by them too; 挂牌督办 by unit heads and 督查员.
    grant(readers, "hazard.view")
    grant(keepers, "hazard.manage", "hazard.verify")
    grant({Role.UNIT_HEAD, Role.SUPERVISOR}, "hazard.supervise")
    # A named public reporter's contact details: masked by default; revealing them (to call
    # back about the report) is an explicit, audited step of those who triage reports.
    grant(keepers, "hazard.reveal_reporter")
    # The enterprise contact: their own site's hazards, and only they submit the rectification.
    grant({Role.ENTERPRISE}, "hazard.view_own", "hazard.submit")

    navigation.register(
        "hazards", _("Hazards"), "hazard_list", "hazard.view", "hazard.view_own", order=22
    )
    navigation.register(
        "inspections",
        _("Inspections"),
        "inspection_list",
        "inspection.view",
        "inspection.view_own",
        order=23,
    )

    from anxin.safety.presenters import EVENT_LABELS
    from anxin.safety.presenters_hazards import SITE_EVENT_LABELS

    EVENT_LABELS.update(SITE_EVENT_LABELS)  # type: ignore[arg-type]
