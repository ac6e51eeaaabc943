"""The one write path of petitions. Every step validates, writes in one transaction, adds the
case's timeline event and records the audit event (anxin.core.audit) in that transaction.

Steps are keyword-only functions ``petition_<verb>(*, actor, petition, version=None, ...)``;
``actor=None`` is the public (portal, Open311) or the system (daily tasks).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.attachments import attachment_add
from anxin.core.audit import audit_record
from anxin.core.crypto import sm3_hex
from anxin.core.errors import ServiceError, check_version
from anxin.core.identifiers import id_number_is_valid, normalize_id_number
from anxin.core.models import Unit, User
from anxin.core.scoping import unit_in_scope
from anxin.petitions import clocks, rules
from anxin.petitions.choices import Channel, Kind, Outcome, Rating, Stage, Status
from anxin.petitions.models import (
    Category,
    Complainant,
    Counter,
    Decision,
    DeclineReason,
    Delivery,
    Petition,
    PetitionEvent,
    PetitionUnit,
)
from anxin.petitions.transitions import SIGN_OFF_TARGET, TRANSITIONS

QUERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class StateConflict(ServiceError):
    status = 409
    code = "invalid_state"


def query_digest(code: str) -> str:
    return sm3_hex("anxin-petition-query:" + code.strip().upper().replace("-", ""))


def _new_query_code() -> str:
    raw = "".join(secrets.choice(QUERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _next_number(year: int) -> str:
    Counter.objects.get_or_create(name="XF", year=year)
    Counter.objects.filter(name="XF", year=year).update(value=F("value") + 1)
    value = Counter.objects.select_for_update().get(name="XF", year=year).value
    return f"XF{year}{value:07d}"


def today() -> date:
    return timezone.localdate()


# --- shared steps ---------------------------------------------------------------------------


def _event(
    petition: Petition,
    event_kind: str,
    actor: User | None,
    /,
    *,
    unit: Unit | None = None,
    public: bool = False,
    audit: dict[str, Any] | None = None,
    **data: Any,
) -> None:
    PetitionEvent.objects.create(
        petition=petition,
        kind=event_kind,
        actor=actor,
        actor_label=actor.display_name if actor else (_("Petitioner") if public else _("System")),
        unit=unit,
        data=data,
    )
    audit_record(
        actor=actor,
        action=f"petition.{event_kind}",
        obj=petition,
        after=audit if audit is not None else data,
        public=public,
    )


def _link(petition: Petition, unit: Unit, role: str) -> None:
    PetitionUnit.objects.get_or_create(petition=petition, unit=unit, role=role)


def _move_holding(petition: Petition, previous: Unit, to_unit: Unit) -> None:
    """The case changes hands: the old holder keeps read access as a former unit."""
    PetitionUnit.objects.filter(petition=petition, role=PetitionUnit.Role.HOLDING).delete()
    _link(petition, previous, PetitionUnit.Role.FORMER)
    _link(petition, to_unit, PetitionUnit.Role.HOLDING)


def _lock(petition: Petition, version: int | None) -> Petition:
    locked = Petition.objects.select_for_update().get(pk=petition.pk)
    check_version(locked, version)
    return locked


def _step(actor: User | None, petition: Petition, action: str, version: int | None) -> Petition:
    """Lock the case, check its version, its state and the actor's right to take the step."""
    allowed, _target, permission = TRANSITIONS[action]
    locked = _lock(petition, version)
    if locked.status not in allowed:
        raise StateConflict(
            _("The case is %(status)s; “%(action)s” is not possible in this state.")
            % {"status": locked.get_status_display(), "action": action_label(action)},
            extra={"status": locked.status},
        )
    if (
        actor is not None
        and not Petition.objects.restrict(actor, permission).filter(pk=locked.pk).exists()
    ):
        raise PermissionDenied
    return locked


def _save(petition: Petition, *fields: str) -> None:
    petition.version += 1
    petition.updated_at = timezone.now()
    petition.save(update_fields=[*fields, "version", "updated_at"])


