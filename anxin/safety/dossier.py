"""The dossier page of a site (一企一档): what each part of the app contributes.

``dossier_context`` gathers the sections. Each later part of the app (inspections, hazards,
enforcement, accidents) fills its own section here: set ``show_<section>`` to True and put
``DossierRow``s in ``<section>`` — read through that part's selectors, so its own scoping rules
apply. A section whose feature does not exist yet is not rendered at all; one that exists but
has no rows shows "None yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from anxin.safety import selectors
from anxin.safety.models import Site
from anxin.safety.presenters import event_label, may_see_contact

#: the sections of the dossier below the profile and permits, in page order
SECTIONS = ("inspections", "hazards", "enforcement", "accidents")


@dataclass
class DossierRow:
    """One line of a dossier section: a date, a title, a status label and a link."""

    on: date | None
    title: str
    status: str = ""
    url: str = ""
    note: str = ""
    #: Bootstrap colour of the status badge ("danger", "warning", …)
    tone: str = "secondary"


def dossier_context(*, user: Any, site: Site, today: date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    permits = selectors.site_permits(site)
    context: dict[str, Any] = {
        "site": site,
        "today": today,
        "permits": permits,
        "permits_expiring": selectors.permits_expiring(permits, today=today),
        "may_manage": selectors.site_may(user, site, "manage"),
        "show_contact": may_see_contact(user, site) or site.contact_user_id == user.pk,
        "timeline": [(e, event_label(e.kind)) for e in selectors.site_timeline(site)],
    }
    for section in SECTIONS:
        context[f"show_{section}"] = False
        context[section] = []
    from anxin.safety.selectors_hazards import dossier_sections

    context.update(dossier_sections(user=user, site=site))
    from anxin.safety.selectors_enforcement import dossier_section as enforcement_section

    context.update(enforcement_section(user=user, site=site))
    from anxin.safety.accidents import dossier_section as accidents_section

    context.update(accidents_section(user=user, site=site))
    return context
