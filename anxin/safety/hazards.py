"""The one write path of hazards (事故隐患): creation, the steps of the workflow, evidence.

Every function is keyword-only and takes the acting user explicitly (``None`` = the system: a
command, an import, the demo). Each runs in one transaction: it locks the hazard and checks
its ``version`` (stale → 409), checks the state against :data:`hazard_rules.TRANSITIONS`
(wrong state → 409 naming the state) and the actor's permission on the hazard (403), writes,
adds a line to the hazard's timeline and to its site's, keeps the deadline clock
``rectify_by`` in supervision's one table, and records the audit event.

``run(action, ...)`` maps the API's action names to these services; the hazard page's forms
call it too, so the two interfaces cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from anxin.core.attachments import attachment_add, attachments_add, attachments_of
from anxin.core.audit import audit_record, audit_record_many
from anxin.core.bulk import RowInserter
from anxin.core.errors import ServiceError, check_version
from anxin.core.models import Unit, User
from anxin.core.scoping import can
from anxin.safety.hazard_rules import (
    CLOCK_NAME,
    CLOCK_SUBJECT,
    TRANSITIONS,
    HazardGrade,
    HazardSource,
    HazardStatus,
    five_labels,
    missing_five,
    needs_resumption_approval,
)
from anxin.safety.hazard_scoping import site_in_scope
from anxin.safety.models import Site
from anxin.safety.models_hazards import (
    Hazard,
    HazardEvent,
    ResumptionApplication,
    ResumptionStatus,
)
from anxin.safety.services import site_event_record, site_events_record
from anxin.supervision import services as clock_services
from anxin.supervision.choices import OPEN_STATES as CLOCK_OPEN
from anxin.supervision.choices import ClockRule
from anxin.supervision.selectors import clocks_for

EVIDENCE = "evidence"


class HazardStateConflict(ServiceError):
    status = 409
    code = "invalid_state"


class FiveImplementationsMissing(ServiceError):
    """A major hazard's rectification cannot start without all of 五落实 (16号令 Art. 15)."""

    status = 400
    code = "five_implementations_missing"


class ResumptionNotApproved(ServiceError):
    """安全生产法 Art. 65(3): the resumption of production is reviewed and approved first."""

    status = 409
    code = "resumption_not_approved"


def action_label(action: str) -> str:
    labels = {
        "register": pgettext("hazard action", "register"),
        "start_rectification": pgettext("hazard action", "start the rectification"),
        "submit_rectification": pgettext("hazard action", "submit the rectification"),
        "verify": pgettext("hazard action", "verify the rectification"),
        "approve_resumption": pgettext("hazard action", "approve the resumption"),
        "list_for_supervision": pgettext("hazard action", "list for supervision"),
        "close": pgettext("hazard action", "close"),
        "void": pgettext("hazard action", "void"),
        "regrade": pgettext("hazard action", "regrade"),
        "apply_resumption": pgettext("hazard action", "apply to resume production"),
        "refuse_resumption": pgettext("hazard action", "refuse the resumption"),
    }
    return str(labels.get(action, action))


# --- shared steps -----------------------------------------------------------------------------


def _label(actor: User | None) -> str:
    return actor.display_name if actor is not None else _("System")


def _today() -> dt.date:
    return timezone.localdate()


def _event(
    hazard: Hazard,
    kind: str,
    actor: User | None,
    /,
    *,
    at: dt.datetime | None = None,
    public: bool = False,
    **data: Any,
) -> None:
    """The hazard's timeline, the site's timeline and the audit trail, in one go.

    ``public``: a report from the public — labelled as such, and no address is kept."""
    HazardEvent.objects.create(
        hazard=hazard,
        at=at or timezone.now(),
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=_("(public report)") if public else _label(actor),
        data=data,
    )
    if hazard.site_id is not None:
        assert hazard.site is not None
        site_event_record(
            site=hazard.site, kind=f"hazard_{kind}", actor=actor, at=at, hazard=hazard.number
        )
    audit_record(actor=actor, action=f"hazard.{kind}", obj=hazard, after=data, public=public)


def _lock(hazard: Hazard, version: int | None) -> Hazard:
    locked = (
        Hazard.objects.select_for_update(of=("self",))
        .select_related("site", "site__unit", "site__regulating_unit", "unit")
        .get(pk=hazard.pk)
    )
    check_version(locked, version)
    return locked