def action_label(action: str) -> str:
    labels = {
        "accept": _("accept"),
        "decline": _("decline"),
        "forward": _("forward"),
        "object": _("object to the assignment"),
        "settle_objection": _("settle the objection"),
        "merge": _("merge"),
        "extend": _("extend the time limit"),
        "pause": _("pause the clock"),
        "resume": _("resume the clock"),
        "decide": _("draft the decision"),
        "decide_review": _("draft the review decision"),
        "decide_recheck": _("draft the re-review decision"),
        "sign_off": _("sign off"),
        "deliver": _("record delivery"),
        "rate": _("record the rating"),
        "request_review": _("request a review"),
        "request_recheck": _("request a re-review"),
        "close": _("close"),
    }
    return str(labels.get(action, action))


def _unit_for_accusation(petition: Petition, unit: Unit, field_name: str) -> None:
    """Art. 30: an accusation never goes to the accused unit or anywhere inside it."""
    if (
        petition.kind == Kind.ACCUSATION
        and petition.accused_unit is not None
        and unit.path.startswith(petition.accused_unit.path)
    ):
        raise ValidationError(
            {
                field_name: _(
                    "An accusation cannot be sent to the accused unit or a unit under it "
                    "(Regulation on Petition Work, Art. 30)."
                )
            }
        )


# --- registration (items 1, 2) --------------------------------------------------------------


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
    related: list[dict[str, Any]] = field(default_factory=list)


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
    )
    Complainant.objects.bulk_create(
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
    _link(petition, unit, PetitionUnit.Role.REGISTERING)
    _link(petition, unit, PetitionUnit.Role.HOLDING)
    for upload in files or []:
        attachment_add(actor=actor, owner=petition, upload=upload, public=public)
    clocks.start(actor=actor, petition=petition, name="accept_by", unit=unit, start_on=received_on)
    from anxin.petitions.matching import find_related, index_petition

    index_petition(petition)
    related = find_related(petition)
    flags: list[str] = []
    if any(r["reason"] == "no_reacceptance" for r in related):
        flags.append("no_reacceptance")
    if related:
        flags.append("possible_repeat")
        petition.repeat_of_id = related[0]["pk"]
    if flags or related:
        petition.flags = flags
        petition.save(update_fields=["flags", "repeat_of"])
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
        flags=flags,
    )
    return Registration(petition, query_code, related)


# --- dispatch: accept, decline, forward, object, settle, merge (item 4) ---------------------


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
    clocks.stop(actor=actor, petition=petition, name="object_by", on=on)
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


# --- handling (items 5, 6) ------------------------------------------------------------------


