"""The one write path of sites (一企一档), sectors and checklists.

Every function is keyword-only, takes the acting user explicitly (``None`` = the system: a
migration, a command, the demo), validates, writes in one transaction, adds the site's timeline
event and records the audit event in that same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.bulk import RowInserter
from anxin.core.choices import Role, UnitKind
from anxin.core.errors import check_version
from anxin.core.identifiers import (
    credit_code_check_ok,
    credit_code_is_well_formed,
    normalize_credit_code,
)
from anxin.core.models import RoleAssignment, Unit, User
from anxin.core.scoping import can, unit_in_scope
from anxin.safety.choices import PermitKind, RiskLevel, SeverityHint, SiteStatus
from anxin.safety.models import (
    ChecklistItem,
    ChecklistTemplate,
    Permit,
    Sector,
    Site,
    SiteEvent,
)

#: the territorial unit (属地) of a site is a township/street or a village/community
TERRITORIAL_KINDS = (UnitKind.TOWNSHIP, UnitKind.VILLAGE)

#: the fields ``site_update`` may change
SITE_FIELDS = (
    "name",
    "credit_code",
    "sector",
    "regulating_unit",
    "unit",
    "address",
    "latitude",
    "longitude",
    "risk_level",
    "status",
    "contact_user",
    "contact_name",
    "contact_phone",
)
#: personal data: recorded in the audit trail as "***" (changed), never in clear
PERSONAL_FIELDS = ("contact_name", "contact_phone")

PERMIT_FIELDS = ("kind", "number", "issued_by", "issued_on", "expires_on")


def _require(actor: User | None, action: str) -> None:
    if actor is not None and not can(actor, action):
        raise PermissionDenied


def _label(actor: User | None) -> str:
    return actor.display_name if actor is not None else _("System")


# --- warnings -------------------------------------------------------------------------------


def site_warnings(site: Site) -> list[dict[str, str]]:
    """What is saved but should be looked at: [{"code", "message"}] (API ``warnings``)."""
    warnings: list[dict[str, str]] = []
    if site.credit_code and not credit_code_check_ok(site.credit_code):
        warnings.append(
            {
                "code": "credit_code_check",
                "message": _(
                    "The check character of the unified social credit code does not match "
                    "(GB 32100-2015). Some early codes fail the check: the site is saved; "
                    "compare the code with the business licence."
                ),
            }
        )
    if site.regulating_unit_id is None:
        warnings.append(
            {
                "code": "no_regulating_unit",
                "message": _(
                    "No regulating department: the sector has none set. Choose one for the "
                    "site, or ask the system administrator to set it for the sector."
                ),
            }
        )
    return warnings


# --- sites ----------------------------------------------------------------------------------


def site_event_record(
    *, site: Site, kind: str, actor: User | None, at: Any = None, **data: Any
) -> SiteEvent:
    """Add one line to the site's timeline, in the caller's transaction.

    For every part of the app (inspections, hazards, enforcement, accidents): call it from the
    service that changed something about the site, next to that service's own audit record.
    """
    return SiteEvent.objects.create(
        site=site,
        kind=kind,
        at=at or timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=_label(actor),
        data=data,
    )


def site_events_record(lines: list[dict[str, Any]], *, actor: User | None) -> list[SiteEvent]:
    """:func:`site_event_record` for many lines at once (an import), inserted in batches. Each
    dict gives ``site`` (or ``site_id``), ``kind``, optionally ``at``, and the line's data."""
    now = timezone.now()
    staff = actor if actor is not None and actor.is_authenticated else None
    staff_id = staff.pk if staff is not None else None
    label = _label(actor)
    rows = []
    for line in lines:
        data = dict(line)
        site = data.pop("site", None)
        site_id = data.pop("site_id", None) if site is None else site.pk
        kind, at = data.pop("kind"), data.pop("at", None)
        rows.append((site_id, kind, at or now, staff_id, label, data))
    inserter = RowInserter(SiteEvent, _SITE_EVENT_FIELDS)
    events: list[SiteEvent] = inserter.instances(rows, inserter.write(rows))  # type: ignore[assignment]
    return events


_SITE_EVENT_FIELDS = ("site_id", "kind", "at", "actor_id", "actor_label", "data")


def _decimal(value: Any, field: str, low: int, high: int, errors: dict[str, Any]) -> Any:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter a number.")
        return None
    if not low <= number <= high:
        errors[field] = _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}
    return number


def _others(qs: Any, exclude_pk: int | None) -> Any:
    return qs if exclude_pk is None else qs.exclude(pk=exclude_pk)


def _is_enterprise_contact(user: User) -> bool:
    return RoleAssignment.objects.filter(user=user, role=Role.ENTERPRISE).exists()


