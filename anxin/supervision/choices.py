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


class EscalationLevel(models.TextChoices):
    """The steps of 三色督办: a warning when a clock turns yellow, then the overdue ladder."""

    WARNING = "warning", _("Deadline warning")
    HANDLER = "handler", _("Overdue: handler")
    UNIT_HEAD = "unit_head", _("Overdue: unit head")
    SUPERVISOR = "supervisor", _("Overdue: supervising office")
    LEADER = "leader", _("Overdue: responsible leader")


#: the overdue steps in order; ``ANXIN_SUPERVISION["escalation_working_days"]`` pairs with them
LADDER = (
    EscalationLevel.HANDLER,
    EscalationLevel.UNIT_HEAD,
    EscalationLevel.SUPERVISOR,
    EscalationLevel.LEADER,
)


class Colour(models.TextChoices):
    """三色督办 of an open clock (computed, never stored)."""

    RED = "red", _("Red: overdue")
    YELLOW = "yellow", _("Yellow: warning")
    BLUE = "blue", _("Blue: due soon")
    NORMAL = "normal", _("On schedule")
    PAUSED = "paused", _("Paused")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