def _step(actor: User | None, hazard: Hazard, action: str, version: int | None) -> Hazard:
    """Lock the hazard, check its version, its state and the actor's right to take the step."""
    allowed, _target, permission = TRANSITIONS[action]
    locked = _lock(hazard, version)
    if locked.status not in allowed:
        raise HazardStateConflict(
            _("The hazard is %(status)s; “%(action)s” is not possible in this state.")
            % {"status": locked.get_status_display(), "action": action_label(action)},
            extra={"status": locked.status},
        )
    if (
        actor is not None
        and not Hazard.objects.restrict(actor, permission).filter(pk=locked.pk).exists()
    ):
        raise PermissionDenied
    return locked


def _save(hazard: Hazard, *fields: str) -> None:
    hazard.version += 1
    hazard.updated_at = timezone.now()
    hazard.save(update_fields=[*fields, "version", "updated_at"])


def _check_site(actor: User | None, site: Site, action: str = "hazard.manage") -> None:
    if actor is not None and not site_in_scope(actor, action, site):
        raise PermissionDenied


def _check_deadline(deadline: dt.date | None, found_on: dt.date) -> None:
    if deadline is not None and deadline < found_on:
        raise ValidationError(
            {"deadline": _("The deadline cannot be before the day the hazard was found.")}
        )


def _found_on(hazard: Hazard) -> dt.date:
    return timezone.localdate(hazard.found_at)


def _when(hazard: Hazard, at: dt.datetime | None) -> dt.datetime:
    """When the step happened: now, or a past moment (an import, the demo data, a record
    written up after the fact) — never before the hazard was found, never in the future."""
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + dt.timedelta(minutes=10) or at < hazard.found_at:
        raise ValidationError(
            {"at": _("The time of the step must lie between the finding and now.")}
        )
    return at


# --- the deadline clock (supervision's one table) ----------------------------------------------


def _clock_unit(hazard: Hazard) -> Unit:
    return hazard.site.unit if hazard.site is not None else hazard.unit


def _clock_set(actor: User | None, hazard: Hazard, deadline: dt.date, on: dt.date) -> None:
    """Start ``rectify_by`` or move it to ``deadline`` (a later date extends, an earlier one
    restarts it: the cancelled clock stays as history)."""
    live = clocks_for(CLOCK_SUBJECT, hazard.pk).get(CLOCK_NAME)
    if live is not None and live.state not in CLOCK_OPEN:
        return  # stopped by the verification: the deadline no longer counts
    start_on = min(on, deadline)
    if live is not None:
        if deadline == live.due_on:
            return
        if deadline > live.due_on:
            clock_services.clock_extend(
                actor=actor,
                subject_type=CLOCK_SUBJECT,
                subject_id=hazard.pk,
                name=CLOCK_NAME,
                days=(deadline - live.due_on).days,
                reason="deadline moved",
            )
            return
        clock_services.clock_cancel(
            actor=actor,
            subject_type=CLOCK_SUBJECT,
            subject_id=hazard.pk,
            name=CLOCK_NAME,
            on=on,
            reason="deadline moved",
        )
        start_on = min(live.start_on, deadline)
    clock_services.clock_start(
        actor=actor,
        subject_type=CLOCK_SUBJECT,
        subject_id=hazard.pk,
        name=CLOCK_NAME,
        unit=_clock_unit(hazard),
        rule=ClockRule.FIXED,
        start_on=start_on,
        due_on=deadline,
    )


def _clock_end(actor: User | None, hazard: Hazard, *, on: dt.date | None, cancel: bool) -> None:
    live = clocks_for(CLOCK_SUBJECT, hazard.pk).get(CLOCK_NAME)
    if live is None or live.state not in CLOCK_OPEN:
        return
    if cancel:
        clock_services.clock_cancel(
            actor=actor, subject_type=CLOCK_SUBJECT, subject_id=hazard.pk, name=CLOCK_NAME
        )
    else:
        clock_services.clock_stop(
            actor=actor,
            subject_type=CLOCK_SUBJECT,
            subject_id=hazard.pk,
            name=CLOCK_NAME,
            on=max(on or _today(), live.start_on),
        )


def _set_deadline(actor: User | None, hazard: Hazard, deadline: dt.date, on: dt.date) -> None:
    hazard.deadline = deadline
    _clock_set(actor, hazard, deadline, on)


# --- creation ----------------------------------------------------------------------------------


def _validate_recurrence(recurrence_of: Hazard | None, site: Site | None) -> None:
    if recurrence_of is None:
        return
    if recurrence_of.status != HazardStatus.CLOSED:
        raise ValidationError(
            {"recurrence_of": _("Only a closed hazard can recur; this one is still open.")}
        )
    if site is None or recurrence_of.site_id != site.pk:
        raise ValidationError({"recurrence_of": _("A recurrence is of a hazard of the same site.")})


