"""List filters shared by pages, the API and exports, so counts never disagree."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from anxin.core.choices import UnitKind
from anxin.core.models import Unit


def unit_filter(
    qs: QuerySet[Unit],
    *,
    kind: str | None = None,
    parent: str | None = None,
    within: str | None = None,
    q: str | None = None,
    **_: Any,
) -> QuerySet[Unit]:
    if kind and kind in UnitKind.values:
        qs = qs.filter(kind=kind)
    if parent:
        qs = qs.filter(parent__code=parent)
    if within:
        root = Unit.objects.filter(code=within).values_list("path", flat=True).first()
        qs = qs.filter(path__startswith=root) if root else qs.none()
    if q:
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(code__iexact=q.strip()))
    return qs


def user_filter(
    qs: QuerySet[Any],
    *,
    unit: str | None = None,
    q: str | None = None,
    active: str | None = None,
    **_: Any,
) -> QuerySet[Any]:
    if unit:
        root = Unit.objects.filter(code=unit).values_list("path", flat=True).first()
        qs = qs.filter(unit__path__startswith=root) if root else qs.none()
    if q:
        term = q.strip()
        qs = qs.filter(Q(username__icontains=term) | Q(name__icontains=term))
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs
