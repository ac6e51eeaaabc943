"""Fixed vocabularies of supervision: how a clock counts, and where it stands."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockRule(models.TextChoices):
    #: 民法典 Art. 200–203: calendar days, the last day moved off a rest day
    CALENDAR_DAYS = "calendar_days", _("Calendar days")
    #: 工作日: only working days count (State Council calendar with make-up working days)
    WORKING_DAYS = "working_days", _("Working days")
    #: a date set by a decision (a rectification deadline): extended and paused day by day
    FIXED = "fixed", _("Fixed date")
    #: a period in hours from a moment (493号令 Art. 9, 11: report within 1 hour, 2 hours per
    #: level): ``start_at`` + hours, compared to the minute; rest days do not matter
    HOURS = "hours", _("Hours")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


#: clocks that still count down (a calendar change moves their due date)
OPEN_STATES = frozenset({ClockState.RUNNING, ClockState.PAUSED})
#: clocks that ended with the act they timed
STOPPED_STATES = frozenset({ClockState.MET, ClockState.MISSED})
#: rules whose due date a change of the working-day calendar never moves
CALENDAR_FREE_RULES = frozenset({ClockRule.FIXED, ClockRule.HOURS})
