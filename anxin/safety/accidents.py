"""The write path (services) and the read path (selectors) of accidents, under 493号令.

Services are keyword-only functions ``accident_<verb>(*, actor, accident, version=None, ...)``;
each runs in one transaction, checks the actor's scope on the accident's unit
(``accident.manage``), keeps the clocks in supervision's one table, adds a report row where the
step is a report, and records the audit event in that transaction. ``actor=None`` is the system
(an operator's command, the demo data).

The clocks (names as in the API's ``deadlines``; rules and articles in
:mod:`anxin.safety.accident_rules`):

- ``county_report_by`` (hours): 1 hour from ``unit_informed_at`` (Art. 9); stopped by the
  county report;
- ``city_report_by``, ``province_report_by``, ``state_report_by`` (hours): 2 hours from the
  report reaching the level below (Art. 11), up to the level the grade requires (Art. 10);
- ``supplementary_until`` (fixed date): the window for casualty changes, 30 days or 7 for road
  traffic and fires (Art. 13, 20); closed when the investigation report is received;
- ``investigation_report_by`` (calendar days): 60 days from the accident, extended by at most
  60 days, technical appraisal not counted (Art. 27, 29);
- ``approval_by`` (calendar days): 15 days from receiving the investigation report, 30 for
  特别重大, which alone may be extended by at most 30 (Art. 32).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.core.audit import audit_record
from anxin.core.choices import DIVISION_KINDS
from anxin.core.errors import ServiceError, check_version
from anxin.core.models import Unit, User
from anxin.core.scoping import get_for_user, unit_in_scope
from anxin.safety import accident_rules as rules
from anxin.safety.accident_rules import AccidentGrade, AccidentKind, ReportLevel
from anxin.safety.hazard_rules import HazardStatus
from anxin.safety.models import Site
from anxin.safety.models_accidents import Accident, AccidentReport, ReportKind
from anxin.safety.models_hazards import Hazard
from anxin.supervision import services as clocks
from anxin.supervision.models import Clock
from anxin.supervision.selectors import clocks_for

SUBJECT = "safety.accident"
#: a time "now" may run ahead of the server by this much (a phone's clock)
FUTURE_SKEW = dt.timedelta(minutes=5)
MAX_LOSS = Decimal("9999999999999.99")

#: Sent after commit when a report changed the grade (Art. 20), with ``accident``, ``before``,
#: ``after`` (grade codes) and ``actor``: a higher government may now investigate.
accident_regraded = Signal()


class AccidentStateError(ServiceError):
    status = 409
    code = "invalid_state"


class SupplementWindowClosed(ServiceError):
    status = 409
    code = "supplement_window_closed"


# --- input checks ------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _moment(field: str, value: Any, errors: dict[str, str]) -> dt.datetime | None:
    """An aware datetime not in the future; errors collected under ``field``."""
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        errors[field] = _("Enter a valid date and time.")
        return None
    if value > _now() + FUTURE_SKEW:
        errors[field] = _("The time cannot be in the future.")
        return None
    return value


def _day(field: str, value: Any) -> dt.date:
    if value is None:
        return timezone.localdate()
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({field: _("Enter a valid date.")})
    if value > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})
    return value


def _count(field: str, value: Any, errors: dict[str, str]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors[field] = _("Enter a whole number, zero or more.")
        return 0
    return value


def _loss(value: Any, errors: dict[str, str]) -> Decimal:
    try:
        loss = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        errors["direct_loss_yuan"] = _("Enter an amount in yuan.")
        return Decimal(0)
    if not loss.is_finite() or loss < 0 or loss > MAX_LOSS:
        errors["direct_loss_yuan"] = _("Enter an amount in yuan, zero or more.")
        return Decimal(0)
    return loss


def _text(field: str, value: Any, errors: dict[str, str], *, max_length: int | None) -> str:
    text = str(value or "").strip()
    if not text:
        errors[field] = _("This field is required.")
    elif max_length is not None and len(text) > max_length:
        errors[field] = _("At most %(n)d characters.") % {"n": max_length}
    return text


# --- shared steps ------------------------------------------------------------------------------


def _snapshot(a: Accident) -> dict[str, Any]:
    return {
        "occurred_at": a.occurred_at,
        "unit_informed_at": a.unit_informed_at,
        "kind": a.kind,
        "deaths": a.deaths,
        "serious_injuries": a.serious_injuries,
        "missing": a.missing,
        "direct_loss_yuan": str(a.direct_loss_yuan),
        "grade": a.grade,
        "unit": a.unit.code,
        "site": str(a.site.uid) if a.site_id and a.site else None,
        "reported_to_county_at": a.reported_to_county_at,
        "highest_level": a.highest_level,
        "investigation_extension_days": a.investigation_extension_days,
        "investigation_report_received_on": a.investigation_report_received_on,
        "approval_extension_days": a.approval_extension_days,
        "approved_on": a.approved_on,
        "version": a.version,
    }


def _audit(actor: User | None, verb: str, a: Accident, before: Any, **extra: Any) -> None:
    audit_record(
        actor=actor,
        action=f"accident.{verb}",
        obj=a,
        before=before,
        after={**_snapshot(a), **extra},
    )


def _lock(actor: User | None, accident: Accident, version: int | None) -> Accident:
    """Lock the accident, check its version and the actor's right to manage it."""
    locked = (
        Accident.objects.select_for_update(of=("self",))
        .select_related("unit", "site")
        .get(pk=accident.pk)
    )
    check_version(locked, version)
    if actor is not None and not unit_in_scope(actor, "accident.manage", locked.unit):
        raise PermissionDenied
    return locked


