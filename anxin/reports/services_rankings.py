"""Writes of the rankings: the weights table (audited), and the record of each download."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.errors import check_version
from anxin.core.scoping import can
from anxin.reports.models_rankings import IndicatorWeight
from anxin.reports.rankings import DEFAULT_WEIGHTS

NOTE_MAX = 200


def _person(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "pk", None) else None


@transaction.atomic
def indicator_weight_set(
    *, actor: Any, key: str, weight: Any, note: str = "", version: int | None = None
) -> IndicatorWeight:
    """Set the ranking weight of one indicator (0–100); the system administrator only."""
    if actor is not None and not can(actor, "ranking.manage"):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if key not in DEFAULT_WEIGHTS:
        errors["key"] = _("This indicator is not ranked.")
    try:
        value = Decimal(str(weight)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value < 0 or value > 100:
        errors["weight"] = _("Enter a weight from 0 to 100.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = _("The note is at most %(n)d characters.") % {"n": NOTE_MAX}
    if errors:
        raise ValidationError(errors)
    assert value is not None
    row = IndicatorWeight.objects.select_for_update().filter(key=key).first()
    before = {"weight": str(row.weight if row else DEFAULT_WEIGHTS[key])}
    if row is None:
        row = IndicatorWeight.objects.create(
            key=key, weight=value, note=note, updated_by=_person(actor)
        )
    else:
        check_version(row, version)
        row.weight, row.note = value, note
        row.updated_at, row.updated_by = timezone.now(), _person(actor)
        row.version += 1
        row.save(update_fields=["weight", "note", "updated_at", "updated_by", "version"])
    audit_record(
        actor=actor,
        action="ranking.weight_set",
        obj=row,
        object_repr=key,
        before=before,
        after={"weight": str(value), "note": note},
    )
    return row


@transaction.atomic
def ranking_export_record(
    *, actor: Any, period: str, kind: str, parent: str | None, fmt: str
) -> None:
    """A ranking left the system as a file (.xlsx or the 通报 .docx): recorded in the trail."""
    audit_record(
        actor=actor,
        action="ranking.export",
        object_type="reports.ranking",
        object_id=period,
        object_repr=period,
        after={"period": period, "kind": kind, "parent": parent or "", "format": fmt},
    )
