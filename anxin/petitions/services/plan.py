"""Resolution plan, owners, backlog and ledger exports (items 5, 13)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from anxin.core.attachments import attachments_add
from anxin.core.audit import audit_record
from anxin.core.models import Unit, User
from anxin.petitions.choices import Status
from anxin.petitions.models import (
    Petition,
)
from anxin.petitions.services._common import (
    StateConflict,
    _event,
    _lock,
    _save,
    today,
)

# --- resolution plan, owners and backlog (items 5, 13) --------------------------------------

__all__ = [
    "ledger_export_record",
    "petition_attach",
    "petition_backlog_set",
    "petition_owner_set",
    "petition_plan_step_add",
    "petition_plan_step_done",
]


def _require_handle(actor: User | None, petition: Petition, version: int | None) -> Petition:
    locked = _lock(petition, version)
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
    version: int | None = None,
) -> Any:
    """Who owns solving the matter at a level (化解方案). Ownership of the matter only."""
    from anxin.petitions.choices import LeaderLevel
    from anxin.petitions.models import ResolutionOwner

    petition = _require_handle(actor, petition, version)
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
    *,
    actor: User | None,
    petition: Petition,
    text: str,
    due_on: date | None = None,
    version: int | None = None,
) -> Any:
    from anxin.petitions.models import PlanStep

    petition = _require_handle(actor, petition, version)
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
    *,
    actor: User | None,
    petition: Petition,
    step_id: int,
    on: date | None = None,
    version: int | None = None,
) -> Any:
    from anxin.petitions.models import PlanStep

    petition = _require_handle(actor, petition, version)
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
    *,
    actor: User | None,
    petition: Petition,
    target_on: date,
    on: date | None = None,
    version: int | None = None,
) -> Petition:
    """List a case as backlog (积案) to be cleared by a target date, against a plan."""
    petition = _require_handle(actor, petition, version)
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
    added = attachments_add(actor=actor, owner=locked, uploads=files, purpose=purpose)
    _save(locked)
    _event(locked, "attached", actor, purpose=purpose, files=[a.name for a in added])
    return added
