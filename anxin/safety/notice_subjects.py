"""What a 督办单 may say about a hazard, an enforcement order or an accident.

Registered with supervision in ``ready``; each resolver reads through the model's own
``restrict(user, "view")``, so the issuer names only items they may see. The label is the
item's number (and the site's name), never a reporter's words.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from anxin.supervision.notice_subjects import NoticeSubject


def hazard_notice_subject(user: Any, subject_id: int) -> NoticeSubject | None:
    from anxin.safety.models_hazards import Hazard

    hazard = (
        Hazard.objects.restrict(user, "view")
        .select_related("unit", "site")
        .filter(pk=subject_id)
        .first()
    )
    if hazard is None:
        return None
    label = hazard.number + (f" {hazard.site.name}" if hazard.site is not None else "")
    return NoticeSubject(
        label=label, unit=hazard.unit, url=reverse("hazard_detail", args=[hazard.uid])
    )


def enforcement_notice_subject(user: Any, subject_id: int) -> NoticeSubject | None:
    from anxin.safety.enforcement_rules import ORDER_TITLES
    from anxin.safety.models_enforcement import EnforcementOrder

    order = (
        EnforcementOrder.objects.restrict(user, "view")
        .select_related("site", "site__unit")
        .filter(pk=subject_id)
        .first()
    )
    if order is None:
        return None
    return NoticeSubject(
        label=f"{order.number} {ORDER_TITLES[order.kind]}（{order.site.name}）",
        unit=order.site.unit,
        url=reverse("enforcement_detail", args=[order.uid]),
    )


def accident_notice_subject(user: Any, subject_id: int) -> NoticeSubject | None:
    from anxin.safety.models_accidents import Accident

    accident = (
        Accident.objects.restrict(user, "view").select_related("unit").filter(pk=subject_id).first()
    )
    if accident is None:
        return None
    when = timezone.localtime(accident.occurred_at).strftime("%Y年%m月%d日")
    return NoticeSubject(
        label=f"{when}{accident.place}事故",
        unit=accident.unit,
        url=reverse("accident_detail", args=[accident.uid]),
    )


def register_notice_subjects() -> None:
    from django.utils.translation import gettext_lazy as _

    from anxin.supervision.notice_subjects import register_subject

    register_subject("safety.hazard", _("Hazard"), hazard_notice_subject)
    register_subject("safety.enforcementorder", _("Enforcement order"), enforcement_notice_subject)
    register_subject("safety.accident", _("Accident"), accident_notice_subject)
