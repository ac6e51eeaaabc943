"""The petitioner's voice and closing: rating, review, re-review, close (items 7, 8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.core.audit import audit_record
from anxin.core.models import User
from anxin.petitions import clocks
from anxin.petitions.choices import Kind, Rating, Status
from anxin.petitions.models import (
    Complainant,
    Delivery,
    Petition,
    PetitionUnit,
)
from anxin.petitions.services._common import (
    StateConflict,
    _event,
    _link,
    _save,
    _step,
    today,
)

# --- the petitioner's voice: rating, review, re-review (item 7) -----------------------------

__all__ = [
    "petition_close",
    "petition_rate",
    "petition_request_recheck",
    "petition_request_review",
    "petition_reveal",
    "petitions_close_due",
]


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


@dataclass(frozen=True)
class _Appeal:
    """One step up the ladder: 复查 (Art. 35) or 复核 (Art. 36)."""

    action: str
    window: str  # the clock within which the petitioner may ask
    decide: str  # the clock of the higher organ's answer
    from_field: str  # the unit whose answer is contested
    to_field: str  # where the next-higher organ is recorded
    status: str
    role: str
    event: str
    no_higher: Any  # a lazy translation


REVIEW = _Appeal(
    "request_review",
    "review_request_by",
    "review_by",
    "lead_unit",
    "review_unit",
    Status.REVIEW,
    PetitionUnit.Role.REVIEW,
    "review_requested",
    gettext_lazy("The handling unit has no higher organ to review its answer."),
)
RECHECK = _Appeal(
    "request_recheck",
    "recheck_request_by",
    "recheck_by",
    "review_unit",
    "recheck_unit",
    Status.RECHECK,
    PetitionUnit.Role.RECHECK,
    "recheck_requested",
    gettext_lazy("The review unit has no higher organ to re-review its answer."),
)


def _appeal(
    step: _Appeal,
    actor: User | None,
    petition: Petition,
    reason: str,
    version: int | None,
    on: date | None,
) -> Petition:
    petition = _step(actor, petition, step.action, version)
    on = on or today()
    _check_request(petition, on, step.window, reason)
    answered_by = getattr(petition, step.from_field)
    assert answered_by is not None
    higher = answered_by.parent
    if higher is None:
        raise StateConflict(step.no_higher)
    setattr(petition, step.to_field, higher)
    petition.status = step.status
    _save(petition, step.to_field, "status")
    _link(petition, higher, step.role)
    clocks.stop(actor=actor, petition=petition, name=step.window, on=on)
    clocks.start(actor=actor, petition=petition, name=step.decide, unit=higher, start_on=on)
    _event(petition, step.event, actor, public=actor is None, unit=higher, reason=reason.strip())
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
    return _appeal(REVIEW, actor, petition, reason, version, on)


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
    return _appeal(RECHECK, actor, petition, reason, version, on)


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
