"""The site register's filters: one function serves the page and the API (and later exports)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from anxin.core.identifiers import normalize_credit_code
from anxin.core.models import Unit
from anxin.safety.choices import RiskLevel, SiteStatus
from anxin.safety.models import Site

FILTERS = ("sector", "unit", "risk_level", "status", "q")


def site_filter(qs: QuerySet[Site], **params: Any) -> QuerySet[Site]:
    """``sector`` code; ``unit``: a unit code — sites whose territorial unit lies in its subtree
    or whose regulating department is it or under it; ``risk_level``; ``status``; ``q``: part of
    the name, or the credit code (whole or its beginning)."""
    if params.get("sector"):
        qs = qs.filter(sector__code=params["sector"])
    if params.get("unit"):
        root = Unit.objects.filter(code=params["unit"]).values_list("path", flat=True).first()
        if root is None:
            return qs.none()
        qs = qs.filter(Q(unit__path__startswith=root) | Q(regulating_unit__path__startswith=root))
    if params.get("risk_level") in RiskLevel.values:
        qs = qs.filter(risk_level=params["risk_level"])
    if params.get("status") in SiteStatus.values:
        qs = qs.filter(status=params["status"])
    q = str(params.get("q") or "").strip()
    if q:
        code = normalize_credit_code(q)
        by_code = Q(credit_code__startswith=code) if len(code) >= 6 and code.isalnum() else Q()
        qs = qs.filter(Q(name__icontains=q) | by_code) if by_code else qs.filter(name__icontains=q)
    return qs