def _save(a: Accident, *fields: str) -> None:
    a.version += 1
    a.updated_at = _now()
    a.save(update_fields=[*fields, "version", "updated_at"])


def _report_row(
    a: Accident,
    *,
    kind: str,
    level: str,
    at: dt.datetime,
    reporter: str,
    actor: User | None,
    grade_before: str = "",
    note: str = "",
) -> AccidentReport:
    return AccidentReport.objects.create(
        accident=a,
        kind=kind,
        level=level,
        reported_at=at,
        reporter=reporter.strip()[:100],
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
        deaths=a.deaths,
        serious_injuries=a.serious_injuries,
        missing=a.missing,
        direct_loss_yuan=a.direct_loss_yuan,
        grade=a.grade,
        grade_before=grade_before,
        note=note.strip(),
    )


def _open_clocks(a: Accident) -> dict[str, Clock]:
    return {
        name: c for name, c in clocks_for(SUBJECT, a.pk).items() if c.state in ("running", "paused")
    }


def _start_level_clock(actor: User | None, a: Accident, level: str, since: dt.datetime) -> None:
    name = rules.LEVEL_CLOCK[level]
    clocks.clock_start(
        actor=actor,
        subject_type=SUBJECT,
        subject_id=a.pk,
        name=name,
        unit=a.unit,
        rule="hours",
        start_at=since,
        hours=rules.CLOCKS[name].amount,
    )


def _cancel(actor: User | None, a: Accident, name: str, reason: str) -> None:
    clocks.clock_cancel(
        actor=actor, subject_type=SUBJECT, subject_id=a.pk, name=name, reason=reason
    )


def _require_investigating(a: Accident) -> None:
    if a.investigation_report_received_on is not None:
        raise AccidentStateError(
            _("The investigation report has already been received."),
            extra={"stage": a.stage},
        )


# --- reporting (Art. 9–13) ----------------------------------------------------------------------


@transaction.atomic
def accident_report(
    *,
    actor: User | None,
    occurred_at: dt.datetime,
    place: str,
    kind: str,
    summary: str,
    unit: Unit,
    deaths: int = 0,
    serious_injuries: int = 0,
    missing: int = 0,
    direct_loss_yuan: Decimal | int | str = 0,
    unit_informed_at: dt.datetime | None = None,
    site: Site | None = None,
    reported_to_county_at: dt.datetime | None = None,
    reporter: str = "",
) -> Accident:
    """Record an accident: grade it (Art. 3) and start its clocks (Art. 9, 13, 29).

    ``unit_informed_at`` defaults to ``occurred_at``. With ``reported_to_county_at`` the county
    report is recorded at once (:func:`accident_county_reported`).
    """
    if actor is not None and not unit_in_scope(actor, "accident.manage", unit):
        raise PermissionDenied
    errors: dict[str, str] = {}
    occurred = _moment("occurred_at", occurred_at, errors)
    informed = occurred
    if unit_informed_at is not None:
        informed = _moment("unit_informed_at", unit_informed_at, errors)
        if occurred is not None and informed is not None and informed < occurred:
            errors["unit_informed_at"] = _(
                "The unit leader cannot be informed before the accident happened."
            )
    place = _text("place", place, errors, max_length=200)
    summary = _text("summary", summary, errors, max_length=None)
    if kind not in AccidentKind.values:
        errors["kind"] = _("Choose the kind of accident.")
    counts = {
        "deaths": _count("deaths", deaths, errors),
        "serious_injuries": _count("serious_injuries", serious_injuries, errors),
        "missing": _count("missing", missing, errors),
    }
    loss = _loss(direct_loss_yuan, errors)
    if site is not None and (not isinstance(site, Site) or site.pk is None):
        errors["site"] = _("Choose a site from the register.")
    if not isinstance(unit, Unit) or unit.pk is None:
        errors["unit"] = _("Choose a unit.")
    elif unit.kind not in DIVISION_KINDS:
        errors["unit"] = _(
            "The territorial unit is a division (city, district, township, village)."
        )
    if errors:
        raise ValidationError(errors)
    assert occurred is not None and informed is not None
    grading = rules.grade_accident(direct_loss_yuan=loss, **counts)
    now = _now()
    a = Accident(
        occurred_at=occurred,
        unit_informed_at=informed,
        place=place,
        kind=kind,
        summary=summary,
        direct_loss_yuan=loss,
        grade=grading.grade,
        site=site,
        unit=unit,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        updated_at=now,
        **counts,
    )
    a.save(force_insert=True)
    occurred_on = timezone.localdate(occurred)
    clocks.clock_start(
        actor=actor,
        subject_type=SUBJECT,
        subject_id=a.pk,
        name="county_report_by",
        unit=unit,
        rule="hours",
        start_at=informed,
        hours=rules.COUNTY_REPORT_HOURS,
    )
    clocks.clock_start(
        actor=actor,
        subject_type=SUBJECT,
        subject_id=a.pk,
        name="supplementary_until",
        unit=unit,
        rule="fixed",
        start_on=occurred_on,
        due_on=rules.supplementary_until(occurred_on, kind),
    )
    clocks.clock_start(
        actor=actor,
        subject_type=SUBJECT,
        subject_id=a.pk,
        name="investigation_report_by",
        unit=unit,
        rule="calendar_days",
        start_on=occurred_on,
        days=rules.INVESTIGATION_DAYS,
    )
    _audit(actor, "report", a, None, decided_by=list(grading.decided_by))
    if reported_to_county_at is not None:
        a = accident_county_reported(
            actor=actor, accident=a, at=reported_to_county_at, reporter=reporter
        )
    return a


