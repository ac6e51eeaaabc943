"""Reviews of a hazard after it was registered: the inspector's regrading (一般 ↔ 重大) and
the site's written application to resume production (16号令 Art. 23), refused with reasons or
approved by ``hazards.hazard_approve_resumption``.

Same write path as :mod:`anxin.safety.hazards` (lock, version, state and permission from
``hazard_rules.TRANSITIONS``, timeline + site timeline + audit in one transaction); kept apart
so that module stays readable.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.attachments import attachment_add
from anxin.core.models import User
from anxin.safety.hazard_rules import (
    CLOCK_SUBJECT,
    HazardGrade,
    HazardStatus,
    five_labels,
    missing_five,
    needs_resumption_approval,
    resumption_review_days,
)
from anxin.safety.hazards import (
    FiveImplementationsMissing,
    HazardStateConflict,
    _clock_unit,
    _event,
    _save,
    _step,
    _when,
    resumption_decide,
    resumption_pending,
)
from anxin.safety.models_hazards import Hazard, ResumptionApplication
from anxin.supervision import services as clock_services
from anxin.supervision.choices import ClockRule

#: the purpose of the scan of a signed application among the hazard's files
RESUMPTION_SCAN = "resumption"

#: states past the start of the rectification: a major hazard there has all of 五落实
RECTIFICATION_STARTED = frozenset(
    {HazardStatus.RECTIFYING, HazardStatus.SUBMITTED, HazardStatus.VERIFIED}
)


@transaction.atomic
def hazard_regrade(
    *,
    actor: User | None,
    hazard: Hazard,
    grade: str,
    reason: str,
    version: int | None = None,
    responsible: str = "",
    measures: str = "",
    funds: Decimal | None = None,
    contingency_plan: str = "",
    at: dt.datetime | None = None,
) -> Hazard:
    """An inspector regrades the hazard (一般 ↔ 重大) and says why.

    A hazard whose rectification has started becomes major only with all of 五落实 in place
    (16号令 Art. 15) — the blanks may be filled in with this step; otherwise 400
    ``five_implementations_missing`` naming the missing ones, as at the start of the
    rectification. A hazard listed for supervision (挂牌督办) stays major.
    """
    hazard = _step(actor, hazard, "regrade", version)
    at = _when(hazard, at)
    if grade not in HazardGrade.values:
        raise ValidationError({"grade": _("Choose the grade: general or major.")})
    if grade == hazard.grade:
        raise ValidationError({"grade": _("The hazard already has this grade.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the regrading.")})
    if grade == HazardGrade.GENERAL and hazard.supervision_unit_id is not None:
        raise ValidationError(
            {"grade": _("A hazard listed for supervision (挂牌督办) stays a major hazard.")}
        )
    if funds is not None and funds < 0:
        raise ValidationError({"funds": _("The funds cannot be negative.")})
    fields = ["grade"]
    if grade == HazardGrade.MAJOR and hazard.status in RECTIFICATION_STARTED:
        # fill in the blanks only: what was agreed at the start stays
        given = {
            "responsible": (responsible or "").strip()[:100],
            "measures": (measures or "").strip(),
            "funds": funds,
            "contingency_plan": (contingency_plan or "").strip(),
        }
        for field, value in given.items():
            current = getattr(hazard, field)
            if (current in (None, "") or (field == "funds" and not current)) and value not in (
                None,
                "",
            ):
                setattr(hazard, field, value)
                fields.append(field)
        missing = missing_five(
            {
                "responsible": hazard.responsible,
                "measures": hazard.measures,
                "funds": hazard.funds,
                "deadline": hazard.deadline,
                "contingency_plan": hazard.contingency_plan,
            }
        )
        if missing:
            raise FiveImplementationsMissing(
                _("A major hazard needs all five in place first: %(missing)s")
                % {"missing": five_labels(missing)},
                extra={"missing": missing},
            )
    before = hazard.grade
    hazard.grade = grade
    _save(hazard, *fields)
    filled: dict[str, str] = {f: str(getattr(hazard, f)) for f in fields if f != "grade"}
    data: dict[str, Any] = {"before": before, "after": grade, "reason": reason}
    if filled:
        data["filled"] = filled
    _event(hazard, "regraded", actor, at=at, **data)
    return hazard


@transaction.atomic
def hazard_apply_resumption(
    *,
    actor: User | None,
    hazard: Hazard,
    text: str,
    scan: Any = None,
    version: int | None = None,
    at: dt.datetime | None = None,
) -> Hazard:
    """The site's written application to resume production (16号令 Art. 23): ONLY the site's
    enterprise contact, from their own login, for a major hazard that stopped production, once
    the rectification is submitted. Starts the review clock (10 calendar days)."""
    hazard = _step(actor, hazard, "apply_resumption", version)
    at = _when(hazard, at)
    if not needs_resumption_approval(production_stopped=hazard.production_stopped):
        raise ValidationError(
            _("Only a major hazard that stopped production needs a resumption approval.")
        )
    if hazard.resumption_approved_at is not None:
        raise HazardStateConflict(_("The resumption has already been approved."))
    if resumption_pending(hazard) is not None:
        raise HazardStateConflict(_("An application to resume production is already under review."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the application to resume production.")})
    attachment = (
        attachment_add(actor=actor, owner=hazard, upload=scan, purpose=RESUMPTION_SCAN)
        if scan
        else None
    )
    application = ResumptionApplication.objects.create(
        hazard=hazard,
        number=ResumptionApplication.objects.filter(hazard=hazard).count() + 1,
        text=text,
        scan=attachment,
        applied_by=actor if actor is not None and actor.is_authenticated else None,
        applied_at=at,
    )
    days = resumption_review_days()
    clock_services.clock_start(
        actor=actor,
        subject_type=CLOCK_SUBJECT,
        subject_id=hazard.pk,
        name=application.clock_name,
        unit=_clock_unit(hazard),
        rule=ClockRule.CALENDAR_DAYS,
        start_on=timezone.localdate(at),
        days=days,
    )
    _save(hazard)
    _event(
        hazard,
        "resumption_applied",
        actor,
        at=at,
        note=text,
        number=application.number,
        file=attachment.name if attachment else "",
        review_days=days,
    )
    return hazard


@transaction.atomic
def hazard_refuse_resumption(
    *,
    actor: User | None,
    hazard: Hazard,
    reasons: str,
    version: int | None = None,
    at: dt.datetime | None = None,
) -> Hazard:
    """The review does not approve the resumption: the application goes back to the site with
    the reasons (production stays stopped; the site may apply again)."""
    hazard = _step(actor, hazard, "refuse_resumption", version)
    at = _when(hazard, at)
    reasons = (reasons or "").strip()
    if resumption_pending(hazard) is None:
        raise HazardStateConflict(_("There is no application to resume production under review."))
    if not reasons:
        raise ValidationError({"reason": _("Give the reasons for refusing the resumption.")})
    application = resumption_decide(actor, hazard, approved=False, notes=reasons, at=at)
    assert application is not None
    _save(hazard)
    _event(hazard, "resumption_refused", actor, at=at, reason=reasons, number=application.number)
    return hazard


def resumption_applications(hazard: Hazard) -> list[dict[str, Any]]:
    """The written applications with their review clocks (two queries), oldest first."""
    from anxin.supervision.selectors import clocks_for

    live = clocks_for(CLOCK_SUBJECT, hazard.pk)
    rows = []
    for a in hazard.resumption_applications.select_related("scan").order_by("number"):
        clock = live.get(a.clock_name)
        rows.append(
            {
                "number": a.number,
                "text": a.text,
                "status": a.status,
                "status_label": a.get_status_display(),
                "applied_at": a.applied_at,
                "review_by": clock.due_on if clock is not None else None,
                "review_state": clock.state if clock is not None else None,
                "overdue": clock is not None
                and clock.state == "running"
                and clock.due_on < timezone.localdate(),
                "decided_at": a.decided_at,
                "reasons": a.decision_notes,
                "scan": a.scan,
            }
        )
    return rows
