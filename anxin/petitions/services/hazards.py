"""A petition about a safety problem becomes a hazard in one step (issue 4, item 11).

The handler writes a neutral description of the problem for the hazard: no petition text, no
petitioner, no case number goes into safety, and the hazard's source is "other", so the site's
enterprise contact cannot tell a petition exists. The link (:class:`PetitionHazardLink`) and
the timeline event stay on the petitions side, seen only by staff who see the case.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from anxin.core.audit import audit_record
from anxin.core.models import User
from anxin.petitions.models import Petition, PetitionEvent
from anxin.petitions.models_hazards import PetitionHazardLink
from anxin.safety import hazards as hazard_services
from anxin.safety.hazard_rules import HazardGrade, HazardSource, HazardStatus
from anxin.safety.models import Site
from anxin.safety.models_hazards import Hazard

__all__ = ["petition_to_hazard"]


@transaction.atomic
def petition_to_hazard(
    *,
    actor: User,
    petition: Petition,
    site: Site,
    description: str,
    grade: str = HazardGrade.GENERAL,
    deadline: dt.date | None = None,
) -> Hazard:
    """Register a hazard at ``site`` from ``petition`` and link the two.

    Only a handler who may handle the case (``petition.handle``: its lead unit's staff) and who
    may manage hazards of that site (``hazard.manage``, checked by the hazard service).
    """
    locked = Petition.objects.select_for_update().get(pk=petition.pk)
    if not Petition.objects.restrict(actor, "petition.handle").filter(pk=locked.pk).exists():
        raise PermissionDenied
    hazard = hazard_services.hazard_create(
        actor=actor,
        site=site,
        description=description,
        grade=grade,
        deadline=deadline,
        status=HazardStatus.REGISTERED,
        source=HazardSource.OTHER,
    )
    PetitionHazardLink.objects.create(petition=locked, hazard=hazard, created_by=actor)
    data = {"hazard": hazard.number, "site": site.name}
    PetitionEvent.objects.create(
        petition=locked,
        kind="hazard_linked",
        actor=actor,
        actor_label=actor.display_name,
        data=data,
    )
    audit_record(actor=actor, action="petition.hazard_linked", obj=locked, after=data)
    return hazard
