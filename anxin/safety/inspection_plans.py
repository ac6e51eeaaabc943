"""The write path of inspection plans and campaigns (专项行动): sectors, area, period and a
coverage target. Keyword-only services with an explicit ``actor`` (``None`` = the system),
each in one transaction with its audit record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.errors import check_version
from anxin.core.models import Unit, User
from anxin.core.scoping import can, unit_in_scope
from anxin.safety.models import Sector
from anxin.safety.models_inspections import InspectionPlan

ACTION = "inspection_plan.manage"


def _check_scope(actor: User | None, organiser: Unit, unit: Unit) -> None:
    if actor is None:
        return
    if not can(actor, ACTION):
        raise PermissionDenied
    if not (unit_in_scope(actor, ACTION, organiser) or unit_in_scope(actor, ACTION, unit)):
        raise PermissionDenied


def _validate(title: str, starts_on: dt.date, ends_on: dt.date, coverage_target: Any) -> None:
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the plan a title.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The end cannot be before the start.")
    if not 0 < int(coverage_target) <= 100:
        errors["coverage_target"] = _("The coverage target is a percentage from 1 to 100.")
    if errors:
        raise ValidationError(errors)


def _snapshot(plan: InspectionPlan, sectors: Iterable[Sector]) -> dict[str, Any]:
    return {
        "title": plan.title,
        "organiser": plan.organiser.code,
        "unit": plan.unit.code,
        "sectors": sorted(s.code for s in sectors),
        "starts_on": plan.starts_on.isoformat(),
        "ends_on": plan.ends_on.isoformat(),
        "coverage_target": plan.coverage_target,
        "notes": plan.notes,
    }


@transaction.atomic
def inspection_plan_create(
    *,
    actor: User | None,
    title: str,
    organiser: Unit,
    unit: Unit,
    starts_on: dt.date,
    ends_on: dt.date,
    sectors: Iterable[Sector] = (),
    coverage_target: int = 100,
    notes: str = "",
) -> InspectionPlan:
    _check_scope(actor, organiser, unit)
    title = (title or "").strip()
    _validate(title, starts_on, ends_on, coverage_target)
    plan = InspectionPlan(
        title=title[:200],
        organiser=organiser,
        unit=unit,
        starts_on=starts_on,
        ends_on=ends_on,
        coverage_target=int(coverage_target),
        notes=(notes or "").strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    plan.save(force_insert=True)
    sectors = list(sectors)
    plan.sectors.set(sectors)
    after = _snapshot(plan, sectors)
    after.pop("notes")
    audit_record(actor=actor, action="inspection_plan.create", obj=plan, after=after)
    return plan


PLAN_FIELDS = (
    "title",
    "organiser",
    "unit",
    "sectors",
    "starts_on",
    "ends_on",
    "coverage_target",
    "notes",
)


@transaction.atomic
def inspection_plan_update(
    *, actor: User | None, plan: InspectionPlan, version: int | None, **changes: Any
) -> InspectionPlan:
    """Change a plan (any of ``PLAN_FIELDS``); stale ``version`` → 409. The actor manages the
    plan where it is now and where it goes (organiser or area in their scope)."""
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"unknown plan fields: {sorted(unknown)}")
    locked = (
        InspectionPlan.objects.select_for_update(of=("self",))
        .select_related("organiser", "unit")
        .get(pk=plan.pk)
    )
    check_version(locked, version)
    _check_scope(actor, locked.organiser, locked.unit)
    old_sectors = list(locked.sectors.all())
    before = _snapshot(locked, old_sectors)
    sectors = list(changes.pop("sectors")) if "sectors" in changes else old_sectors
    for field, value in changes.items():
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    locked.title = locked.title[:200]
    _check_scope(actor, locked.organiser, locked.unit)
    _validate(locked.title, locked.starts_on, locked.ends_on, locked.coverage_target)
    locked.coverage_target = int(locked.coverage_target)
    after = _snapshot(locked, sectors)
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return locked
    locked.version += 1
    locked.save(
        update_fields=[
            "title",
            "organiser",
            "unit",
            "starts_on",
            "ends_on",
            "coverage_target",
            "notes",
            "version",
        ]
    )
    if "sectors" in changed:
        locked.sectors.set(sectors)
    audit_record(
        actor=actor,
        action="inspection_plan.update",
        obj=locked,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return locked
