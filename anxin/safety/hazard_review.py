"""Reviews of a hazard after it was registered: the inspector's regrading (一般 ↔ 重大).

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
from django.utils.translation import gettext as _

from anxin.core.models import User
from anxin.safety.hazard_rules import HazardGrade, HazardStatus, five_labels, missing_five
from anxin.safety.hazards import FiveImplementationsMissing, _event, _save, _step, _when
from anxin.safety.models_hazards import Hazard

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
