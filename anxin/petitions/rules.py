"""Statutory time limits and limits of petition work — 信访工作条例 (2022) [../shared/rules.md §2].

Each value cites its article. Periods in days are calendar days counted under 民法典 Art. 201/203
(the start day not counted; a last day on a rest day moves to the next working day); "working
days" are counted on the working-day calendar (anxin.core.calendar). Values marked
*configurable* come from settings with these defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from anxin.petitions.choices import Kind

#: Art. 22, 23: register and route / tell the petitioner whether accepted, within 15 days.
ACCEPT_DAYS = 15
#: Art. 23: a unit that receives a mis-routed item objects within 5 working days.
OBJECT_WORKING_DAYS = 5
#: Art. 34: an Art. 31(6) claim is handled within 60 days of acceptance …
HANDLE_DAYS = 60
#: … and extensions approved by the unit head add at most 30 days in total.
MAX_EXTENSION_DAYS = 30
#: Art. 35: 复查 is requested within 30 days of receiving the written reply, decided in 30 days.
REVIEW_REQUEST_DAYS = 30
REVIEW_DAYS = 30
#: Art. 36: 复核 likewise, counted from receiving the 复查 reply; hearing time not counted.
RECHECK_REQUEST_DAYS = 30
RECHECK_DAYS = 30
#: Art. 20: a group visit elects at most 5 representatives.
MAX_REPRESENTATIVES = 5


def suggestion_days() -> int:
    """Art. 29: suggestions are studied and answered; limit configurable (default 60 days)."""
    return int(getattr(settings, "ANXIN_SUGGESTION_DAYS", 60))


def accusation_days() -> int:
    """Art. 30: accusations follow the competent organ's procedure; our tracking limit (default 60)."""
    return int(getattr(settings, "ANXIN_ACCUSATION_DAYS", 60))


def handle_days(kind: str) -> int:
    if kind == Kind.SUGGESTION:
        return suggestion_days()
    if kind == Kind.ACCUSATION:
        return accusation_days()
    return HANDLE_DAYS


@dataclass(frozen=True)
class ClockRule:
    name: str
    rule: str  # calendar_days | working_days
    days: int
    article: str


#: the clocks of a petition, by the name used in the API's ``deadlines``
CLOCKS = {
    "accept_by": ClockRule("accept_by", "calendar_days", ACCEPT_DAYS, "Art. 22, 23"),
    "object_by": ClockRule("object_by", "working_days", OBJECT_WORKING_DAYS, "Art. 23"),
    "handle_by": ClockRule("handle_by", "calendar_days", HANDLE_DAYS, "Art. 34"),
    "review_request_by": ClockRule(
        "review_request_by", "calendar_days", REVIEW_REQUEST_DAYS, "Art. 35"
    ),
    "review_by": ClockRule("review_by", "calendar_days", REVIEW_DAYS, "Art. 35"),
    "recheck_request_by": ClockRule(
        "recheck_request_by", "calendar_days", RECHECK_REQUEST_DAYS, "Art. 36"
    ),
    "recheck_by": ClockRule("recheck_by", "calendar_days", RECHECK_DAYS, "Art. 36"),
}
