"""The rules of hazards (事故隐患) and inspections, each next to its source (rules.md §4).

- Grades (安全监管总局令第16号 Art. 3): 一般事故隐患 ``general``, 重大事故隐患 ``major``.
- A major hazard's plan (16号令 Art. 15; local practice "五落实"): 责任, 措施, 资金, 时限, 预案 —
  rectification cannot start until all five are set.
- 挂牌督办 → rectify → assessment → written application → review → 销号 (16号令 Art. 18): only a
  major hazard is listed for supervision; a major hazard that stopped production resumes only
  after review and approval (安全生产法 Art. 65(3)), so 销号 waits for that approval.
- An administrative penalty is carried out by at least two enforcement officers
  (行政处罚法 Art. 42).
- An inspection record is signed by the inspectors and the inspected unit's leader; a refusal
  to sign is recorded (安全生产法 Art. 68).

The workflow is one table, ``TRANSITIONS``, tested exhaustively.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy


class HazardStatus(models.TextChoices):
    REPORTED = "reported", pgettext_lazy("hazard status", "Reported")
    REGISTERED = "registered", pgettext_lazy("hazard status", "Registered")
    RECTIFYING = "rectifying", pgettext_lazy("hazard status", "Being rectified")
    SUBMITTED = "submitted", pgettext_lazy("hazard status", "Rectification submitted")
    VERIFIED = "verified", pgettext_lazy("hazard status", "Verified")
    CLOSED = "closed", pgettext_lazy("hazard status", "Closed")
    VOID = "void", pgettext_lazy("hazard status", "Void")


class HazardGrade(models.TextChoices):
    # 16号令 Art. 3
    GENERAL = "general", _("General hazard")
    MAJOR = "major", _("Major hazard")


class HazardSource(models.TextChoices):
    INSPECTION = "inspection", pgettext_lazy("hazard source", "Inspection")
    REPORT = "report", pgettext_lazy("hazard source", "Report")
    SELF_CHECK = "self_check", pgettext_lazy("hazard source", "Enterprise self-check")
    OTHER = "other", pgettext_lazy("hazard source", "Other")


S = HazardStatus

#: states in which a hazard is still open (its deadline counts; "逾期未整改")
OPEN_STATES = frozenset({S.REGISTERED, S.RECTIFYING, S.SUBMITTED, S.VERIFIED})

#: ``TRANSITIONS[action] = (states it may be taken from, state it leads to, permission)``;
#: ``None`` keeps the state. ``verify`` leads to ``verified`` when passed, and back to
#: ``rectifying`` (with the reasons) when not.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None, str]] = {
    "register": (frozenset({S.REPORTED}), S.REGISTERED, "hazard.manage"),
    "start_rectification": (frozenset({S.REGISTERED}), S.RECTIFYING, "hazard.manage"),
    # only the site's enterprise contact, from their own login
    "submit_rectification": (frozenset({S.RECTIFYING}), S.SUBMITTED, "hazard.submit"),
    "verify": (frozenset({S.SUBMITTED}), S.VERIFIED, "hazard.verify"),
    # 16号令 Art. 18, 安全生产法 Art. 65(3): the review approving resumption after the assessment
    "approve_resumption": (frozenset({S.VERIFIED}), None, "hazard.verify"),
    # 挂牌督办 (16号令 Art. 18; 安全生产法 Art. 41 para. 2)
    "list_for_supervision": (
        frozenset({S.REGISTERED, S.RECTIFYING, S.SUBMITTED, S.VERIFIED}),
        None,
        "hazard.supervise",
    ),
    # an inspector's regrading 一般 ↔ 重大, with a reason (16号令 Art. 3)
    "regrade": (
        frozenset({S.REGISTERED, S.RECTIFYING, S.SUBMITTED, S.VERIFIED}),
        None,
        "hazard.manage",
    ),
    # 16号令 Art. 23: the site's written application to resume, from the contact's own login;
    # the regulator reviews it within 10 days and approves (above) or refuses with reasons
    "apply_resumption": (frozenset({S.SUBMITTED, S.VERIFIED}), None, "hazard.submit"),
    "refuse_resumption": (frozenset({S.SUBMITTED, S.VERIFIED}), None, "hazard.verify"),
    "close": (frozenset({S.VERIFIED}), S.CLOSED, "hazard.manage"),
    "void": (frozenset({S.REPORTED, S.REGISTERED}), S.VOID, "hazard.manage"),
}

ACTIONS = tuple(TRANSITIONS)

#: the deadline's clock in supervision's one table
CLOCK_NAME = "rectify_by"
CLOCK_SUBJECT = "safety.hazard"

#: 五落实 (16号令 Art. 15): field → its name in the refusal, in the order people say them
FIVE_IMPLEMENTATIONS: tuple[tuple[str, Any], ...] = (
    ("responsible", pgettext_lazy("five implementations", "responsible person")),
    ("measures", pgettext_lazy("five implementations", "measures")),
    ("funds", pgettext_lazy("five implementations", "funds")),
    ("deadline", pgettext_lazy("five implementations", "time limit")),
    ("contingency_plan", pgettext_lazy("five implementations", "contingency plan")),
)

#: 16号令 Art. 23 (and 鄂安〔2010〕20号 Art. 10) [S, configurable]: the regulator reviews the
#: written application to resume production on site within 10 days of receiving it; the text
#: does not say 工作日, so calendar days (民法典 Art. 200–203). Settings may override it:
#: ``SAFETY_RESUMPTION_REVIEW_DAYS``.
RESUMPTION_REVIEW_DAYS = 10
RESUMPTION_CLOCK_PREFIX = "resumption_review_"


def resumption_review_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "SAFETY_RESUMPTION_REVIEW_DAYS", RESUMPTION_REVIEW_DAYS))


#: 行政处罚法 Art. 42: 行政处罚应当由具有行政执法资格的执法人员实施。执法人员不得少于两人
MIN_PENALTY_OFFICERS = 2


def missing_five(values: dict[str, Any]) -> list[str]:
    """The fields of 五落实 not (yet) set, in order. Funds must be a positive amount."""
    missing = []
    for field, _label in FIVE_IMPLEMENTATIONS:
        value = values.get(field)
        if field == "funds":
            ok = value is not None and Decimal(str(value)) > 0
        elif isinstance(value, str):
            ok = bool(value.strip())
        else:
            ok = value is not None
        if not ok:
            missing.append(field)
    return missing


def five_labels(fields: list[str]) -> str:
    """The missing fields' names joined as Chinese lists are (资金、应急预案)."""
    labels = dict(FIVE_IMPLEMENTATIONS)
    return pgettext("list separator", ", ").join(str(labels[f]) for f in fields)


def needs_resumption_approval(*, production_stopped: bool) -> bool:
    """安全生产法 Art. 65(3): a site ordered to stop for a major hazard resumes only after review
    and approval. The order stands until then, whatever the hazard's grade has become since
    (a stopped hazard regraded to 一般 still needs the approval before 销号), so only whether
    production was stopped decides."""
    return production_stopped
