"""Handling: extensions, pauses, written answers, sign-off, delivery (items 5, 6)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.models import User
from anxin.core.scoping import unit_in_scope
from anxin.petitions import clocks, rules
from anxin.petitions.choices import Kind, Outcome, Stage, Status
from anxin.petitions.models import (
    Decision,
    Delivery,
    Petition,
)
from anxin.petitions.services._common import (
    StateConflict,
    _event,
    _save,
    _step,
    today,
)
from anxin.petitions.transitions import SIGN_OFF_TARGET

# --- handling (items 5, 6) ------------------------------------------------------------------

__all__ = [
    "STAGE_CLOCK",
    "STAGE_PERMISSION",
    "STATUS_STAGE",
    "petition_decide",
    "petition_decide_recheck",
    "petition_decide_review",
    "petition_deliver",
    "petition_extend",
    "petition_pause",
    "petition_resume",
    "petition_sign_off",
]


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


#: who keeps the clock of each stage: the lead unit, then the 复查 organ, then the 复核 organ
STAGE_PERMISSION = {
    Status.HANDLING: "petition.handle",
    Status.REVIEW: "petition.review",
    Status.RECHECK: "petition.recheck",
}


def _require_stage_keeper(actor: User | None, petition: Petition) -> None:
    """Only the unit answering at this stage pauses or resumes its clock: the unit whose answer
    is contested never stops the clock of its own review."""
    permission = STAGE_PERMISSION[Status(petition.status)]
    if (
        actor is not None
        and not Petition.objects.restrict(actor, permission).filter(pk=petition.pk).exists()
    ):
        raise PermissionDenied


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
    _require_stage_keeper(actor, petition)
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
    _require_stage_keeper(actor, petition)
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


def _signed_on(petition: Petition, stage: str) -> date | None:
    """The day the answer of ``stage`` was signed off: the day its stage clock stopped (the
    ``on`` of the sign-off), else the date of the sign-off itself."""
    name = {Stage.DECISION: "handle_by", Stage.REVIEW: "review_by", Stage.RECHECK: "recheck_by"}
    clock = clocks.all_clocks(petition).get(name[Stage(stage)])
    if clock is not None and clock.stopped_on is not None:
        return clock.stopped_on
    signed = (
        Decision.objects.filter(petition=petition, stage=stage)
        .values_list("signed_off_at", flat=True)
        .first()
    )
    return timezone.localdate(signed) if signed is not None else None


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
        # The request windows run from receiving the answer (Art. 35, 36): nobody receives it
        # before it was signed off.
        signed_on = _signed_on(petition, stage)
        if signed_on is not None and delivered_on < signed_on:
            raise ValidationError(
                {
                    "delivered_on": _(
                        "The answer was signed off on %(date)s; it cannot have been delivered "
                        "before."
                    )
                    % {"date": signed_on.isoformat()}
                }
            )
    if delivered_on < petition.received_on:
        raise ValidationError(
            {
                "delivered_on": _(
                    "The petition was received on %(date)s; nothing about it can have been "
                    "delivered before."
                )
                % {"date": petition.received_on.isoformat()}
            }
        )
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
        if "recheck_request_by" in clocks.running(petition):  # delivered again: restart it
            clocks.cancel(actor=actor, petition=petition, name="recheck_request_by")
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