@transaction.atomic
def hazard_create(
    *,
    actor: User | None,
    description: str,
    site: Site | None = None,
    unit: Unit | None = None,
    grade: str = HazardGrade.GENERAL,
    deadline: dt.date | None = None,
    place: str = "",
    found_at: dt.datetime | None = None,
    status: str = HazardStatus.REGISTERED,
    source: str = HazardSource.OTHER,
    production_stopped: bool = False,
    recurrence_of: Hazard | None = None,
    inspection: Any = None,
    inspection_result: Any = None,
    checklist_item: Any = None,
    on: dt.date | None = None,
    public: bool = False,
    responsible: str = "",
    measures: str = "",
    funds: Decimal | None = None,
) -> Hazard:
    """Record a hazard: ``registered`` (found by staff, with its site) or ``reported`` (the
    triage queue; a site is optional, the unit of the place is then required).

    ``responsible``, ``measures`` and ``funds`` record a rectification plan already known when
    the hazard is registered (a ledger's 整改责任人/整改措施/整改资金 columns); starting the
    rectification still asks for 五落实 as usual."""
    if actor is not None and not can(actor, "hazard.manage"):
        raise PermissionDenied
    errors: dict[str, str] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = _("Describe the hazard.")
    if grade not in HazardGrade.values:
        errors["grade"] = _("The grade is general or major.")
    if status not in (HazardStatus.REPORTED, HazardStatus.REGISTERED):
        errors["status"] = _("A new hazard is reported or registered.")
    if source not in HazardSource.values:
        errors["source"] = _("Unknown source.")
    if site is None and status == HazardStatus.REGISTERED:
        errors["site"] = _("Choose the site of the hazard.")
    if site is None and unit is None:
        errors.setdefault("site", _("Choose the site of the hazard, or the unit of its place."))
    if funds is not None and funds < 0:
        errors["funds"] = _("The funds cannot be negative.")
    if errors:
        raise ValidationError(errors)
    if site is not None:
        _check_site(actor, site)
        unit = site.unit
    else:
        assert unit is not None
        from anxin.core.scoping import unit_in_scope

        if actor is not None and not unit_in_scope(actor, "hazard.manage", unit):
            raise PermissionDenied
    found_at = found_at or timezone.now()
    _check_deadline(deadline, timezone.localdate(found_at))
    _validate_recurrence(recurrence_of, site)
    assert unit is not None
    hazard = Hazard(
        site=site,
        unit=unit,
        description=description,
        place=(place or "").strip()[:200],
        grade=grade,
        status=status,
        source=source,
        found_at=found_at,
        deadline=deadline,
        production_stopped=bool(production_stopped),
        recurrence_of=recurrence_of,
        inspection=inspection,
        inspection_result=inspection_result,
        checklist_item=checklist_item,
        responsible=(responsible or "").strip()[:100],
        measures=(measures or "").strip(),
        funds=funds,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    hazard.save(force_insert=True)
    if deadline is not None and status == HazardStatus.REGISTERED:
        _clock_set(actor, hazard, deadline, on or timezone.localdate(found_at))
    _event(
        hazard,
        "reported" if status == HazardStatus.REPORTED else "registered",
        actor,
        at=found_at,
        public=public and actor is None,
        grade=grade,
        deadline=deadline.isoformat() if deadline else None,
        source=source,
        inspection=str(inspection.uid) if inspection is not None else None,
        recurrence_of=recurrence_of.number if recurrence_of is not None else None,
    )
    return hazard


class HazardRowRefused(Exception):
    """One hazard of :func:`hazards_import` was refused: ``index`` into its rows, ``error``
    the ``ValidationError`` or ``PermissionDenied`` that :func:`hazard_create` would have
    raised for it. Nothing was saved."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index = index
        self.error = error


#: hazards per INSERT of hazards_import
IMPORT_BATCH = 1000


#: the columns hazards_import writes (the others keep their defaults: no inspection, no
#: supervision listing, version 1 …)
_IMPORT_FIELDS = (
    "uid",
    "site_id",
    "unit_id",
    "description",
    "place",
    "grade",
    "status",
    "source",
    "found_at",
    "deadline",
    "production_stopped",
    "responsible",
    "measures",
    "funds",
    "created_by_id",
    "created_at",
    "updated_at",
)
_EVENT_FIELDS = ("hazard_id", "at", "kind", "actor_id", "actor_label", "data")
_GRADES = frozenset(HazardGrade.values)
_SOURCES = frozenset(HazardSource.values)


@transaction.atomic
def hazards_import(
    *, actor: User | None, rows: list[dict[str, Any]], source: str = HazardSource.OTHER
) -> list[Hazard]:
    """Register many hazards at once (a ledger import): what :func:`hazard_create` does for
    one registered hazard with its site, for every row, in a number of statements that does
    not depend on the number of rows.

    Each row gives ``site`` (required), ``description``, and optionally ``place``, ``grade``,
    ``deadline``, ``found_at``, ``responsible``, ``measures`` and ``funds``. Every row is
    checked first with :func:`hazard_create`'s checks and messages (each distinct site's scope
    once); the first refused row raises :class:`HazardRowRefused` and nothing is saved. Then
    the hazards are inserted in batches, their ``rectify_by`` clocks started with
    :func:`anxin.supervision.services.clock_start_many`, and their timeline lines, their
    sites' timeline lines and their audit events (``hazard.registered`` for each, as one by
    one) inserted in batches too. The rows go to the database as tuples
    (:class:`anxin.core.bulk.RowInserter`), not as model instances built one by one.
    """
    if actor is not None and not can(actor, "hazard.manage"):
        raise PermissionDenied
    now = timezone.now()
    tz = timezone.get_current_timezone()
    creator = actor if actor is not None and actor.is_authenticated else None
    creator_id = creator.pk if creator is not None else None
    allowed: dict[int, bool] = {}
    values: list[tuple[Any, ...]] = []
    sites: list[Site] = []
    for index, row in enumerate(rows):
        try:
            site, value = _import_one(actor, row, source, now, creator_id, allowed, tz)
        except (ValidationError, PermissionDenied) as exc:
            raise HazardRowRefused(index, exc) from exc
        sites.append(site)
        values.append(value)
    inserter = RowInserter(Hazard, _IMPORT_FIELDS)
    keys = inserter.write(values, batch=IMPORT_BATCH)
    made: list[Hazard] = inserter.instances(values, keys)  # type: ignore[assignment]
    numbers: list[str] = []
    for h, key, site in zip(made, keys, sites, strict=True):
        h._state.fields_cache = {"site": site}  # as hazard_create's instance: its site at hand
        numbers.append(f"YH{h.found_at.astimezone(tz).year}-{key:06d}")  # Hazard.number
    starts = [
        {
            "subject_type": CLOCK_SUBJECT,
            "subject_id": key,
            "name": CLOCK_NAME,
            "unit": site.unit,  # _clock_unit: the site's unit
            "rule": ClockRule.FIXED,
            "start_on": min(h.found_at.astimezone(tz).date(), h.deadline),
            "due_on": h.deadline,
        }
        for h, key, site in zip(made, keys, sites, strict=True)
        if h.deadline is not None
    ]
    try:
        clock_services.clock_start_many(actor=actor, clocks=starts)
    except clock_services.ClockRefused as exc:
        subject = starts[exc.index]["subject_id"]
        raise HazardRowRefused(
            next(i for i, h in enumerate(made) if h.pk == subject), exc.error
        ) from exc
    label = _label(actor)
    datas = [
        {
            "grade": h.grade,
            "deadline": h.deadline.isoformat() if h.deadline else None,
            "source": h.source,
            "inspection": None,
            "recurrence_of": None,
        }
        for h in made
    ]
    RowInserter(HazardEvent, _EVENT_FIELDS).write(
        [
            (key, h.found_at, "registered", creator_id, label, data)
            for h, key, data in zip(made, keys, datas, strict=True)
        ],
        batch=IMPORT_BATCH,
    )
    site_events_record(
        [
            {"site_id": h.site_id, "kind": "hazard_registered", "at": h.found_at, "hazard": number}
            for h, number in zip(made, numbers, strict=True)
        ],
        actor=actor,
    )
    audit_record_many(
        actor=actor,
        entries=[
            {"action": "hazard.registered", "obj": h, "object_repr": number, "after": data}
            for h, number, data in zip(made, numbers, datas, strict=True)
        ],
        created=True,
    )
    return made


def _import_one(
    actor: User | None,
    row: dict[str, Any],
    source: str,
    now: dt.datetime,
    creator_id: int | None,
    allowed: dict[int, bool],
    tz: Any,
) -> tuple[Site, tuple[Any, ...]]:
    """One row of :func:`hazards_import`, checked as :func:`hazard_create` checks it: its
    site and its values of :data:`_IMPORT_FIELDS`."""
    site: Site | None = row.get("site")
    grade = row.get("grade") or HazardGrade.GENERAL
    funds = row.get("funds")
    errors: dict[str, str] = {}
    description = (row.get("description") or "").strip()
    if not description:
        errors["description"] = _("Describe the hazard.")
    if grade not in _GRADES:
        errors["grade"] = _("The grade is general or major.")
    if source not in _SOURCES:
        errors["source"] = _("Unknown source.")
    if site is None:
        errors["site"] = _("Choose the site of the hazard.")
    if funds is not None and funds < 0:
        errors["funds"] = _("The funds cannot be negative.")
    if errors:
        raise ValidationError(errors)
    assert site is not None
    if site.pk not in allowed:
        allowed[site.pk] = actor is None or site_in_scope(actor, "hazard.manage", site)
    if not allowed[site.pk]:
        raise PermissionDenied
    found_at = row.get("found_at") or now
    if timezone.is_naive(found_at):  # as Model.save() would store it (without the warning)
        found_at = timezone.make_aware(found_at)
    deadline = row.get("deadline")
    if deadline is not None:
        _check_deadline(deadline, found_at.astimezone(tz).date())
    return site, (
        uuid.uuid4(),
        site.pk,
        site.unit_id,
        description,
        (row.get("place") or "").strip()[:200],
        str(grade),
        str(HazardStatus.REGISTERED),
        str(source),
        found_at,
        deadline,
        False,
        (row.get("responsible") or "").strip()[:100],
        (row.get("measures") or "").strip(),
        funds,
        creator_id,
        now,
        now,
    )


# --- the steps -------------------------------------------------------------------------------
#
# Each takes ``at``: when the step happened (default now; see ``_when``).


@transaction.atomic
def hazard_register(
    *,
    actor: User | None,
    hazard: Hazard,
    version: int | None = None,
    site: Site | None = None,
    grade: str | None = None,
    deadline: dt.date | None = None,
    production_stopped: bool | None = None,
    at: dt.datetime | None = None,
) -> Hazard:
    """reported → registered: the triage found it real; it now belongs to a site."""
    hazard = _step(actor, hazard, "register", version)
    at = _when(hazard, at)
    site = site or hazard.site
    if site is None:
        raise ValidationError({"site": _("Choose the site of the hazard.")})
    _check_site(actor, site)
    if grade is not None and grade not in HazardGrade.values:
        raise ValidationError({"grade": _("The grade is general or major.")})
    _check_deadline(deadline, _found_on(hazard))
    if deadline is None and hazard.deadline is not None:
        # a deadline given with the report: its clock starts with the registration
        deadline = hazard.deadline
    hazard.site, hazard.unit = site, site.unit
    hazard.grade = grade or hazard.grade
    if production_stopped is not None:
        hazard.production_stopped = bool(production_stopped)
    hazard.status = HazardStatus.REGISTERED
    fields = ["site", "unit", "grade", "production_stopped", "status"]
    if deadline is not None:
        _set_deadline(actor, hazard, deadline, timezone.localdate(at))
        fields.append("deadline")
    _save(hazard, *fields)
    _event(hazard, "registered", actor, at=at, grade=hazard.grade, deadline=_iso(hazard.deadline))
    return hazard


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _who(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


@transaction.atomic
def hazard_start_rectification(
    *,
    actor: User | None,
    hazard: Hazard,
    version: int | None = None,
    responsible: str = "",
    measures: str = "",
    funds: Decimal | None = None,
    deadline: dt.date | None = None,
    contingency_plan: str = "",
    production_stopped: bool | None = None,
    at: dt.datetime | None = None,
) -> Hazard:
    """registered → rectifying, under 五落实; the ``deadline`` given replaces the hazard's.

    A major hazard needs all five (16号令 Art. 15): 400 naming the missing ones.
    """
    hazard = _step(actor, hazard, "start_rectification", version)
    at = _when(hazard, at)
    if funds is not None and funds < 0:
        raise ValidationError({"funds": _("The funds cannot be negative.")})
    deadline = deadline or hazard.deadline
    responsible = (responsible or "").strip()
    measures = (measures or "").strip()
    contingency_plan = (contingency_plan or "").strip()
    plan = {
        "responsible": responsible,
        "measures": measures,
        "funds": funds,
        "deadline": deadline,
        "contingency_plan": contingency_plan,
    }
    if hazard.grade == HazardGrade.MAJOR:
        missing = missing_five(plan)
        if missing:
            raise FiveImplementationsMissing(
                _("A major hazard needs all five in place first: %(missing)s")
                % {"missing": five_labels(missing)},
                extra={"missing": missing},
            )
    elif deadline is None:
        raise ValidationError({"deadline": _("Set the deadline for the rectification.")})
    assert deadline is not None
    _check_deadline(deadline, _found_on(hazard))
    hazard.responsible = responsible[:100]
    hazard.measures = measures
    hazard.funds = funds
    hazard.contingency_plan = contingency_plan
    if production_stopped is not None:
        hazard.production_stopped = bool(production_stopped)
    _set_deadline(actor, hazard, deadline, timezone.localdate(at))
    hazard.status = HazardStatus.RECTIFYING
    _save(
        hazard,
        "responsible",
        "measures",
        "funds",
        "contingency_plan",
        "production_stopped",
        "deadline",
        "status",
    )
    _event(
        hazard,
        "rectification_started",
        actor,
        at=at,
        responsible=hazard.responsible,
        measures=hazard.measures,
        funds=str(funds) if funds is not None else None,
        deadline=deadline.isoformat(),
        contingency_plan=hazard.contingency_plan,
        production_stopped=hazard.production_stopped,
    )
    return hazard


def _require_contact(actor: User | None, hazard: Hazard) -> None:
    """Only the site's enterprise contact, from their own login (the system may, too)."""
    if (
        actor is not None
        and not Hazard.objects.restrict(actor, "hazard.submit").filter(pk=hazard.pk).exists()
    ):
        raise PermissionDenied


