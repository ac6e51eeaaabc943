"""Reading enforcement orders: lists, one order, the dossier section (always through
``EnforcementOrder.restrict``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.models import User
from anxin.core.scoping import can, get_for_user
from anxin.safety.enforcement_rules import BASES_BY_CODE, CLOCK_NAME, CLOCK_SUBJECT
from anxin.safety.models_enforcement import EnforcementOrder
from anxin.supervision.selectors import clocks_for

ORDERING = ("-issued_at", "-id")
RELATED = ("site", "site__unit", "site__regulating_unit", "hazard")
DOSSIER_LIMIT = 20


def _with_officers(qs: QuerySet[EnforcementOrder]) -> QuerySet[EnforcementOrder]:
    return qs.select_related(*RELATED).prefetch_related(
        Prefetch("officers", queryset=User.objects.order_by("pk"))
    )


def order_list(
    *, user: Any, site: Any = None, kind: str | None = None, status: str | None = None
) -> QuerySet[EnforcementOrder]:
    qs = EnforcementOrder.objects.restrict(user, "view")
    if site is not None:
        qs = qs.filter(site=site)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return _with_officers(qs).order_by(*ORDERING)


def order_get_for_user(*, user: Any, id: str, action: str = "view") -> EnforcementOrder:
    try:
        uid = uuid.UUID(str(id))
    except ValueError:
        raise Http404 from None
    return get_for_user(
        _with_officers(EnforcementOrder.objects.all()), user, action=action, uid=uid
    )


def order_bases(order: EnforcementOrder) -> list[Any]:
    return [BASES_BY_CODE[c] for c in order.basis_codes if c in BASES_BY_CODE]


def reinspect_clock(order: EnforcementOrder) -> Any:
    return clocks_for(CLOCK_SUBJECT, order.pk).get(CLOCK_NAME)


def order_out(order: EnforcementOrder) -> dict[str, Any]:
    return {
        "id": str(order.uid),
        "number": order.number,
        "site": str(order.site.uid),
        "site_name": order.site.name,
        "hazard": str(order.hazard.uid) if order.hazard else None,
        "kind": order.kind,
        "status": order.status,
        "basis_codes": list(order.basis_codes),
        "facts": order.facts,
        "demands": order.demands,
        "deadline": order.deadline,
        "fine_yuan": float(order.fine_yuan) if order.fine_yuan is not None else None,
        "is_penalty": order.is_penalty,
        "officers": [o.username for o in order.officers.all()],
        "issued_at": order.issued_at,
        "notice_at": order.notice_at,
        "executed_at": order.executed_at,
        "reinspected_at": order.reinspected_at,
        "reinspection_passed": order.reinspection_passed,
        "version": order.version,
    }


def dossier_section(*, user: Any, site: Any) -> dict[str, Any]:
    """The enforcement section of a site's dossier and the Art. 113 flag (three queries)."""
    from django.urls import reverse

    from anxin.safety.dossier import DossierRow
    from anxin.safety.enforcement import site_closure_flag

    today = timezone.localdate()
    orders = (
        EnforcementOrder.objects.restrict(user, "view")
        .filter(site=site)
        .order_by(*ORDERING)[:DOSSIER_LIMIT]
    )
    rows = [
        DossierRow(
            on=timezone.localdate(o.issued_at),
            title=f"{o.number} {o.get_kind_display()}",
            status=o.get_status_display(),
            url=reverse("enforcement_detail", args=[o.uid]),
            note=str(o.deadline),
            tone="success"
            if o.status == "reinspected"
            else ("danger" if o.deadline < today else "warning"),
        )
        for o in orders
    ]
    may_view = can(user, "enforcement.view")
    flag = may_view and site_closure_flag(site)
    if flag:
        rows.insert(
            0,
            DossierRow(
                on=today,
                title=str(
                    _(
                        "A major hazard and 3 penalties within 180 days or 4 within a year: "
                        "propose closure (Work Safety Law, Art. 113)."
                    )
                ),
                status=str(_("closure proposal")),
                url=reverse("enforcement_create") + f"?site={site.uid}&kind=closure",
                tone="danger",
            ),
        )
    return {"show_enforcement": may_view, "enforcement": rows, "closure_flag": flag}