@transaction.atomic
def accident_county_reported(
    *,
    actor: User | None,
    accident: Accident,
    at: dt.datetime,
    reporter: str = "",
    version: int | None = None,
) -> Accident:
    """The unit reported to the county (Art. 9): stop the 1-hour clock, start the next level's.

    A report made before the unit leader was informed (on-site staff reporting directly in an
    emergency, Art. 9 para. 2) is in time.
    """
    a = _lock(actor, accident, version)
    if a.reported_to_county_at is not None:
        raise AccidentStateError(_("The county report is already recorded."))
    errors: dict[str, str] = {}
    at_ = _moment("at", at, errors)
    if at_ is not None and at_ < a.occurred_at:
        errors["at"] = _("The report cannot precede the accident.")
    if errors:
        raise ValidationError(errors)
    assert at_ is not None
    before = _snapshot(a)
    a.reported_to_county_at = at_
    a.highest_level = ReportLevel.COUNTY
    _save(a, "reported_to_county_at", "highest_level")
    clock = clocks.clock_stop(
        actor=actor,
        subject_type=SUBJECT,
        subject_id=a.pk,
        name="county_report_by",
        at=max(at_, a.unit_informed_at),
    )
    _report_row(
        a, kind=ReportKind.COUNTY, level=ReportLevel.COUNTY, at=at_, reporter=reporter, actor=actor
    )
    nxt = rules.next_level(ReportLevel.COUNTY, a.grade)
    if nxt is not None:
        _start_level_clock(actor, a, nxt, at_)
    _audit(actor, "county_reported", a, before, in_time=clock.state == "met")
    return a


@transaction.atomic
def accident_reported_up(
    *,
    actor: User | None,
    accident: Accident,
    level: str,
    at: dt.datetime,
    reporter: str = "",
    version: int | None = None,
) -> Accident:
    """The report reached ``level`` (Art. 10, 11). Levels may be skipped when necessary
    (Art. 10 para. 3, 越级上报): the skipped levels' clocks are cancelled."""
    a = _lock(actor, accident, version)
    if not a.highest_level:
        raise AccidentStateError(_("Record the report to the county first."))
    if level not in ReportLevel.values or rules.level_rank(level) <= rules.level_rank(
        a.highest_level
    ):
        raise ValidationError({"level": _("Choose a level above the one already reached.")})
    errors: dict[str, str] = {}
    at_ = _moment("at", at, errors)
    last = a.reports.exclude(level="").order_by("-reported_at").first()
    if at_ is not None and last is not None and at_ < last.reported_at:
        errors["at"] = _("The report cannot precede the report to the level below.")
    if errors:
        raise ValidationError(errors)
    assert at_ is not None
    before = _snapshot(a)
    open_clocks = _open_clocks(a)
    for skipped in rules.LEVEL_ORDER[
        rules.level_rank(a.highest_level) + 1 : rules.level_rank(level)
    ]:
        name = rules.LEVEL_CLOCK[skipped]
        if name in open_clocks:
            _cancel(actor, a, name, "skipped (493号令 Art. 10)")
    name = rules.LEVEL_CLOCK[level]
    in_time = None
    if name in open_clocks:
        clock = clocks.clock_stop(
            actor=actor, subject_type=SUBJECT, subject_id=a.pk, name=name, at=at_
        )
        in_time = clock.state == "met"
    a.highest_level = level
    _save(a, "highest_level")
    _report_row(a, kind=ReportKind.LEVEL_UP, level=level, at=at_, reporter=reporter, actor=actor)
    nxt = rules.next_level(level, a.grade)
    if nxt is not None:
        _start_level_clock(actor, a, nxt, at_)
    _audit(actor, "reported_up", a, before, level=level, in_time=in_time)
    return a


