"""Enforcement services (执法文书) — issue 4, item 5.

- :func:`enforcement_order_issue` records an order: the legal bases from the maintained list,
  at least two enforcement officers for a penalty (行政处罚法 Art. 42), a power cut-off with the
  24 hours' notice of 安全生产法 Art. 70 (``notice_at``), and starts the re-inspection (复查)
  clock ``reinspect_by`` (a ``fixed`` clock due on the deadline);
- :func:`enforcement_execute` records that a power cut-off (or any order) was carried out — a
  power cut-off not before ``notice_at`` + 24 hours;
- :func:`enforcement_reinspection_record` records the 复查 and stops the clock;
- :func:`site_closure_flags` applies 安全生产法 Art. 113 to the sites with a major hazard.

Every step is audited and added to the site's timeline.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.errors import ServiceError
from anxin.core.models import User
from anxin.safety.enforcement_rules import (
    BASES_BY_CODE,
    CLOCK_NAME,
    CLOCK_SUBJECT,
    MIN_OFFICERS,
    POWER_CUT_NOTICE_HOURS,
    OrderKind,
    OrderStatus,
    closure_flag,
    is_penalty,
)
from anxin.safety.hazard_rules import HazardGrade
from anxin.safety.hazard_scoping import site_in_scope
from anxin.safety.models import Site
from anxin.safety.models_enforcement import EnforcementOrder
from anxin.safety.models_hazards import Hazard
from anxin.safety.services import site_event_record
from anxin.supervision import services as clock_services
from anxin.supervision.choices import ClockRule


class EnforcementStateConflict(ServiceError):
    status = 409
    code = "conflict"


def _text(value: str) -> str:
    """User text as stored: trimmed, without NUL (which PostgreSQL refuses in text)."""
    return value.replace("\x00", "").strip()


def _officers_message() -> str:
    return _(
        "An administrative penalty must be carried out by at least two enforcement officers "
        "(Administrative Penalty Law, Art. 42)."
    )


def _check(
    *,
    site: Site,
    kind: str,
    hazard: Hazard | None,
    basis_codes: list[str],
    facts: str,
    demands: str,
    deadline: Any,
    officers: list[User],
    penalty: bool,
    issued_on: dt.date,
) -> None:
    errors: dict[str, str] = {}
    if kind not in OrderKind.values:
        errors["kind"] = _("Unknown kind of order.")
    if not basis_codes:
        errors["basis_codes"] = _("Pick at least one legal basis.")
    elif unknown := [c for c in basis_codes if c not in BASES_BY_CODE]:
        errors["basis_codes"] = _("Unknown legal basis: %(codes)s.") % {"codes": ", ".join(unknown)}
    if not (facts or "").strip():
        errors["facts"] = _("State the facts found.")
    if not (demands or "").strip():
        errors["demands"] = _("State what the site must do.")
    if not isinstance(deadline, dt.date):
        errors["deadline"] = _("Give the deadline.")
    elif deadline < issued_on:
        errors["deadline"] = _("The deadline cannot be in the past.")
    if hazard is not None and hazard.site_id != site.pk:
        errors["hazard"] = _("The hazard belongs to another site.")
    distinct = {o.pk for o in officers}
    if penalty and len(distinct) < MIN_OFFICERS:
        errors["officers"] = _officers_message()
    elif not distinct:
        errors["officers"] = _("Name the enforcement officers.")
    for person in officers:
        if not person.is_active or not site_in_scope(person, "enforcement.issue", site):
            errors["officers"] = _("%(name)s may not enforce at this site.") % {
                "name": person.display_name
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def enforcement_order_issue(
    *,
    actor: User | None,
    site: Site,
    kind: str,
    hazard: Hazard | None = None,
    basis_codes: list[str],
    facts: str,
    demands: str,
    deadline: dt.date,
    officers: list[User],
    fine_yuan: Decimal | None = None,
    notice_at: dt.datetime | None = None,
    issued_at: dt.datetime | None = None,
) -> EnforcementOrder:
    """Issue an order; a power cut-off is notified when issued (or at ``notice_at``).

    ``issued_at`` (default now, never in the future) records an order made on paper earlier;
    the deadline is on or after its date and the ``reinspect_by`` clock starts on it.
    """
    now = timezone.now()
    issued_at = issued_at or now
    if issued_at > now:
        raise ValidationError({"issued_at": _("The issue time cannot be in the future.")})
    if actor is not None and not site_in_scope(actor, "enforcement.issue", site):
        raise PermissionDenied
    penalty = is_penalty(kind, fine_yuan)
    _check(
        site=site,
        kind=kind,
        hazard=hazard,
        basis_codes=list(basis_codes),
        facts=facts,
        demands=demands,
        deadline=deadline,
        officers=officers,
        penalty=penalty,
        issued_on=timezone.localdate(issued_at),
    )
    order = EnforcementOrder.objects.create(
        site=site,
        hazard=hazard,
        kind=kind,
        basis_codes=list(dict.fromkeys(basis_codes)),
        facts=_text(facts),
        demands=_text(demands),
        deadline=deadline,
        fine_yuan=fine_yuan or None,
        is_penalty=penalty,
        issued_at=issued_at,
        issued_by=actor,
        notice_at=(notice_at or issued_at) if kind == OrderKind.POWER_CUT else None,
    )
    order.officers.set(list({o.pk: o for o in officers}.values()))
    clock_services.clock_start(
        actor=actor,
        subject_type=CLOCK_SUBJECT,
        subject_id=order.pk,
        name=CLOCK_NAME,
        unit=site.unit,
        rule=ClockRule.FIXED,
        start_on=timezone.localdate(issued_at),
        due_on=deadline,
        responsible=actor,
    )
    after = {
        "kind": kind,
        "basis_codes": order.basis_codes,
        "deadline": deadline.isoformat(),
        "officers": sorted(o.pk for o in order.officers.all()),
        "is_penalty": penalty,
    }
    audit_record(actor=actor, action="enforcement.issue", obj=order, after=after)
    site_event_record(
        site=site, kind="enforcement_issued", actor=actor, number=order.number, order_kind=kind
    )
    return order


def executable_at(order: EnforcementOrder) -> dt.datetime | None:
    """When a power cut-off may be carried out: 24 hours after the notice (Art. 70)."""
    if order.notice_at is None:
        return None
    return order.notice_at + dt.timedelta(hours=POWER_CUT_NOTICE_HOURS)


@transaction.atomic
def enforcement_execute(
    *, actor: User | None, order: EnforcementOrder, at: dt.datetime | None = None
) -> EnforcementOrder:
    order = EnforcementOrder.objects.select_for_update().get(pk=order.pk)
    at = at or timezone.now()
    if order.status != OrderStatus.ISSUED:
        raise EnforcementStateConflict(_("The order has already been carried out."))
    earliest = executable_at(order)
    if earliest is not None and at < earliest:
        raise ValidationError(
            {
                "executed_at": _(
                    "A power cut-off may be carried out only 24 hours after the site was "
                    "notified (Work Safety Law, Art. 70): not before %(at)s."
                )
                % {"at": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M")}
            }
        )
    order.executed_at = at
    order.status = OrderStatus.EXECUTED
    order.version += 1
    order.save(update_fields=["executed_at", "status", "version"])
    audit_record(actor=actor, action="enforcement.execute", obj=order, after={"at": at.isoformat()})
    site_event_record(
        site=order.site, kind="enforcement_executed", actor=actor, number=order.number
    )
    return order


@transaction.atomic
def enforcement_reinspection_record(
    *,
    actor: User | None,
    order: EnforcementOrder,
    passed: bool,
    notes: str = "",
    at: dt.datetime | None = None,
) -> EnforcementOrder:
    """Record the re-inspection (复查) and stop the ``reinspect_by`` clock on its day."""
    order = EnforcementOrder.objects.select_for_update().get(pk=order.pk)
    if actor is not None and not site_in_scope(actor, "enforcement.issue", order.site):
        raise PermissionDenied
    if order.status == OrderStatus.REINSPECTED:
        raise EnforcementStateConflict(_("The order has already been re-inspected."))
    at = at or timezone.now()
    if at < order.issued_at:
        raise ValidationError({"at": _("The re-inspection cannot precede the order.")})
    if not passed and not notes.strip():
        raise ValidationError({"notes": _("Say what is still not rectified.")})
    order.reinspected_at = at
    order.reinspected_by = actor
    order.reinspection_passed = bool(passed)
    order.reinspection_notes = _text(notes)
    order.status = OrderStatus.REINSPECTED
    order.version += 1
    order.save(
        update_fields=[
            "reinspected_at",
            "reinspected_by",
            "reinspection_passed",
            "reinspection_notes",
            "status",
            "version",
        ]
    )
    clock_services.clock_stop(
        actor=actor,
        subject_type=CLOCK_SUBJECT,
        subject_id=order.pk,
        name=CLOCK_NAME,
        on=timezone.localdate(at),
    )
    audit_record(
        actor=actor,
        action="enforcement.reinspect",
        obj=order,
        after={"passed": bool(passed), "at": at.isoformat()},
    )
    site_event_record(
        site=order.site,
        kind="enforcement_reinspected",
        actor=actor,
        number=order.number,
        passed=bool(passed),
    )
    return order


def site_closure_flags(site_ids: Any = None) -> set[int]:
    """The sites flagged for a closure proposal (安全生产法 Art. 113): a major hazard on record
    and 3 penalties within 180 days or 4 within 365. One or two queries."""
    major = Hazard.objects.filter(grade=HazardGrade.MAJOR, site__isnull=False)
    if site_ids is not None:
        major = major.filter(site_id__in=list(site_ids))
    with_major = set(major.values_list("site_id", flat=True).distinct())
    if not with_major:
        return set()
    dates: dict[int, list[dt.date]] = defaultdict(list)
    rows = EnforcementOrder.objects.filter(site_id__in=with_major, is_penalty=True).values_list(
        "site_id", "issued_at"
    )
    for site_id, issued_at in rows:
        dates[site_id].append(timezone.localdate(issued_at))
    return {site_id for site_id, ds in dates.items() if closure_flag(ds)}


def site_closure_flag(site: Site) -> bool:
    return site.pk in site_closure_flags([site.pk])
