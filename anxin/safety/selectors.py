"""The one read path of sites, sectors and checklists: every query for a person starts with
``restrict``."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from anxin.core.scoping import get_for_user
from anxin.safety.filtersets import site_filter
from anxin.safety.models import ChecklistTemplate, Permit, Sector, Site, SiteEvent

SITE_ORDERING = ("name", "id")
SITE_RELATED = ("sector", "unit", "regulating_unit", "contact_user")
#: a permit expiring within this many days is listed on the dossier
PERMIT_WARNING_DAYS = 30


def site_list(*, user: Any, **filters: Any) -> QuerySet[Site]:
    qs = Site.objects.restrict(user, "view").select_related(*SITE_RELATED)
    return site_filter(qs, **filters)


def site_get_for_user(*, user: Any, id: str, action: str = "view") -> Site:
    """One site by its opaque id: 404 outside the person's scope, 403 without ``action``."""
    try:
        uid = uuid.UUID(str(id))
    except ValueError:
        raise Http404 from None
    return get_for_user(
        Site.objects.select_related(*SITE_RELATED, "sector__department"),
        user,
        action=action,
        uid=uid,
    )


def site_may(user: Any, site: Site, action: str) -> bool:
    """Whether the person may take ``action`` (e.g. "manage") on this site."""
    return Site.objects.restrict(user, action).filter(pk=site.pk).exists()


def site_permits(site: Site) -> list[Permit]:
    return list(site.permits.order_by("kind", "expires_on", "id"))


def permits_expiring(
    permits: list[Permit], *, today: date | None = None, days: int = PERMIT_WARNING_DAYS
) -> list[Permit]:
    """Permits expired or expiring within ``days`` (default 30), soonest first."""
    today = today or timezone.localdate()
    limit = today + timedelta(days=days)
    return sorted(
        (p for p in permits if p.expires_on is not None and p.expires_on <= limit),
        key=lambda p: (p.expires_on, p.pk),
    )


def permit_get_for_site(*, site: Site, pk: int) -> Permit:
    permit = Permit.objects.filter(site=site, pk=pk).first()
    if permit is None:
        raise Http404
    return permit


def site_timeline(site: Site, *, limit: int = 200) -> list[SiteEvent]:
    return list(SiteEvent.objects.filter(site=site).order_by("-at", "-id")[:limit])


def sector_list(*, active_only: bool = True) -> QuerySet[Sector]:
    qs = Sector.objects.select_related("department").order_by("sort_order", "code")
    return qs.filter(is_active=True) if active_only else qs


def sector_get(code: str) -> Sector:
    sector = Sector.objects.select_related("department").filter(code=code).first()
    if sector is None:
        raise Http404
    return sector


def checklist_current_list() -> QuerySet[ChecklistTemplate]:
    """The current checklist of every sector, with its number of items."""
    from django.db.models import Count

    return (
        ChecklistTemplate.objects.filter(is_current=True)
        .select_related("sector", "published_by")
        .annotate(item_count=Count("items"))
        .order_by("sector__sort_order", "sector__code")
    )


def checklist_current(sector: Sector) -> ChecklistTemplate | None:
    """The version new inspections use (the inspections part reads this)."""
    return ChecklistTemplate.objects.filter(sector=sector, is_current=True).first()


def checklist_get(pk: int) -> ChecklistTemplate:
    template = (
        ChecklistTemplate.objects.select_related("sector", "published_by").filter(pk=pk).first()
    )
    if template is None:
        raise Http404
    return template


def checklist_versions(sector: Sector) -> QuerySet[ChecklistTemplate]:
    return ChecklistTemplate.objects.filter(sector=sector).order_by("-version")
