"""Turning sites into what people may see: API shapes, masked contacts, timeline labels."""

from __future__ import annotations

from typing import Any

from django.utils.translation import pgettext_lazy

from anxin.core.identifiers import mask_name, mask_phone
from anxin.core.scoping import unit_in_scope
from anxin.safety.models import Permit, Site
from anxin.safety.services import site_warnings

#: the timeline's lines as pages show them (the API and the audit trail keep the codes).
#: Other parts of the app add the kinds they record with ``services.site_event_record``.
EVENT_LABELS = {
    "created": pgettext_lazy("site event", "Site registered"),
    "updated": pgettext_lazy("site event", "Profile changed"),
    "permit_added": pgettext_lazy("site event", "Permit recorded"),
    "permit_updated": pgettext_lazy("site event", "Permit changed"),
}


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


def may_see_contact(user: Any, site: Site) -> bool:
    """Full contact details for those who keep the register of this site (no query)."""
    return unit_in_scope(user, "site.manage", site.unit) or unit_in_scope(
        user, "site.manage", site.regulating_unit
    )


def permit_out(p: Permit) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "number": p.number,
        "issued_by": p.issued_by,
        "issued_on": p.issued_on,
        "expires_on": p.expires_on,
        "version": p.version,
    }


def site_out(site: Site, user: Any) -> dict[str, Any]:
    full = may_see_contact(user, site) or site.contact_user_id == getattr(user, "pk", None)
    return {
        "id": str(site.uid),
        "name": site.name,
        "credit_code": site.credit_code,
        "sector": site.sector.code,
        "unit": site.unit.code,
        "regulating_unit": site.regulating_unit.code if site.regulating_unit else None,
        "address": site.address,
        "latitude": float(site.latitude) if site.latitude is not None else None,
        "longitude": float(site.longitude) if site.longitude is not None else None,
        "risk_level": site.risk_level,
        "status": site.status,
        "contact_user": site.contact_user.username if site.contact_user else None,
        "contact_name": site.contact_name if full else mask_name(site.contact_name),
        "contact_phone": site.contact_phone if full else mask_phone(site.contact_phone),
        "version": site.version,
        "created_at": site.created_at,
        "updated_at": site.updated_at,
        "warnings": site_warnings(site),
    }


def site_detail(site: Site, user: Any) -> dict[str, Any]:
    out = site_out(site, user)
    out["permits"] = [permit_out(p) for p in site.permits.order_by("kind", "expires_on", "id")]
    return out