def _validate_site(site: Site, *, exclude_pk: int | None) -> None:
    """Check a site's fields (already set on the instance); ValidationError by field."""
    errors: dict[str, Any] = {}
    site.name = (site.name or "").strip()
    site.address = (site.address or "").strip()
    site.credit_code = normalize_credit_code(site.credit_code or "")
    if not site.name:
        errors["name"] = _("The name is required.")
    if not site.address:
        errors["address"] = _("The address is required.")
    if site.credit_code:
        if not credit_code_is_well_formed(site.credit_code):
            errors["credit_code"] = _(
                "A unified social credit code has 18 characters: digits and capital letters "
                "except I, O, Z, S and V."
            )
        elif _others(Site.objects.filter(credit_code=site.credit_code), exclude_pk).exists():
            errors["credit_code"] = _(
                "A site with this unified social credit code is already registered."
            )
    if not site.sector.is_active:
        errors["sector"] = _("This sector is no longer in use.")
    if site.unit.kind not in TERRITORIAL_KINDS:
        errors["unit"] = _(
            "The territorial unit must be a township or street, or a village or community."
        )
    if site.regulating_unit is not None and site.regulating_unit.kind != UnitKind.DEPARTMENT:
        errors["regulating_unit"] = _("The regulating department must be a department.")
    if site.risk_level not in RiskLevel.values:
        errors["risk_level"] = _("Choose a risk level: red, orange, yellow or blue.")
    if site.status not in SiteStatus.values:
        errors["status"] = _("Unknown status.")
    site.latitude = _decimal(site.latitude, "latitude", -90, 90, errors)
    site.longitude = _decimal(site.longitude, "longitude", -180, 180, errors)
    if (site.latitude is None) != (site.longitude is None) and "latitude" not in errors:
        errors["latitude"] = _("Give both latitude and longitude, or neither.")
    if site.contact_user is not None and not _is_enterprise_contact(site.contact_user):
        errors["contact_user"] = _(
            "This login is not an enterprise contact: give it the role 企业联系人 first."
        )
    if errors:
        raise ValidationError(errors)


def _sector_department(sector: Sector) -> Unit | None:
    """The sector's department as stored now (the caller's sector object may be stale)."""
    return Unit.objects.filter(regulated_sectors=sector).first()


def _check_placement(actor: User | None, site: Site) -> None:
    """The actor must manage the site where it will be: its territorial unit or its regulator."""
    if actor is None:
        return
    if not (
        unit_in_scope(actor, "site.manage", site.unit)
        or unit_in_scope(actor, "site.manage", site.regulating_unit)
    ):
        raise PermissionDenied


def _snapshot(site: Site) -> dict[str, Any]:
    return {
        "name": site.name,
        "credit_code": site.credit_code,
        "sector": site.sector.code,
        "regulating_unit": site.regulating_unit.code if site.regulating_unit else None,
        "unit": site.unit.code,
        "address": site.address,
        "latitude": str(site.latitude) if site.latitude is not None else None,
        "longitude": str(site.longitude) if site.longitude is not None else None,
        "risk_level": site.risk_level,
        "status": site.status,
        "contact_user": site.contact_user.username if site.contact_user else None,
        "contact_name": "***" if site.contact_name else "",
        "contact_phone": "***" if site.contact_phone else "",
    }