@transaction.atomic
def accident_supplement(
    *,
    actor: User | None,
    accident: Accident,
    deaths: int,
    serious_injuries: int,
    missing: int,
    direct_loss_yuan: Decimal | int | str | None = None,
    at: dt.datetime | None = None,
    reporter: str = "",
    note: str = "",
    version: int | None = None,
) -> Accident:
    """A supplementary report (补报, Art. 13): new casualties, regraded (Art. 20).

    Refused after the window (30 days, 7 for road traffic and fires) and once the investigation
    report is in. When the grade changes, the report must reach the level the new grade requires
    (a clock starts from this report) and :data:`accident_regraded` is sent after commit.
    """
    a = _lock(actor, accident, version)
    _require_investigating(a)
    errors: dict[str, str] = {}
    at_ = _moment("at", at if at is not None else _now(), errors)
    counts = {
        "deaths": _count("deaths", deaths, errors),
        "serious_injuries": _count("serious_injuries", serious_injuries, errors),
        "missing": _count("missing", missing, errors),
    }
    loss = a.direct_loss_yuan if direct_loss_yuan is None else _loss(direct_loss_yuan, errors)
    if at_ is not None and at_ < a.occurred_at:
        errors["at"] = _("The report cannot precede the accident.")
    if errors:
        raise ValidationError(errors)
    assert at_ is not None
    window = clocks_for(SUBJECT, a.pk).get("supplementary_until")
    if window is None or timezone.localdate(at_) > window.due_on:
        until = window.due_on if window is not None else None
        raise SupplementWindowClosed(
            _(
                "Casualty changes are reported within %(days)d days of the accident "
                "(Regulation No. 493, Art. 13); the window closed on %(date)s."
            )
            % {"days": rules.supplement_days(a.kind), "date": until},
            extra={"supplementary_until": until.isoformat() if until else None},
        )
    before = _snapshot(a)
    old_grade = a.grade
    grading = rules.grade_accident(direct_loss_yuan=loss, **counts)
    a.deaths, a.serious_injuries, a.missing = (
        counts["deaths"],
        counts["serious_injuries"],
        counts["missing"],
    )
    a.direct_loss_yuan = loss
    a.grade = grading.grade
    _save(a, "deaths", "serious_injuries", "missing", "direct_loss_yuan", "grade")
    changed = grading.grade != old_grade
    _report_row(
        a,
        kind=ReportKind.SUPPLEMENTARY,
        level=a.highest_level,
        at=at_,
        reporter=reporter,
        actor=actor,
        grade_before=old_grade if changed else "",
        note=note,
    )
    _audit(actor, "supplement", a, before, decided_by=list(grading.decided_by))
    if changed:
        _follow_regrade(actor, a, at_)
        audit_record(
            actor=actor,
            action="accident.regraded",
            obj=a,
            before={"grade": old_grade},
            after={
                "grade": a.grade,
                "decided_by": list(grading.decided_by),
                "investigated_by": rules.investigated_by(a.grade),
                "required_level": rules.required_level(a.grade),
            },
        )
        transaction.on_commit(
            lambda: accident_regraded.send(
                sender=Accident, accident=a, before=old_grade, after=a.grade, actor=actor
            )
        )
    return a


def _follow_regrade(actor: User | None, a: Accident, since: dt.datetime) -> None:
    """After a regrade: the level clocks follow the level the new grade requires (Art. 10)."""
    if not a.highest_level:
        return  # not reported to the county yet: its clock is the same for every grade
    top = rules.level_rank(rules.required_level(a.grade))
    open_clocks = _open_clocks(a)
    for level, name in rules.LEVEL_CLOCK.items():
        if name in open_clocks and rules.level_rank(level) > top:
            _cancel(actor, a, name, "regraded (493号令 Art. 10, 20)")
    nxt = rules.next_level(a.highest_level, a.grade)
    if nxt is not None and rules.LEVEL_CLOCK[nxt] not in open_clocks:
        _start_level_clock(actor, a, nxt, since)


# --- investigation (Art. 27, 29) -----------------------------------------------------------------