@transaction.atomic
def hazard_evidence_add(*, actor: User | None, hazard: Hazard, upload: Any) -> Any:
    """The enterprise adds a file showing the rectification (GPS always stripped)."""
    hazard = _lock(hazard, None)
    _require_contact(actor, hazard)
    if hazard.status != HazardStatus.RECTIFYING:
        raise HazardStateConflict(
            _("Evidence is added while the hazard is being rectified; it is %(status)s.")
            % {"status": hazard.get_status_display()},
            extra={"status": hazard.status},
        )
    return attachment_add(actor=actor, owner=hazard, upload=upload, purpose=EVIDENCE)


def new_evidence(hazard: Hazard) -> Any:
    """The evidence not yet part of a submission (after a failed verification, new files are
    needed)."""
    submitted: set[str] = set()
    for data in HazardEvent.objects.filter(
        hazard=hazard, kind="rectification_submitted"
    ).values_list("data", flat=True):
        submitted.update(data.get("file_ids", []))
    return attachments_of(hazard).filter(purpose=EVIDENCE).exclude(uid__in=list(submitted))


@transaction.atomic
def hazard_submit_rectification(
    *,
    actor: User | None,
    hazard: Hazard,
    version: int | None = None,
    note: str = "",
    files: Iterable[Any] = (),
    at: dt.datetime | None = None,
) -> Hazard:
    """rectifying → submitted: ONLY the site's enterprise contact, with evidence files."""
    hazard = _step(actor, hazard, "submit_rectification", version)
    at = _when(hazard, at)
    attachments_add(actor=actor, owner=hazard, uploads=files, purpose=EVIDENCE)
    evidence = list(new_evidence(hazard).values_list("uid", "name"))
    if not evidence:
        raise ValidationError({"files": _("Attach at least one file showing the rectification.")})
    hazard.status = HazardStatus.SUBMITTED
    hazard.submitted_at = at
    _save(hazard, "status", "submitted_at")
    _event(
        hazard,
        "rectification_submitted",
        actor,
        at=at,
        note=(note or "").strip(),
        files=[name for _uid, name in evidence],
        file_ids=[str(uid) for uid, _name in evidence],
    )
    return hazard


