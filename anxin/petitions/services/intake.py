"""Registration from every channel (items 1, 2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from anxin.core.attachments import attachments_add
from anxin.core.audit import audit_seal_deferred
from anxin.core.identifiers import id_number_is_valid, normalize_id_number
from anxin.core.models import Unit, User
from anxin.core.scoping import unit_in_scope
from anxin.petitions import clocks, rules
from anxin.petitions.choices import Channel, Kind
from anxin.petitions.models import (
    Category,
    Complainant,
    Petition,
    PetitionUnit,
)
from anxin.petitions.services._common import (
    _event,
    _new_query_code,
    _next_number,
    query_digest,
    today,
)
from anxin.petitions.services.followup import petition_followup_enqueue

# --- registration (items 1, 2) --------------------------------------------------------------

__all__ = [
    "ComplainantIn",
    "Registration",
    "petition_register",
]


@dataclass
class ComplainantIn:
    name: str = ""
    id_number: str = ""
    phone: str = ""
    address: str = ""


@dataclass
class Registration:
    petition: Petition
    query_code: str
    #: related cases are found after the commit (deferred intake): empty when acknowledging
    related: list[dict[str, Any]] = field(default_factory=list)
    #: what the acknowledgement shows, as written (no second read): petitioners, deadlines
    complainants: list[Complainant] = field(default_factory=list)
    deadlines: dict[str, str] = field(default_factory=dict)


def _validate_people(
    *,
    anonymous: bool,
    complainants: list[ComplainantIn],
    representatives: list[ComplainantIn],
    channel: str,
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if anonymous and (complainants or representatives):
        errors["complainants"] = _(
            "An anonymous petition keeps no identity: leave the petitioner's details empty."
        )
    if not anonymous and not complainants and not representatives:
        errors["complainants"] = _("Give at least one petitioner, or mark it anonymous.")
    for index, person in enumerate([*complainants, *representatives]):
        if not person.name.strip():
            errors[f"complainants.{index}.name"] = _("The name is required.")
        if person.id_number and not id_number_is_valid(person.id_number):
            errors[f"complainants.{index}.id_number"] = _(
                "This citizen ID number is not valid (GB 11643 check)."
            )
    if representatives and channel != Channel.VISIT:
        errors["representatives"] = _("Representatives are chosen only by group visits.")
    if len(representatives) > rules.MAX_REPRESENTATIVES:
        errors["representatives"] = _(
            "A group visit elects at most %(n)d representatives (Regulation on Petition Work, "
            "Art. 20); %(given)d were given."
        ) % {"n": rules.MAX_REPRESENTATIVES, "given": len(representatives)}
    return errors


@audit_seal_deferred()  # sealed by the follow-up task (or the minute job), not in the request
@transaction.atomic
def petition_register(
    *,
    actor: User | None,
    channel: str,
    kind: str,
    category: Category,
    title: str,
    content: str,
    unit: Unit,
    received_on: date | None = None,
    place_unit: Unit | None = None,
    complainants: list[ComplainantIn] | None = None,
    representatives: list[ComplainantIn] | None = None,
    anonymous: bool = False,
    confidential: bool = False,
    accused_unit: Unit | None = None,
    accused_person: str = "",
    accused_user: User | None = None,
    files: list[Any] | None = None,
) -> Registration:
    """Register a petition from any channel; returns it with the petitioner's query code."""
    complainants = complainants or []
    representatives = representatives or []
    public = actor is None
    if actor is not None and not unit_in_scope(actor, "petition.register", unit):
        raise PermissionDenied
    received_on = received_on or today()
    errors: dict[str, Any] = {}
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if kind not in Kind.values:
        errors["kind"] = _("Unknown kind of petition.")
    if received_on > today():
        errors["received_on"] = _("The date received cannot be in the future.")
    if not title.strip():
        errors["title"] = _("The title is required.")
    if not content.strip():
        errors["content"] = _("Describe the matter.")
    if not category.is_active:
        errors["category"] = _("This category is no longer in use.")
    if kind == Kind.ACCUSATION and accused_unit is None and not accused_person.strip():
        errors["accused_unit"] = _("Name the accused unit or person.")
    if kind != Kind.ACCUSATION and (accused_unit is not None or accused_person.strip()):
        errors["accused_unit"] = _("Only accusations name an accused unit or person.")
    errors.update(
        _validate_people(
            anonymous=anonymous,
            complainants=complainants,
            representatives=representatives,
            channel=channel,
        )
    )
    if errors:
        raise ValidationError(errors)
    if (
        kind == Kind.ACCUSATION
        and accused_unit is not None
        and unit.path.startswith(accused_unit.path)
    ):
        raise ValidationError(
            {
                "unit": _(
                    "An accusation cannot be registered with the accused unit or a unit under it "
                    "(Regulation on Petition Work, Art. 30)."
                )
            }
        )

    query_code = _new_query_code()
    petition = Petition.objects.create(
        number=_next_number(received_on.year),
        query_digest=query_digest(query_code),
        channel=channel,
        kind=kind,
        category=category,
        title=title.strip()[:200],
        content=content.strip(),
        received_on=received_on,
        registered_by=actor,
        registering_unit=unit,
        current_unit=unit,
        place_unit=place_unit,
        anonymous=anonymous,
        confidential=confidential,
        accused_unit=accused_unit,
        accused_person=accused_person.strip(),
        accused_user=accused_user if kind == Kind.ACCUSATION else None,
        followup_pending=True,
    )
    people = Complainant.objects.bulk_create(
        [
            Complainant(
                petition=petition,
                name=p.name.strip(),
                id_number=normalize_id_number(p.id_number) if p.id_number else "",
                phone=p.phone.strip(),
                address=p.address.strip(),
            )
            for p in complainants
        ]
        + [
            Complainant(
                petition=petition,
                name=p.name.strip(),
                phone=p.phone.strip(),
                is_representative=True,
            )
            for p in representatives
        ]
    )
    PetitionUnit.objects.bulk_create(  # a new case: no link exists yet
        [
            PetitionUnit(petition=petition, unit=unit, role=PetitionUnit.Role.REGISTERING),
            PetitionUnit(petition=petition, unit=unit, role=PetitionUnit.Role.HOLDING),
        ]
    )
    attachments_add(actor=actor, owner=petition, uploads=files or [], public=public)
    clock = clocks.start(
        actor=actor, petition=petition, name="accept_by", unit=unit, start_on=received_on
    )
    # deferred intake: search tokens and repeat matching run after the commit (followup.py)
    petition_followup_enqueue(petition.pk)
    _event(
        petition,
        "registered",
        actor,
        unit=unit,
        public=public,
        channel=channel,
        kind=kind,
        received_on=received_on.isoformat(),
        number=petition.number,
    )
    return Registration(
        petition,
        query_code,
        complainants=people,
        deadlines={clock.name: clock.due_on.isoformat()},
    )