@transaction.atomic
def accident_extend_investigation(
    *, actor: User | None, accident: Accident, days: int, reason: str, version: int | None = None
) -> Accident:
    """Art. 29: the government responsible approves a longer period, at most 60 days in total."""
    a = _lock(actor, accident, version)
    _require_investigating(a)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ValidationError({"days": _("Extend by at least one day.")})
    limit = rules.MAX_INVESTIGATION_EXTENSION_DAYS
    if a.investigation_extension_days + days > limit:
        raise ValidationError(
            {
                "days": _(
                    "The investigation may be extended by at most %(max)d days in total "
                    "(Regulation No. 493, Art. 29); %(used)d are already used."
                )
                % {"max": limit, "used": a.investigation_extension_days}
            }
        )
    if not str(reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the extension.")})
    before = _snapshot(a)
    a.investigation_extension_days += days
    _save(a, "investigation_extension_days")
    clocks.clock_extend(
        actor=actor,
        subject_type=SUBJECT,
        subject_id=a.pk,
        name="investigation_report_by",
        days=days,
        reason=reason.strip(),
    )
    _audit(actor, "extend_investigation", a, before, days=days, reason=reason.strip())
    return a


@transaction.atomic
def accident_pause(
    *,
    actor: User | None,
    accident: Accident,
    reason: str,
    on: dt.date | None = None,
    version: int | None = None,
) -> Accident:
    """A technical appraisal starts: its days are not counted (Art. 27)."""
    a = _lock(actor, accident, version)
    _require_investigating(a)
    on = _day("on", on)
    if not str(reason or "").strip():
        raise ValidationError({"reason": _("Say what is being appraised.")})
    clock = clocks_for(SUBJECT, a.pk).get("investigation_report_by")
    if clock is None or clock.state != "running":
        raise AccidentStateError(_("The investigation clock is not running."))
    before = _snapshot(a)
    _save(a)
    clocks.clock_pause(
        actor=actor, subject_type=SUBJECT, subject_id=a.pk, name="investigation_report_by", on=on
    )
    _audit(actor, "pause", a, before, on=on.isoformat(), reason=reason.strip())
    return a


@transaction.atomic
def accident_resume(
    *, actor: User | None, accident: Accident, on: dt.date | None = None, version: int | None = None
) -> Accident:
    """The technical appraisal is over: the investigation period counts again (Art. 27)."""
    a = _lock(actor, accident, version)
    _require_investigating(a)
    on = _day("on", on)
    clock = clocks_for(SUBJECT, a.pk).get("investigation_report_by")
    if clock is None or clock.state != "paused":
        raise AccidentStateError(_("The investigation clock is not paused."))
    before = _snapshot(a)
    _save(a)
    clocks.clock_resume(
        actor=actor, subject_type=SUBJECT, subject_id=a.pk, name="investigation_report_by", on=on
    )
    _audit(actor, "resume", a, before, on=on.isoformat())
    return a


@transaction.atomic
def accident_report_received(
    *, actor: User | None, accident: Accident, on: dt.date | None = None, version: int | None = None
) -> Accident:
    """The government received the investigation report (Art. 29, 31): the investigation ends,
    the supplementary window closes, and the approval clock starts (Art. 32)."""
    a = _lock(actor, accident, version)
    _require_investigating(a)
    on = _day("on", on)
    if on < a.occurred_on:
        raise ValidationError({"on": _("The date cannot precede the accident.")})
    before = _snapshot(a)
    a.investigation_report_received_on = on
    _save(a, "investigation_report_received_on")
    open_clocks = _open_clocks(a)
    if "investigation_report_by" in open_clocks:
        clocks.clock_stop(
            actor=actor,
            subject_type=SUBJECT,
            subject_id=a.pk,
            name="investigation_report_by",
            on=on,
        )
    window = open_clocks.get("supplementary_until")
    if window is not None:
        # the window is a period, not an act: it ends with the investigation, never "missed"
        clocks.clock_stop(
            actor=actor,
            subject_type=SUBJECT,
            subject_id=a.pk,
            name="supplementary_until",
            on=min(on, window.due_on),
        )
    clocks.clock_start(
        actor=actor,
        subject_type=SUBJECT,
        subject_id=a.pk,
        name="approval_by",
        unit=a.unit,
        rule="calendar_days",
        start_on=on,
        days=rules.approval_days(a.grade),
    )
    _audit(actor, "report_received", a, before)
    return a


# --- approval (Art. 32) -------------------------------------------------------------------------


def _require_awaiting_approval(a: Accident) -> None:
    if a.investigation_report_received_on is None or a.approved_on is not None:
        raise AccidentStateError(
            _("Only an accident whose investigation report awaits approval can take this step."),
            extra={"stage": a.stage},
        )


@transaction.atomic
def accident_extend_approval(
    *, actor: User | None, accident: Accident, days: int, reason: str, version: int | None = None
) -> Accident:
    """Art. 32: only for 特别重大, in special cases, at most 30 days in total."""
    a = _lock(actor, accident, version)
    _require_awaiting_approval(a)
    limit = rules.max_approval_extension_days(a.grade)
    if limit == 0:
        raise AccidentStateError(
            _(
                "Only the approval of a particularly serious accident may be extended "
                "(Regulation No. 493, Art. 32)."
            )
        )
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ValidationError({"days": _("Extend by at least one day.")})
    if a.approval_extension_days + days > limit:
        raise ValidationError(
            {
                "days": _(
                    "The approval may be extended by at most %(max)d days in total "
                    "(Regulation No. 493, Art. 32); %(used)d are already used."
                )
                % {"max": limit, "used": a.approval_extension_days}
            }
        )
    if not str(reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the extension.")})
    before = _snapshot(a)
    a.approval_extension_days += days
    _save(a, "approval_extension_days")
    clocks.clock_extend(
        actor=actor,
        subject_type=SUBJECT,
        subject_id=a.pk,
        name="approval_by",
        days=days,
        reason=reason.strip(),
    )
    _audit(actor, "extend_approval", a, before, days=days, reason=reason.strip())
    return a


@transaction.atomic
def accident_approve(
    *,
    actor: User | None,
    accident: Accident,
    on: dt.date | None = None,
    reference: str = "",
    version: int | None = None,
) -> Accident:
    """The government approved the investigation report (批复, Art. 32)."""
    a = _lock(actor, accident, version)
    _require_awaiting_approval(a)
    on = _day("on", on)
    assert a.investigation_report_received_on is not None
    if on < a.investigation_report_received_on:
        raise ValidationError({"on": _("The approval cannot precede receipt of the report.")})
    before = _snapshot(a)
    a.approved_on = on
    a.approval_reference = str(reference or "").strip()[:100]
    _save(a, "approved_on", "approval_reference")
    if "approval_by" in _open_clocks(a):
        clocks.clock_stop(
            actor=actor, subject_type=SUBJECT, subject_id=a.pk, name="approval_by", on=on
        )
    _audit(actor, "approve", a, before, reference=a.approval_reference)
    return a


# --- the hazards found in the investigation (issue item 6) ------------------------------------


def accident_hazard_candidates(*, user: Any, accident: Accident) -> QuerySet[Hazard]:
    """The hazards that may be linked: of the accident's site (or, without a site, of its
    unit's subtree), registered or later, and in ``user``'s view scope (``None`` = system)."""
    qs = Hazard.objects.all() if user is None else Hazard.objects.restrict(user, "view")
    qs = qs.exclude(status__in=[HazardStatus.REPORTED, HazardStatus.VOID])
    if accident.site_id:
        qs = qs.filter(site_id=accident.site_id)
    else:
        qs = qs.filter(unit__path__startswith=accident.unit.path)
    return qs.select_related("site").order_by("-found_at", "-id")


def _hazard_uids(hazards: Any) -> list[uuid.UUID]:
    """Hazard objects or their opaque ids (the API's ``id``) as a sorted list of UUIDs."""
    uids: set[uuid.UUID] = set()
    for h in hazards:
        if isinstance(h, Hazard):
            uids.add(h.uid)
            continue
        try:
            uids.add(uuid.UUID(str(h).strip()))
        except ValueError:
            raise ValidationError({"hazards": _("Unknown hazard: %(id)s") % {"id": h}}) from None
    return sorted(uids)


@transaction.atomic
def accident_link_hazards(
    *, actor: User | None, accident: Accident, hazards: Any, version: int | None = None
) -> Accident:
    """Link the hazards found in the investigation (hazard objects or ids)."""
    a = _lock(actor, accident, version)
    ids = _hazard_uids(hazards)
    if not ids:
        raise ValidationError({"hazards": _("Choose at least one hazard.")})
    found = list(accident_hazard_candidates(user=actor, accident=a).filter(uid__in=ids))
    if len(found) != len(ids):
        raise ValidationError(
            {
                "hazards": _(
                    "Only registered hazards of the accident's site (or unit) within your "
                    "scope can be linked."
                )
            }
        )
    before = sorted(h.number for h in a.hazards.all())
    a.hazards.add(*found)
    _save(a)
    _audit(
        actor,
        "link_hazards",
        a,
        {"hazards": before},
        hazards=sorted(h.number for h in a.hazards.all()),
        linked=sorted(h.number for h in found),
    )
    return a


@transaction.atomic
def accident_unlink_hazards(
    *, actor: User | None, accident: Accident, hazards: Any, version: int | None = None
) -> Accident:
    """Remove hazards linked by mistake; the audit keeps what was linked."""
    a = _lock(actor, accident, version)
    ids = _hazard_uids(hazards)
    linked = list(a.hazards.filter(uid__in=ids))
    if not ids or len(linked) != len(ids):
        raise ValidationError({"hazards": _("These hazards are not linked to the accident.")})
    before = sorted(h.number for h in a.hazards.all())
    a.hazards.remove(*linked)
    _save(a)
    _audit(
        actor,
        "unlink_hazards",
        a,
        {"hazards": before},
        hazards=sorted(h.number for h in a.hazards.all()),
        unlinked=sorted(h.number for h in linked),
    )
    return a


def accident_hazards(*, user: Any, accident: Accident) -> QuerySet[Hazard]:
    """The linked hazards ``user`` may see (others are counted by nobody here)."""
    return (
        Hazard.objects.restrict(user, "view")
        .filter(accidents=accident)
        .select_related("site")
        .order_by("-found_at", "-id")
    )


def hazard_accidents(*, user: Any, hazard: Hazard) -> QuerySet[Accident]:
    """The accidents a hazard was found in, those ``user`` may see."""
    return (
        Accident.objects.restrict(user, "view")
        .filter(hazards=hazard)
        .select_related(*ACCIDENT_RELATED)
        .order_by(*ACCIDENT_ORDERING)
    )


def _hazard_list_arg(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [v for v in str(value).replace("，", ",").split(",") if v.strip()]


# --- one dispatcher for the API and the page -------------------------------------------------

ACTION_LABELS = {
    "county_reported": gettext_lazy("Record the report to the county"),
    "reported_up": gettext_lazy("Record the report to the next level"),
    "supplement": gettext_lazy("Record a supplementary report"),
    "extend_investigation": gettext_lazy("Extend the investigation"),
    "pause": gettext_lazy("Pause for technical appraisal"),
    "resume": gettext_lazy("Resume after technical appraisal"),
    "report_received": gettext_lazy("Record receipt of the investigation report"),
    "extend_approval": gettext_lazy("Extend the approval period"),
    "approve": gettext_lazy("Record the approval"),
    "link_hazards": gettext_lazy("Link hazards found in the investigation"),
    "unlink_hazards": gettext_lazy("Unlink hazards"),
}
ACTIONS = tuple(ACTION_LABELS)


def parse_moment(value: Any, field: str) -> dt.datetime | None:
    """An ISO date-time (``2026-03-05T10:30``, with or without offset) as an aware datetime;
    a time without offset is Asia/Shanghai local time."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError({field: _("Enter a valid date and time.")}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _parse_day(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: _("Enter a valid date.")}) from None


def _int(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter a whole number, zero or more.")}) from None


def run_action(action: str, *, actor: User, accident: Accident, data: dict[str, Any]) -> Accident:
    """Take the step ``action`` with the fields it reads from ``data`` (API body or form)."""
    v = data.get("version")
    if action == "county_reported":
        at = parse_moment(data.get("at"), "at") or _now()
        return accident_county_reported(
            actor=actor, accident=accident, at=at, reporter=data.get("reporter") or "", version=v
        )
    if action == "reported_up":
        at = parse_moment(data.get("at"), "at") or _now()
        return accident_reported_up(
            actor=actor,
            accident=accident,
            level=data.get("level") or "",
            at=at,
            reporter=data.get("reporter") or "",
            version=v,
        )
    if action == "supplement":
        missing_fields = [
            f for f in ("deaths", "serious_injuries", "missing") if data.get(f) in (None, "")
        ]
        if missing_fields:
            raise ValidationError({f: _("This field is required.") for f in missing_fields})
        loss = data.get("direct_loss_yuan")
        return accident_supplement(
            actor=actor,
            accident=accident,
            deaths=_int(data["deaths"], "deaths"),
            serious_injuries=_int(data["serious_injuries"], "serious_injuries"),
            missing=_int(data["missing"], "missing"),
            direct_loss_yuan=None if loss in (None, "") else loss,
            at=parse_moment(data.get("at"), "at"),
            reporter=data.get("reporter") or "",
            note=data.get("note") or "",
            version=v,
        )
    if action in ("extend_investigation", "extend_approval"):
        step = (
            accident_extend_investigation
            if action == "extend_investigation"
            else accident_extend_approval
        )
        return step(
            actor=actor,
            accident=accident,
            days=_int(data.get("days") or 0, "days"),
            reason=data.get("reason") or "",
            version=v,
        )
    if action == "pause":
        return accident_pause(
            actor=actor,
            accident=accident,
            reason=data.get("reason") or "",
            on=_parse_day(data.get("on"), "on"),
            version=v,
        )
    if action == "resume":
        return accident_resume(
            actor=actor, accident=accident, on=_parse_day(data.get("on"), "on"), version=v
        )
    if action == "report_received":
        return accident_report_received(
            actor=actor, accident=accident, on=_parse_day(data.get("on"), "on"), version=v
        )
    if action == "approve":
        return accident_approve(
            actor=actor,
            accident=accident,
            on=_parse_day(data.get("on"), "on"),
            reference=data.get("reference") or "",
            version=v,
        )
    if action in ("link_hazards", "unlink_hazards"):
        hazards = _hazard_list_arg(data.get("hazards"))
        if action == "link_hazards":
            return accident_link_hazards(actor=actor, accident=accident, hazards=hazards, version=v)
        return accident_unlink_hazards(actor=actor, accident=accident, hazards=hazards, version=v)
    raise Http404


def available_actions(accident: Accident, open_clocks: dict[str, Clock]) -> list[str]:
    """The steps that make sense now (the page offers these; the services decide)."""
    out: list[str] = []
    if accident.investigation_report_received_on is None:
        if not accident.highest_level:
            out.append("county_reported")
        elif rules.next_level(accident.highest_level, accident.grade) is not None:
            out.append("reported_up")
        window = open_clocks.get("supplementary_until")
        if window is not None and timezone.localdate() <= window.due_on:
            out.append("supplement")
        inv = open_clocks.get("investigation_report_by")
        if inv is not None:
            if accident.investigation_extension_days < rules.MAX_INVESTIGATION_EXTENSION_DAYS:
                out.append("extend_investigation")
            out.append("pause" if inv.state == "running" else "resume")
        out.append("report_received")
    elif accident.approved_on is None:
        if accident.approval_extension_days < rules.max_approval_extension_days(accident.grade):
            out.append("extend_approval")
        out.append("approve")
    return out


# --- the read path --------------------------------------------------------------------------

ACCIDENT_ORDERING = ("-occurred_at", "-id")
ACCIDENT_RELATED = ("unit", "site")
FILTERS = ("grade", "kind", "unit", "stage", "date_from", "date_to", "q")


def _filter_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def accident_filter(qs: QuerySet[Accident], **params: Any) -> QuerySet[Accident]:
    """The list's filters: one function for the page and the API, so the counts agree."""
    if params.get("grade") in AccidentGrade.values:
        qs = qs.filter(grade=params["grade"])
    if params.get("kind") in AccidentKind.values:
        qs = qs.filter(kind=params["kind"])
    if params.get("unit"):
        root = Unit.objects.filter(code=params["unit"]).values_list("path", flat=True).first()
        if root is None:
            return qs.none()
        qs = qs.filter(unit__path__startswith=root)
    stage = params.get("stage")
    if stage == "investigating":
        qs = qs.filter(investigation_report_received_on__isnull=True)
    elif stage == "awaiting_approval":
        qs = qs.filter(investigation_report_received_on__isnull=False, approved_on__isnull=True)
    elif stage == "approved":
        qs = qs.filter(approved_on__isnull=False)
    tz = timezone.get_current_timezone()
    if d := _filter_date(params.get("date_from")):
        qs = qs.filter(occurred_at__gte=dt.datetime.combine(d, dt.time.min, tzinfo=tz))
    if d := _filter_date(params.get("date_to")):
        qs = qs.filter(
            occurred_at__lt=dt.datetime.combine(d + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    if q := str(params.get("q") or "").strip():
        qs = qs.filter(place__icontains=q) | qs.filter(summary__icontains=q)
    return qs


def accident_list(*, user: Any, **filters: Any) -> QuerySet[Accident]:
    qs = Accident.objects.restrict(user, "view").select_related(*ACCIDENT_RELATED)
    return accident_filter(qs, **filters)


def accident_get_for_user(*, user: Any, id: str, action: str = "view") -> Accident:
    """One accident by its opaque id: 404 outside the view scope, 403 without ``action``."""
    try:
        uid = uuid.UUID(str(id))
    except ValueError:
        raise Http404 from None
    return get_for_user(
        Accident.objects.select_related(*ACCIDENT_RELATED, "created_by"),
        user,
        action=action,
        uid=uid,
    )


def accident_may_manage(user: Any, accident: Accident) -> bool:
    return unit_in_scope(user, "accident.manage", accident.unit)


def accident_reports(accident: Accident) -> QuerySet[AccidentReport]:
    return accident.reports.select_related("recorded_by").order_by("reported_at", "id")


def accident_clocks(accident: Accident) -> dict[str, Clock]:
    """The accident's live clocks (cancelled ones left out) by name."""
    return clocks_for(SUBJECT, accident.pk)


def clock_due(clock: Clock) -> str:
    """ISO due: a datetime (Asia/Shanghai offset) for an hours clock, a date otherwise."""
    if clock.due_at is not None:
        return timezone.localtime(clock.due_at).isoformat()
    return clock.due_on.isoformat()


def deadlines_for(accidents: list[Accident]) -> dict[int, dict[str, str]]:
    """The ``deadlines`` of many accidents in one query (name → ISO datetime or date)."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    rows = (
        Clock.objects.filter(subject_type=SUBJECT, subject_id__in=[a.pk for a in accidents])
        .exclude(state="cancelled")
        .only("subject_id", "name", "due_on", "due_at")
    )
    for clock in rows:
        out[clock.subject_id][clock.name] = clock_due(clock)
    return out


#: badge colours of the grades on the dossier
GRADE_TONES = {
    AccidentGrade.PARTICULARLY_SERIOUS: "dark",
    AccidentGrade.SERIOUS: "danger",
    AccidentGrade.RELATIVELY_LARGE: "warning",
    AccidentGrade.ORDINARY: "secondary",
}


def dossier_section(*, user: Any, site: Site, limit: int = 50) -> dict[str, Any]:
    """The accidents section of a site's dossier (one query): staff with ``accident.view``
    over the accident's unit; hidden from everyone else (the enterprise contact included)."""
    from django.urls import reverse

    from anxin.core.scoping import can
    from anxin.safety.dossier import DossierRow

    if not can(user, "accident.view"):
        return {"show_accidents": False, "accidents": []}
    rows = [
        DossierRow(
            on=timezone.localdate(a.occurred_at),
            title=f"{a.place} · {a.get_kind_display()}",
            status=a.get_grade_display(),
            url=reverse("accident_detail", args=[a.uid]),
            note=_("%(deaths)s dead, %(injured)s seriously injured")
            % {"deaths": a.deaths, "injured": a.serious_injuries},
            tone=GRADE_TONES.get(AccidentGrade(a.grade), "secondary"),
        )
        for a in Accident.objects.restrict(user, "view")
        .filter(site=site)
        .order_by(*ACCIDENT_ORDERING)[:limit]
    ]
    return {"show_accidents": True, "accidents": rows}