@transaction.atomic
def petition_extend(
    *, actor: User | None, petition: Petition, days: int, reason: str, version: int | None = None
) -> Petition:
    """Art. 34: the unit head approves an extension; at most 30 days in total."""
    petition = _step(actor, petition, "extend", version)
    if petition.kind != Kind.CLAIM:
        raise StateConflict(_("Only claims have a statutory handling period to extend."))
    if days < 1:
        raise ValidationError({"days": _("Extend by at least one day.")})
    if petition.extension_days + days > rules.MAX_EXTENSION_DAYS:
        raise ValidationError(
            {
                "days": _(
                    "Extensions may add at most %(max)d days in total (Regulation on Petition Work, "
                    "Art. 34); %(used)d are already used."
                )
                % {"max": rules.MAX_EXTENSION_DAYS, "used": petition.extension_days}
            }
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason; the petitioner is told it.")})
    petition.extension_days += days
    _save(petition, "extension_days")
    clocks.extend(actor=actor, petition=petition, name="handle_by", days=days)
    _event(
        petition,
        "extended",
        actor,
        unit=petition.lead_unit,
        days=days,
        reason=reason.strip(),
        total=petition.extension_days,
    )
    return petition


STAGE_CLOCK = {
    Status.HANDLING: "handle_by",
    Status.REVIEW: "review_by",
    Status.RECHECK: "recheck_by",
}


@transaction.atomic
def petition_pause(
    *,
    actor: User | None,
    petition: Petition,
    reason: str,
    version: int | None = None,
    on: date | None = None,
) -> Petition:
    """A hearing or technical appraisal: the days paused are not counted (Art. 36)."""
    petition = _step(actor, petition, "pause", version)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the clock stops (a hearing, an appraisal).")})
    name = STAGE_CLOCK[Status(petition.status)]
    if (
        clocks.running(petition).get(name) is None
        or clocks.running(petition)[name].state == "paused"
    ):
        raise StateConflict(_("The clock is already paused."))
    clocks.pause(actor=actor, petition=petition, name=name, on=on or today())
    _save(petition)
    _event(petition, "paused", actor, unit=petition.lead_unit, clock=name, reason=reason.strip())
    return petition


@transaction.atomic
def petition_resume(
    *, actor: User | None, petition: Petition, version: int | None = None, on: date | None = None
) -> Petition:
    petition = _step(actor, petition, "resume", version)
    name = STAGE_CLOCK[Status(petition.status)]
    clock = clocks.running(petition).get(name)
    if clock is None or clock.state != "paused":
        raise StateConflict(_("The clock is not paused."))
    clocks.resume(actor=actor, petition=petition, name=name, on=on or today())
    _save(petition)
    _event(petition, "resumed", actor, unit=petition.lead_unit, clock=name)
    return petition


def _draft(
    actor: User | None,
    petition: Petition,
    action: str,
    stage: str,
    unit_field: str,
    outcome: str,
    facts: str,
    reasons: str,
    legal_basis: str,
    request: str,
    version: int | None,
) -> Decision:
    petition = _step(actor, petition, action, version)
    unit = getattr(petition, unit_field)
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("Choose the outcome: supported, explained or not supported.")
    for name, value in (("facts", facts), ("reasons", reasons), ("legal_basis", legal_basis)):
        if not value.strip():
            errors[name] = _("This part of the written answer is required (Art. 32).")
    if errors:
        raise ValidationError(errors)
    assert unit is not None
    existing = Decision.objects.filter(petition=petition, stage=stage).first()
    if existing is not None and existing.signed_off_at is not None:
        raise StateConflict(_("This answer is already signed off."))
    decision, _created = Decision.objects.update_or_create(
        petition=petition,
        stage=stage,
        defaults={
            "unit": unit,
            "outcome": outcome,
            "facts": facts.strip(),
            "reasons": reasons.strip(),
            "legal_basis": legal_basis.strip(),
            "request": request.strip(),
            "drafted_by": actor or petition.registered_by,
            "drafted_at": timezone.now(),
        },
    )
    _save(petition)
    _event(petition, f"{stage}_drafted", actor, unit=unit, outcome=outcome)
    return decision


@transaction.atomic
def petition_decide(
    *,
    actor: User,
    petition: Petition,
    outcome: str,
    facts: str,
    reasons: str,
    legal_basis: str,
    request: str = "",
    version: int | None = None,
) -> Decision:
    """Draft the 信访处理意见书 (Art. 31(6), 32); the unit head signs it off."""
    return _draft(
        actor,
        petition,
        "decide",
        Stage.DECISION,
        "lead_unit",
        outcome,
        facts,
        reasons,
        legal_basis,
        request or petition.title,
        version,
    )


@transaction.atomic
def petition_decide_review(
    *,
    actor: User,
    petition: Petition,
    outcome: str,
    facts: str,
    reasons: str,
    legal_basis: str,
    request: str = "",
    version: int | None = None,
) -> Decision:
    return _draft(
        actor,
        petition,
        "decide_review",
        Stage.REVIEW,
        "review_unit",
        outcome,
        facts,
        reasons,
        legal_basis,
        request,
        version,
    )


@transaction.atomic
def petition_decide_recheck(
    *,
    actor: User,
    petition: Petition,
    outcome: str,
    facts: str,
    reasons: str,
    legal_basis: str,
    request: str = "",
    version: int | None = None,
) -> Decision:
    return _draft(
        actor,
        petition,
        "decide_recheck",
        Stage.RECHECK,
        "recheck_unit",
        outcome,
        facts,
        reasons,
        legal_basis,
        request,
        version,
    )


STATUS_STAGE = {
    Status.HANDLING: Stage.DECISION,
    Status.REVIEW: Stage.REVIEW,
    Status.RECHECK: Stage.RECHECK,
}


@transaction.atomic
def petition_sign_off(
    *, actor: User | None, petition: Petition, version: int | None = None, on: date | None = None
) -> Petition:
    """签发: the unit head of the answering unit signs the written answer; the case is decided."""
    petition = _step(actor, petition, "sign_off", version)
    stage = STATUS_STAGE[Status(petition.status)]
    decision = Decision.objects.filter(petition=petition, stage=stage).first()
    if decision is None:
        raise StateConflict(_("There is no drafted answer to sign off yet."))
    if actor is not None and not unit_in_scope(actor, "petition.approve", decision.unit):
        raise PermissionDenied
    on = on or today()
    decision.signed_off_by = actor
    decision.signed_off_at = timezone.now()
    decision.save(update_fields=["signed_off_by", "signed_off_at"])
    clock_name = STAGE_CLOCK[Status(petition.status)]
    live = clocks.running(petition)
    if clock_name in live:
        if live[clock_name].state == "paused":
            clocks.resume(actor=actor, petition=petition, name=clock_name, on=on)
        clocks.stop(actor=actor, petition=petition, name=clock_name, on=on)
    petition.status = SIGN_OFF_TARGET[Status(petition.status)]
    petition.outcome = decision.outcome
    petition.rating = ""
    _save(petition, "status", "outcome", "rating")
    _event(petition, "signed_off", actor, unit=decision.unit, stage=stage, outcome=decision.outcome)
    return petition


@transaction.atomic
def petition_deliver(
    *,
    actor: User | None,
    petition: Petition,
    document: str,
    method: str,
    delivered_on: date,
    version: int | None = None,
) -> Petition:
    """送达: record how and when a notice or answer reached the petitioner."""
    from anxin.petitions.choices import DeliveryMethod, DocumentKind

    petition = _step(actor, petition, "deliver", version)
    errors = {}
    if document not in DocumentKind.values:
        errors["document"] = _("Unknown document.")
    if method not in DeliveryMethod.values:
        errors["method"] = _("Unknown delivery method.")
    if delivered_on > today():
        errors["delivered_on"] = _("The delivery date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    needs = {
        DocumentKind.DECISION: (Stage.DECISION, {Status.DECIDED}),
        DocumentKind.REVIEW: (Stage.REVIEW, {Status.REVIEWED}),
        DocumentKind.RECHECK: (Stage.RECHECK, {Status.RECHECKED}),
    }
    if document in needs:
        stage, states = needs[DocumentKind(document)]
        if petition.status not in states:
            raise StateConflict(_("This answer has not been signed off yet."))
    Delivery.objects.create(
        petition=petition,
        document=document,
        method=method,
        delivered_on=delivered_on,
        recorded_by=actor,
    )
    # The request windows run from *receiving* the written answer (Art. 35, 36).
    if petition.kind == Kind.CLAIM and document == DocumentKind.DECISION:
        if "review_request_by" in clocks.running(petition):  # delivered again: restart it
            clocks.cancel(actor=actor, petition=petition, name="review_request_by")
        clocks.start(
            actor=actor,
            petition=petition,
            name="review_request_by",
            unit=petition.lead_unit,
            start_on=delivered_on,
        )
    if petition.kind == Kind.CLAIM and document == DocumentKind.REVIEW:
        clocks.start(
            actor=actor,
            petition=petition,
            name="recheck_request_by",
            unit=petition.review_unit,
            start_on=delivered_on,
        )
    _save(petition)
    _event(
        petition,
        "delivered",
        actor,
        document=document,
        method=method,
        delivered_on=delivered_on.isoformat(),
    )
    return petition


# --- the petitioner's voice: rating, review, re-review (item 7) -----------------------------


def _delivered(petition: Petition, document: str) -> Delivery | None:
    return (
        Delivery.objects.filter(petition=petition, document=document)
        .order_by("-delivered_on")
        .first()
    )


@transaction.atomic
def petition_rate(
    *, actor: User | None, petition: Petition, rating: str, version: int | None = None
) -> Petition:
    petition = _step(actor, petition, "rate", version)
    if rating not in Rating.values:
        raise ValidationError(
            {"rating": _("Choose satisfied, basically satisfied or dissatisfied.")}
        )
    petition.rating = rating
    petition.rated_at = timezone.now()
    _save(petition, "rating", "rated_at")
    _event(petition, "rated", actor, public=actor is None, rating=rating)
    return petition


@transaction.atomic
def petition_request_review(
    *,
    actor: User | None,
    petition: Petition,
    reason: str,
    version: int | None = None,
    on: date | None = None,
) -> Petition:
    """Art. 35: within 30 days of receiving the written answer, to the next-higher organ."""
    petition = _step(actor, petition, "request_review", version)
    on = on or today()
    _check_request(petition, on, "review_request_by", reason)
    lead = petition.lead_unit
    assert lead is not None
    if lead.parent is None:
        raise StateConflict(_("The handling unit has no higher organ to review its answer."))
    petition.review_unit = lead.parent
    petition.status = Status.REVIEW
    _save(petition, "review_unit", "status")
    _link(petition, lead.parent, PetitionUnit.Role.REVIEW)
    clocks.stop(actor=actor, petition=petition, name="review_request_by", on=on)
    clocks.start(actor=actor, petition=petition, name="review_by", unit=lead.parent, start_on=on)
    _event(
        petition,
        "review_requested",
        actor,
        public=actor is None,
        unit=lead.parent,
        reason=reason.strip(),
    )
    return petition


@transaction.atomic
def petition_request_recheck(
    *,
    actor: User | None,
    petition: Petition,
    reason: str,
    version: int | None = None,
    on: date | None = None,
) -> Petition:
    """Art. 36: within 30 days of receiving the 复查 answer, to the organ above the 复查 unit."""
    petition = _step(actor, petition, "request_recheck", version)
    on = on or today()
    _check_request(petition, on, "recheck_request_by", reason)
    review = petition.review_unit
    assert review is not None
    if review.parent is None:
        raise StateConflict(_("The review unit has no higher organ to re-review its answer."))
    petition.recheck_unit = review.parent
    petition.status = Status.RECHECK
    _save(petition, "recheck_unit", "status")
    _link(petition, review.parent, PetitionUnit.Role.RECHECK)
    clocks.stop(actor=actor, petition=petition, name="recheck_request_by", on=on)
    clocks.start(actor=actor, petition=petition, name="recheck_by", unit=review.parent, start_on=on)
    _event(
        petition,
        "recheck_requested",
        actor,
        public=actor is None,
        unit=review.parent,
        reason=reason.strip(),
    )
    return petition


def _check_request(petition: Petition, on: date, clock_name: str, reason: str) -> None:
    if petition.kind != Kind.CLAIM:
        raise StateConflict(_("Only claims can be reviewed and re-reviewed (Art. 35, 36)."))
    clock = clocks.running(petition).get(clock_name)
    if clock is None:
        raise StateConflict(_("The written answer has not been delivered yet."))
    if on > clock.due_on:
        raise ValidationError(
            {
                "reason": _(
                    "The request period ended on %(date)s (30 days from receiving the answer)."
                )
                % {"date": clock.due_on.isoformat()}
            }
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reasons for the request.")})


# --- closing (item 8) -----------------------------------------------------------------------


@transaction.atomic
def petition_close(
    *, actor: User | None, petition: Petition, reason: str, version: int | None = None
) -> Petition:
    petition = _step(actor, petition, "close", version)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for closing.")})
    petition.status = Status.CLOSED
    petition.closed_at = timezone.now()
    petition.close_reason = reason.strip()[:200]
    _save(petition, "status", "closed_at", "close_reason")
    for name in clocks.running(petition):
        clocks.stop(actor=actor, petition=petition, name=name, on=today())
    _event(petition, "closed", actor, reason=petition.close_reason)
    return petition


def petitions_close_due(*, on: date | None = None, batch: int = 500) -> int:
    """The daily task: close declined cases, satisfied ones, and those whose window lapsed."""
    from anxin.petitions.selectors import petitions_due_for_closing

    reasons = {
        "declined": _("Not accepted; the petitioner was told the channel to use."),
        "satisfied": _("The petitioner is satisfied or basically satisfied."),
        "rechecked": _("The re-review answer was delivered; the procedure has ended (Art. 36)."),
        "answered": _("Answered in writing."),
        "window_lapsed": _("No review was requested within 30 days of receiving the answer."),
    }
    on = on or today()
    closed = 0
    for pk, code in petitions_due_for_closing(on=on)[:batch]:
        petition = Petition.objects.get(pk=pk)
        try:
            petition_close(actor=None, petition=petition, reason=str(reasons[code]))
        except (StateConflict, ValidationError):
            continue
        closed += 1
    return closed


def petition_reveal(*, actor: User, petition: Petition, reason: str) -> list[Complainant]:
    """Show a petitioner's full personal data to handling staff, for a stated reason (audited)."""
    if not Petition.objects.restrict(actor, "petition.reveal").filter(pk=petition.pk).exists():
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("State why you need the full personal data.")})
    people = list(petition.complainants.all())
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="petition.reveal",
            obj=petition,
            after={"reason": reason.strip(), "people": len(people)},
        )
    return people


