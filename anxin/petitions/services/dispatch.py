"""Accept, decline, forward, object, settle, merge (item 4)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.models import Unit, User
from anxin.petitions import clocks, rules
from anxin.petitions.choices import Status
from anxin.petitions.models import (
    DeclineReason,
    Petition,
    PetitionUnit,
)
from anxin.petitions.services._common import (
    StateConflict,
    _event,
    _link,
    _move_holding,
    _save,
    _step,
    _unit_for_accusation,
    today,
)

# --- dispatch: accept, decline, forward, object, settle, merge (item 4) ---------------------

__all__ = [
    "petition_accept",
    "petition_decline",
    "petition_forward",
    "petition_merge",
    "petition_object",
    "petition_settle_objection",
]


@transaction.atomic
def petition_accept(
    *,
    actor: User | None,
    petition: Petition,
    lead_unit: Unit,
    co_units: list[Unit] | None = None,
    leader: User | None = None,
    version: int | None = None,
    on: date | None = None,
) -> Petition:
    petition = _step(actor, petition, "accept", version)
    co_units = [u for u in (co_units or []) if u.pk != lead_unit.pk]
    _unit_for_accusation(petition, lead_unit, "lead_unit")
    for unit in co_units:
        _unit_for_accusation(petition, unit, "co_units")
    if leader is not None and not leader.is_active:
        raise ValidationError({"leader": _("This account is disabled.")})
    on = on or today()
    petition.status = Status.HANDLING
    petition.lead_unit = lead_unit
    petition.leader = leader
    petition.flags = [f for f in petition.flags if f != "objection_pending"]
    _save(petition, "status", "lead_unit", "leader", "flags")
    _link(petition, lead_unit, PetitionUnit.Role.LEAD)
    for unit in co_units:
        _link(petition, unit, PetitionUnit.Role.CO)
    live = clocks.running(petition)
    clocks.stop(actor=actor, petition=petition, name="accept_by", on=on)
    if "object_by" in live:
        clocks.cancel(actor=actor, petition=petition, name="object_by")
    clocks.start(
        actor=actor,
        petition=petition,
        name="handle_by",
        unit=lead_unit,
        start_on=on,
        days=rules.handle_days(petition.kind),
        responsible=leader,
        # the 包案 leader is also the top of the escalation ladder for this case
        leader=leader,
    )
    _event(
        petition,
        "accepted",
        actor,
        unit=petition.current_unit,
        lead_unit=lead_unit.code,
        co_units=[u.code for u in co_units],
        leader=leader.username if leader else "",
    )
    return petition


@transaction.atomic
def petition_decline(
    *,
    actor: User | None,
    petition: Petition,
    reason: DeclineReason,
    channel_advice: str = "",
    version: int | None = None,
    on: date | None = None,
) -> Petition:
    petition = _step(actor, petition, "decline", version)
    advice = channel_advice.strip() or reason.channel_advice
    if not advice:
        raise ValidationError(
            {"channel_advice": _("Tell the petitioner which channel to use instead.")}
        )
    petition.status = Status.DECLINED
    petition.decline_reason = reason
    petition.channel_advice = advice[:200]
    _save(petition, "status", "decline_reason", "channel_advice")
    live = clocks.running(petition)
    clocks.stop(actor=actor, petition=petition, name="accept_by", on=on or today())
    if "object_by" in live:
        clocks.cancel(actor=actor, petition=petition, name="object_by")
    _event(
        petition,
        "declined",
        actor,
        unit=petition.current_unit,
        reason=reason.name,
        channel_advice=advice,
    )
    return petition


@transaction.atomic
def petition_forward(
    *,
    actor: User | None,
    petition: Petition,
    to_unit: Unit,
    version: int | None = None,
    on: date | None = None,
) -> Petition:
    """Art. 22: forward (转送) to the competent unit; fresh 15 days; 5 working days to object."""
    petition = _step(actor, petition, "forward", version)
    if to_unit.pk == petition.current_unit_id:
        raise ValidationError({"to_unit": _("The case is already with this unit.")})
    if not to_unit.is_active:
        raise ValidationError({"to_unit": _("This unit is no longer active.")})
    _unit_for_accusation(petition, to_unit, "to_unit")
    on = on or today()
    previous = petition.current_unit
    petition.forwarded_by_unit = previous
    petition.current_unit = to_unit
    petition.transfer_count += 1
    petition.flags = [f for f in petition.flags if f != "objection_pending"]
    _save(petition, "forwarded_by_unit", "current_unit", "transfer_count", "flags")
    _move_holding(petition, previous, to_unit)
    live = clocks.running(petition)
    clocks.cancel(actor=actor, petition=petition, name="accept_by")
    if "object_by" in live:
        clocks.cancel(actor=actor, petition=petition, name="object_by")
    clocks.start(actor=actor, petition=petition, name="accept_by", unit=to_unit, start_on=on)
    clocks.start(actor=actor, petition=petition, name="object_by", unit=to_unit, start_on=on)
    _event(
        petition,
        "forwarded",
        actor,
        unit=previous,
        to_unit=to_unit.code,
        to_unit_name=to_unit.name,
        from_unit=previous.code,
        transfers=petition.transfer_count,
    )
    return petition


@transaction.atomic
def petition_object(
    *,
    actor: User | None,
    petition: Petition,
    reason: str,
    version: int | None = None,
    on: date | None = None,
) -> Petition:
    """Art. 23: the receiving unit objects to a mis-routed case within 5 working days."""
    petition = _step(actor, petition, "object", version)
    live = clocks.running(petition)
    if "object_by" not in live or petition.forwarded_by_unit_id is None:
        raise StateConflict(_("Only a case forwarded to your unit can be objected to."))
    on = on or today()
    if on > live["object_by"].due_on:
        raise ValidationError(
            {
                "reason": _(
                    "The time to object ended on %(date)s (5 working days, Regulation on Petition "
                    "Work, Art. 23)."
                )
                % {"date": live["object_by"].due_on.isoformat()}
            }
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reasons for the objection.")})
    petition.flags = [*petition.flags, "objection_pending"]
    _save(petition, "flags")
    # The window closes with the objection. It is cancelled, not stopped: a stopped clock keeps
    # its name, and the case may be forwarded again (a fresh window) once the objection is settled.
    clocks.cancel(actor=actor, petition=petition, name="object_by")
    _event(petition, "objected", actor, unit=petition.current_unit, reason=reason.strip())
    return petition


@transaction.atomic
def petition_settle_objection(
    *,
    actor: User | None,
    petition: Petition,
    upheld: bool,
    to_unit: Unit | None = None,
    version: int | None = None,
    on: date | None = None,
) -> Petition:
    """The dispatcher settles: upheld → back to the dispatcher (fresh 15 days) or elsewhere."""
    petition = _step(actor, petition, "settle_objection", version)
    if "objection_pending" not in petition.flags:
        raise StateConflict(_("There is no objection to settle."))
    on = on or today()
    petition.flags = [f for f in petition.flags if f != "objection_pending"]
    if not upheld:
        _save(petition, "flags")
        _event(petition, "objection_settled", actor, unit=petition.forwarded_by_unit, upheld=False)
        return petition
    dispatcher = petition.forwarded_by_unit
    target = to_unit or dispatcher
    assert target is not None and dispatcher is not None
    _unit_for_accusation(petition, target, "to_unit")
    previous = petition.current_unit
    petition.current_unit = target
    petition.transfer_count += 1
    _save(petition, "flags", "current_unit", "transfer_count")
    _move_holding(petition, previous, target)
    clocks.cancel(actor=actor, petition=petition, name="accept_by")
    clocks.start(actor=actor, petition=petition, name="accept_by", unit=target, start_on=on)
    if to_unit is not None and to_unit.pk != dispatcher.pk:
        petition.forwarded_by_unit = dispatcher
        if "object_by" in clocks.running(petition):
            clocks.cancel(actor=actor, petition=petition, name="object_by")
        clocks.start(actor=actor, petition=petition, name="object_by", unit=target, start_on=on)
    _event(
        petition,
        "objection_settled",
        actor,
        unit=dispatcher,
        upheld=True,
        to_unit=target.code,
        to_unit_name=target.name,
        transfers=petition.transfer_count,
    )
    return petition


@transaction.atomic
def petition_merge(
    *, actor: User | None, petition: Petition, into: Petition, version: int | None = None
) -> Petition:
    """并单: a duplicate joins an existing case; its people count as supporters of that case."""
    petition = _step(actor, petition, "merge", version)
    if into.pk == petition.pk:
        raise ValidationError({"into": _("A case cannot be merged into itself.")})
    target = Petition.objects.select_for_update().get(pk=into.pk)
    if target.status == Status.MERGED:
        raise ValidationError(
            {"into": _("That case was itself merged; choose the case it was merged into.")}
        )
    added = 1 + petition.supporters
    petition.status = Status.MERGED
    petition.merged_into = target
    petition.closed_at = timezone.now()
    _save(petition, "status", "merged_into", "closed_at")
    target.supporters += added
    _save(target, "supporters")
    for name in clocks.running(petition):
        clocks.cancel(actor=actor, petition=petition, name=name)
    _event(petition, "merged", actor, unit=petition.current_unit, into=target.number)
    _event(
        target,
        "merged_in",
        actor,
        unit=petition.current_unit,
        case=petition.number,
        supporters=target.supporters,
    )
    return petition