@transaction.atomic
def hazard_verify(
    *,
    actor: User | None,
    hazard: Hazard,
    version: int | None = None,
    passed: bool | None = None,
    notes: str = "",
    deadline: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Hazard:
    """验收: passed → verified (the clock stops on the day the evidence came in); not passed →
    back to rectifying with the reasons (and, if given, a new deadline)."""
    hazard = _step(actor, hazard, "verify", version)
    at = _when(hazard, at)
    notes = (notes or "").strip()
    if passed is None:
        raise ValidationError({"passed": _("Say whether the rectification passed.")})
    hazard.verification_notes = notes
    if passed:
        hazard.status = HazardStatus.VERIFIED
        hazard.verified_at = at
        hazard.verified_by = _who(actor)
        done_on = timezone.localdate(hazard.submitted_at or at)
        _clock_end(actor, hazard, on=done_on, cancel=False)
        _save(hazard, "status", "verified_at", "verified_by", "verification_notes")
        _event(hazard, "verified", actor, at=at, notes=notes)
        return hazard
    if not notes:
        raise ValidationError({"notes": _("Give the reasons why the rectification did not pass.")})
    fields = ["status", "verification_notes"]
    if deadline is not None:
        _check_deadline(deadline, _found_on(hazard))
        _set_deadline(actor, hazard, deadline, timezone.localdate(at))
        fields.append("deadline")
    hazard.status = HazardStatus.RECTIFYING
    _save(hazard, *fields)
    _event(hazard, "verification_failed", actor, at=at, notes=notes, deadline=_iso(deadline))
    return hazard


@transaction.atomic
def hazard_approve_resumption(
    *,
    actor: User | None,
    hazard: Hazard,
    version: int | None = None,
    notes: str = "",
    at: dt.datetime | None = None,
) -> Hazard:
    """The review approving the resumption of production (安全生产法 Art. 65(3); 16号令 Art. 18)."""
    hazard = _step(actor, hazard, "approve_resumption", version)
    at = _when(hazard, at)
    if not needs_resumption_approval(production_stopped=hazard.production_stopped):
        raise ValidationError(
            _("Only a major hazard that stopped production needs a resumption approval.")
        )
    if hazard.resumption_approved_at is not None:
        raise HazardStateConflict(_("The resumption has already been approved."))
    hazard.resumption_approved_at = at
    hazard.resumption_approved_by = _who(actor)
    hazard.resumption_notes = (notes or "").strip()
    application = resumption_decide(
        actor, hazard, approved=True, notes=hazard.resumption_notes, at=at
    )
    _save(hazard, "resumption_approved_at", "resumption_approved_by", "resumption_notes")
    _event(
        hazard,
        "resumption_approved",
        actor,
        at=at,
        notes=hazard.resumption_notes,
        application=application.number if application else None,
    )
    return hazard


def resumption_pending(hazard: Hazard) -> ResumptionApplication | None:
    return (
        ResumptionApplication.objects.select_for_update()
        .filter(hazard=hazard, status=ResumptionStatus.PENDING)
        .first()
    )


def resumption_decide(
    actor: User | None, hazard: Hazard, *, approved: bool, notes: str, at: dt.datetime
) -> ResumptionApplication | None:
    """Decide the pending written application (if any) and stop its review clock: met when
    decided within the period (16号令 Art. 23)."""
    application = resumption_pending(hazard)
    if application is None:
        return None
    application.status = ResumptionStatus.APPROVED if approved else ResumptionStatus.REFUSED
    application.decided_at = at
    application.decided_by = _who(actor)
    application.decision_notes = notes
    application.save(update_fields=["status", "decided_at", "decided_by", "decision_notes"])
    live = clocks_for(CLOCK_SUBJECT, hazard.pk).get(application.clock_name)
    if live is not None and live.state in CLOCK_OPEN:
        clock_services.clock_stop(
            actor=actor,
            subject_type=CLOCK_SUBJECT,
            subject_id=hazard.pk,
            name=application.clock_name,
            on=max(timezone.localdate(at), live.start_on),
        )
    return application


@transaction.atomic
def hazard_list_for_supervision(
    *,
    actor: User | None,
    hazard: Hazard,
    version: int | None = None,
    unit: Unit | None = None,
    document: str = "",
    at: dt.datetime | None = None,
) -> Hazard:
    """挂牌督办 of a major hazard, naming the supervising authority."""
    hazard = _step(actor, hazard, "list_for_supervision", version)
    at = _when(hazard, at)
    if hazard.grade != HazardGrade.MAJOR:
        raise ValidationError(
            {"grade": _("Only a major hazard is listed for supervision (挂牌督办).")}
        )
    if hazard.supervision_unit_id is not None:
        raise HazardStateConflict(_("The hazard is already listed for supervision."))
    if unit is None:
        raise ValidationError({"unit": _("Name the supervising authority.")})
    hazard.supervision_unit = unit
    hazard.supervision_listed_at = at
    hazard.supervision_document = (document or "").strip()[:100]
    _save(hazard, "supervision_unit", "supervision_listed_at", "supervision_document")
    _event(
        hazard,
        "listed_for_supervision",
        actor,
        at=at,
        unit=unit.code,
        unit_name=unit.name,
        document=hazard.supervision_document,
    )
    return hazard


@transaction.atomic
def hazard_close(
    *,
    actor: User | None,
    hazard: Hazard,
    version: int | None = None,
    notes: str = "",
    at: dt.datetime | None = None,
) -> Hazard:
    """销号, after a passed verification and — for a major hazard that stopped production — the
    recorded approval of the resumption (安全生产法 Art. 65(3))."""
    hazard = _step(actor, hazard, "close", version)
    at = _when(hazard, at)
    if (
        needs_resumption_approval(production_stopped=hazard.production_stopped)
        and hazard.resumption_approved_at is None
    ):
        raise ResumptionNotApproved(
            _(
                "Production stopped for this major hazard: record the review approving the "
                "resumption before closing it (Work Safety Law, Art. 65(3))."
            )
        )
    hazard.status = HazardStatus.CLOSED
    hazard.closed_at = at
    hazard.closed_by = _who(actor)
    _save(hazard, "status", "closed_at", "closed_by")
    _event(hazard, "closed", actor, at=at, notes=(notes or "").strip())
    from anxin.safety.signals import hazard_closed

    closed = hazard
    transaction.on_commit(
        lambda: hazard_closed.send(sender=Hazard, hazard=closed, actor=actor), robust=True
    )
    return hazard


@transaction.atomic
def hazard_void(
    *,
    actor: User | None,
    hazard: Hazard,
    version: int | None = None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Hazard:
    """Void a report or a registration made in error, with a reason (kept on the record)."""
    hazard = _step(actor, hazard, "void", version)
    at = _when(hazard, at)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for voiding.")})
    _clock_end(actor, hazard, on=None, cancel=True)
    hazard.status = HazardStatus.VOID
    hazard.void_reason = reason
    _save(hazard, "status", "void_reason")
    _event(hazard, "voided", actor, at=at, reason=reason)
    return hazard


# --- one dispatcher for the API and the pages -------------------------------------------------


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Enter a valid date.")}) from None


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None


def _bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes", "on")


def unit_by_code(code: Any, field: str) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=str(code), is_active=True).first()
    if unit is None:
        raise ValidationError({field: _("Unknown unit code: %(code)s") % {"code": code}})
    return unit


def site_by_id(user: Any, value: Any, field: str = "site") -> Site | None:
    """A site the person can see, by its opaque id (unknown or out of scope: a field error)."""
    if not value:
        return None
    try:
        uid = uuid.UUID(str(value))
    except ValueError:
        uid = None
    qs: Any = Site.objects.select_related("unit", "regulating_unit")
    if user is not None:
        qs = qs.restrict(user, "view")
    site = qs.filter(uid=uid).first() if uid is not None else None
    if site is None:
        raise ValidationError({field: _("Unknown site.")})
    return site


def run(action: str, *, actor: User | None, hazard: Hazard, data: dict[str, Any]) -> Hazard:
    v = data.get("version")
    if action == "register":
        return hazard_register(
            actor=actor,
            hazard=hazard,
            version=v,
            site=site_by_id(actor, data.get("site")),
            grade=data.get("grade") or None,
            deadline=_date(data.get("deadline"), "deadline"),
            production_stopped=_bool(data.get("production_stopped")),
        )
    if action == "start_rectification":
        return hazard_start_rectification(
            actor=actor,
            hazard=hazard,
            version=v,
            responsible=data.get("responsible") or "",
            measures=data.get("measures") or "",
            funds=_decimal(data.get("funds"), "funds"),
            deadline=_date(data.get("deadline"), "deadline"),
            contingency_plan=data.get("contingency_plan") or "",
            production_stopped=_bool(data.get("production_stopped")),
        )
    if action == "submit_rectification":
        return hazard_submit_rectification(
            actor=actor,
            hazard=hazard,
            version=v,
            note=data.get("note") or "",
            files=data.get("files") or (),
        )
    if action == "verify":
        return hazard_verify(
            actor=actor,
            hazard=hazard,
            version=v,
            passed=_bool(data.get("passed")),
            notes=data.get("notes") or "",
            deadline=_date(data.get("deadline"), "deadline"),
        )
    if action == "approve_resumption":
        return hazard_approve_resumption(
            actor=actor, hazard=hazard, version=v, notes=data.get("notes") or ""
        )
    if action == "list_for_supervision":
        return hazard_list_for_supervision(
            actor=actor,
            hazard=hazard,
            version=v,
            unit=unit_by_code(data.get("unit"), "unit"),
            document=data.get("document") or "",
        )
    if action == "close":
        return hazard_close(actor=actor, hazard=hazard, version=v, notes=data.get("notes") or "")
    if action == "void":
        return hazard_void(actor=actor, hazard=hazard, version=v, reason=data.get("reason") or "")
    if action == "regrade":
        from anxin.safety.hazard_review import hazard_regrade

        return hazard_regrade(
            actor=actor,
            hazard=hazard,
            version=v,
            grade=data.get("grade") or "",
            reason=data.get("reason") or "",
            responsible=data.get("responsible") or "",
            measures=data.get("measures") or "",
            funds=_decimal(data.get("funds"), "funds"),
            contingency_plan=data.get("contingency_plan") or "",
        )
    if action == "apply_resumption":
        from anxin.safety.hazard_review import hazard_apply_resumption

        return hazard_apply_resumption(
            actor=actor,
            hazard=hazard,
            version=v,
            text=data.get("text") or "",
            scan=data.get("scan") or None,
        )
    if action == "refuse_resumption":
        from anxin.safety.hazard_review import hazard_refuse_resumption

        return hazard_refuse_resumption(
            actor=actor, hazard=hazard, version=v, reasons=data.get("reason") or ""
        )
    raise ValidationError(_("Unknown action."))