# --- resolution plan, owners and backlog (items 5, 13) --------------------------------------


def _require_handle(actor: User | None, petition: Petition) -> Petition:
    locked = _lock(petition, None)
    if (
        actor is not None
        and not Petition.objects.restrict(actor, "petition.handle").filter(pk=locked.pk).exists()
    ):
        raise PermissionDenied
    if locked.status in (Status.CLOSED, Status.MERGED):
        raise StateConflict(
            _("The case is %(status)s; its plan can no longer change.")
            % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def petition_owner_set(
    *,
    actor: User | None,
    petition: Petition,
    level: str,
    name: str,
    user: User | None = None,
    unit: Unit | None = None,
) -> Any:
    """Who owns solving the matter at a level (化解方案). Ownership of the matter only."""
    from anxin.petitions.choices import LeaderLevel
    from anxin.petitions.models import ResolutionOwner

    petition = _require_handle(actor, petition)
    if level not in LeaderLevel.values:
        raise ValidationError({"level": _("Unknown level.")})
    if not (name.strip() or user):
        raise ValidationError({"name": _("Name the person who owns the matter at this level.")})
    owner, _created = ResolutionOwner.objects.update_or_create(
        petition=petition,
        level=level,
        defaults={
            "user": user,
            "name": (name.strip() or (user.display_name if user else ""))[:50],
            "unit": unit,
        },
    )
    _save(petition)
    _event(petition, "owner_set", actor, unit=unit, level=level, name=owner.name)
    return owner


@transaction.atomic
def petition_plan_step_add(
    *, actor: User | None, petition: Petition, text: str, due_on: date | None = None
) -> Any:
    from anxin.petitions.models import PlanStep

    petition = _require_handle(actor, petition)
    if not text.strip():
        raise ValidationError({"text": _("Describe the step.")})
    step = PlanStep.objects.create(petition=petition, text=text.strip()[:300], due_on=due_on)
    _save(petition)
    _event(
        petition,
        "plan_step_added",
        actor,
        text=step.text,
        due_on=due_on.isoformat() if due_on else "",
    )
    return step


@transaction.atomic
def petition_plan_step_done(
    *, actor: User | None, petition: Petition, step_id: int, on: date | None = None
) -> Any:
    from anxin.petitions.models import PlanStep

    petition = _require_handle(actor, petition)
    step = PlanStep.objects.filter(petition=petition, pk=step_id).first()
    if step is None:
        raise ValidationError({"step": _("No such step in this case's plan.")})
    step.done_on = on or today()
    step.save(update_fields=["done_on"])
    _save(petition)
    _event(petition, "plan_step_done", actor, text=step.text, done_on=step.done_on.isoformat())
    return step


@transaction.atomic
def petition_backlog_set(
    *, actor: User | None, petition: Petition, target_on: date, on: date | None = None
) -> Petition:
    """List a case as backlog (积案) to be cleared by a target date, against a plan."""
    petition = _require_handle(actor, petition)
    on = on or today()
    if target_on < on:
        raise ValidationError({"target_on": _("The target date cannot be in the past.")})
    first = not petition.is_backlog
    petition.is_backlog = True
    petition.backlog_since = petition.backlog_since or on
    petition.backlog_target_on = target_on
    _save(petition, "is_backlog", "backlog_since", "backlog_target_on")
    _event(
        petition,
        "backlog_listed" if first else "backlog_target_changed",
        actor,
        target_on=target_on.isoformat(),
    )
    return petition


def ledger_export_record(*, actor: User, filters: dict[str, Any]) -> None:
    """Who exported which part of the ledger is audited."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="petition.export",
            object_type="petitions.petition",
            after={"filters": {k: v for k, v in filters.items() if v}},
        )


@transaction.atomic
def petition_attach(
    *, actor: User, petition: Petition, files: list[Any], purpose: str = "material"
) -> list[Any]:
    """Add materials to a case: evidence, mediation or settlement agreements (Art. 33)."""
    locked = _lock(petition, None)
    if not Petition.objects.restrict(actor, "petition.deliver").filter(pk=locked.pk).exists():
        raise PermissionDenied
    if not files:
        raise ValidationError({"files": _("Choose at least one file.")})
    added = [attachment_add(actor=actor, owner=locked, upload=f, purpose=purpose) for f in files]
    _save(locked)
    _event(locked, "attached", actor, purpose=purpose, files=[a.name for a in added])
    return added