@transaction.atomic
def site_create(
    *,
    actor: User | None,
    name: str,
    sector: Sector,
    unit: Unit,
    address: str,
    risk_level: str,
    credit_code: str = "",
    regulating_unit: Unit | None = None,
    latitude: Any = None,
    longitude: Any = None,
    status: str = SiteStatus.ACTIVE,
    contact_user: User | None = None,
    contact_name: str = "",
    contact_phone: str = "",
) -> Site:
    """Register a site. The regulating department defaults to the sector's (管行业必须管安全).

    A credit code that is malformed is refused; one whose check character fails is saved, and
    ``site_warnings`` reports it (some early legal codes fail the check).
    """
    _require(actor, "site.manage")
    site = Site(
        name=name,
        credit_code=credit_code,
        sector=sector,
        unit=unit,
        regulating_unit=regulating_unit
        if regulating_unit is not None
        else _sector_department(sector),
        address=address,
        latitude=latitude,
        longitude=longitude,
        risk_level=risk_level,
        status=status,
        contact_user=contact_user,
        contact_name=(contact_name or "").strip(),
        contact_phone=(contact_phone or "").strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    _validate_site(site, exclude_pk=None)
    _check_placement(actor, site)
    site.save(force_insert=True)
    site_event_record(site=site, kind="created", actor=actor)
    audit_record(actor=actor, action="site.create", obj=site, after=_snapshot(site))
    return site


@transaction.atomic
def site_update(*, actor: User | None, site: Site, version: int | None, **changes: Any) -> Site:
    """Change a site's profile; ``version`` is the one the user read (stale → 409).

    Changing the sector moves the regulating department along when it was the old sector's
    default and no other department is given.
    """
    unknown = set(changes) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"site_update() got unexpected fields: {sorted(unknown)}")
    _require(actor, "site.manage")
    locked = (
        Site.objects.select_for_update(of=("self",))
        .select_related("sector", "unit", "regulating_unit", "contact_user")
        .get(pk=site.pk)
    )
    if actor is not None and not Site.objects.restrict(actor, "manage").filter(pk=site.pk).exists():
        raise PermissionDenied
    check_version(locked, version)
    before = _snapshot(locked)
    old_personal = {f: getattr(locked, f) for f in PERSONAL_FIELDS}
    old_sector = locked.sector
    for field, value in changes.items():
        if field in ("contact_name", "contact_phone", "name", "address", "credit_code"):
            value = (value or "").strip()
        setattr(locked, field, value)
    if (
        "sector" in changes
        and "regulating_unit" not in changes
        and locked.sector.pk != old_sector.pk
        and locked.regulating_unit_id == old_sector.department_id
    ):
        locked.regulating_unit = _sector_department(locked.sector)
    _validate_site(locked, exclude_pk=locked.pk)
    _check_placement(actor, locked)
    after = _snapshot(locked)
    changed_personal = {f for f in PERSONAL_FIELDS if getattr(locked, f) != old_personal[f]}
    changed = sorted({k for k in after if after[k] != before[k]} | changed_personal)
    if not changed:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    fields = [f for f in SITE_FIELDS if f in changes or f == "regulating_unit"]
    locked.save(update_fields=[*fields, "version", "updated_at"])
    site_event_record(site=locked, kind="updated", actor=actor, fields=changed)
    audit_record(
        actor=actor,
        action="site.update",
        obj=locked,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return locked


# --- permits --------------------------------------------------------------------------------


def _check_site_manage(actor: User | None, site: Site) -> None:
    _require(actor, "site.manage")
    if actor is not None and not Site.objects.restrict(actor, "manage").filter(pk=site.pk).exists():
        raise PermissionDenied


def _validate_permit(permit: Permit, *, exclude_pk: int | None) -> None:
    errors: dict[str, Any] = {}
    permit.number = (permit.number or "").strip()
    permit.issued_by = (permit.issued_by or "").strip()
    if permit.kind not in PermitKind.values:
        errors["kind"] = _("Unknown kind of permit.")
    if not permit.number:
        errors["number"] = _("The permit number is required.")
    if not isinstance(permit.issued_on, date):
        errors["issued_on"] = _("The date of issue is required.")
    elif permit.issued_on > timezone.localdate():
        errors["issued_on"] = _("The date of issue cannot be in the future.")
    elif permit.expires_on is not None and permit.expires_on < permit.issued_on:
        errors["expires_on"] = _("The permit cannot expire before it was issued.")
    if (
        "number" not in errors
        and _others(
            Permit.objects.filter(site_id=permit.site_id, kind=permit.kind, number=permit.number),
            exclude_pk,
        ).exists()
    ):
        errors["number"] = _("This permit is already recorded for the site.")
    if errors:
        raise ValidationError(errors)


def _permit_snapshot(permit: Permit) -> dict[str, Any]:
    return {
        "kind": permit.kind,
        "number": permit.number,
        "issued_by": permit.issued_by,
        "issued_on": permit.issued_on.isoformat() if permit.issued_on else None,
        "expires_on": permit.expires_on.isoformat() if permit.expires_on else None,
    }


@transaction.atomic
def permit_add(
    *,
    actor: User | None,
    site: Site,
    kind: str,
    number: str,
    issued_on: date,
    expires_on: date | None = None,
    issued_by: str = "",
) -> Permit:
    _check_site_manage(actor, site)
    permit = Permit(
        site=site,
        kind=kind,
        number=number,
        issued_by=issued_by,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    _validate_permit(permit, exclude_pk=None)
    permit.save(force_insert=True)
    site_event_record(
        site=site, kind="permit_added", actor=actor, permit=permit.number, permit_kind=kind
    )
    audit_record(
        actor=actor,
        action="site.permit_add",
        obj=permit,
        object_repr=f"{site.name} · {permit}",
        after=_permit_snapshot(permit),
    )
    return permit


@transaction.atomic
def permit_update(
    *, actor: User | None, permit: Permit, version: int | None, **changes: Any
) -> Permit:
    unknown = set(changes) - set(PERMIT_FIELDS)
    if unknown:
        raise TypeError(f"permit_update() got unexpected fields: {sorted(unknown)}")
    locked = Permit.objects.select_for_update(of=("self",)).select_related("site").get(pk=permit.pk)
    _check_site_manage(actor, locked.site)
    check_version(locked, version)
    before = _permit_snapshot(locked)
    for field, value in changes.items():
        setattr(locked, field, value)
    _validate_permit(locked, exclude_pk=locked.pk)
    after = _permit_snapshot(locked)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*changes, "version", "updated_at"])
    site_event_record(
        site=locked.site,
        kind="permit_updated",
        actor=actor,
        permit=locked.number,
        permit_kind=locked.kind,
        fields=changed,
    )
    audit_record(
        actor=actor,
        action="site.permit_update",
        obj=locked,
        object_repr=f"{locked.site.name} · {locked}",
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return locked


# --- sectors --------------------------------------------------------------------------------


@transaction.atomic
def sector_update(
    *, actor: User | None, sector: Sector, version: int | None, **changes: Any
) -> Sector:
    """The system administrator edits a sector: its name, department (行业主管部门), active flag.

    Sites keep the regulating department they have; only new sites take the new default.
    """
    unknown = set(changes) - {"name", "department", "is_active", "sort_order"}
    if unknown:
        raise TypeError(f"sector_update() got unexpected fields: {sorted(unknown)}")
    _require(actor, "sector.manage")
    locked = (
        Sector.objects.select_for_update(of=("self",))
        .select_related("department")
        .get(pk=sector.pk)
    )
    check_version(locked, version)

    def snap(s: Sector) -> dict[str, Any]:
        return {
            "name": s.name,
            "department": s.department.code if s.department else None,
            "is_active": s.is_active,
            "sort_order": s.sort_order,
        }

    before = snap(locked)
    for field, value in changes.items():
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    errors: dict[str, Any] = {}
    if not locked.name:
        errors["name"] = _("The name is required.")
    if locked.department is not None and locked.department.kind != UnitKind.DEPARTMENT:
        errors["department"] = _("The regulating department must be a department.")
    if errors:
        raise ValidationError(errors)
    after = snap(locked)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*changes, "version", "updated_at"])
    audit_record(
        actor=actor,
        action="sector.update",
        obj=locked,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return locked


# --- checklists -----------------------------------------------------------------------------


@dataclass
class ChecklistItemIn:
    text: str
    basis: str
    severity_hint: str = SeverityHint.GENERAL


@transaction.atomic
def checklist_publish(
    *,
    actor: User | None,
    sector: Sector,
    title: str,
    items: list[ChecklistItemIn],
) -> ChecklistTemplate:
    """Publish a new version of a sector's checklist; it becomes the current one.

    Earlier versions stay, unchanged: past inspections keep referring to the items they used.
    """
    _require(actor, "checklist.manage")
    errors: dict[str, Any] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("The title is required.")
    cleaned = [
        ChecklistItemIn(i.text.strip(), i.basis.strip(), i.severity_hint)
        for i in items
        if i.text.strip() or i.basis.strip()
    ]
    if not cleaned:
        errors["items"] = _("A checklist needs at least one item.")
    for n, item in enumerate(cleaned, start=1):
        if not item.text:
            errors[f"items.{n}.text"] = _("Item %(n)d: the text is required.") % {"n": n}
        if not item.basis:
            errors[f"items.{n}.basis"] = _("Item %(n)d: give its legal or standard basis.") % {
                "n": n
            }
        if item.severity_hint not in SeverityHint.values:
            errors[f"items.{n}.severity_hint"] = _("Item %(n)d: unknown severity.") % {"n": n}
    if errors:
        raise ValidationError(errors)
    Sector.objects.select_for_update(of=("self",)).filter(
        pk=sector.pk
    ).first()  # serialise versions
    last = ChecklistTemplate.objects.filter(sector=sector).aggregate(v=Max("version"))["v"] or 0
    previous = ChecklistTemplate.objects.filter(sector=sector, is_current=True).first()
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    template = ChecklistTemplate.objects.create(
        sector=sector,
        version=last + 1,
        title=title[:200],
        published_at=timezone.now(),
        published_by=actor if actor is not None and actor.is_authenticated else None,
        is_current=True,
    )
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                template=template,
                order=n,
                text=item.text[:300],
                basis=item.basis[:200],
                severity_hint=item.severity_hint,
            )
            for n, item in enumerate(cleaned, start=1)
        ]
    )
    audit_record(
        actor=actor,
        action="checklist.publish",
        obj=template,
        before={"version": previous.version} if previous is not None else {},
        after={"sector": sector.code, "version": template.version, "items": len(cleaned)},
    )
    return template
