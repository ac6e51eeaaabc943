"""The one clock table: every statutory deadline of every item of every app is one row.

A domain app (petitions, hazards, accidents) starts, extends, pauses, stops and moves its
clocks through :mod:`anxin.supervision.services`, naming its item by ``subject_type``
(``"petitions.petition"``) and ``subject_id``; supervision imports no domain app. "What is
due" is one indexed query over ``(state, due_on)``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.scoping import RestrictedQuerySet, scope_q
from anxin.supervision.choices import ClockRule, ClockState, EscalationLevel
from anxin.supervision.shields import shielded_q


class ClockQuerySet(RestrictedQuerySet["Clock"]):
    def open(self) -> ClockQuerySet:
        return self.filter(state__in=[ClockState.RUNNING, ClockState.PAUSED])

    def of(self, subject_type: str, subject_id: int) -> ClockQuerySet:
        return self.filter(subject_type=subject_type, subject_id=subject_id)


class Clock(models.Model):
    """One statutory deadline of one item, e.g. a petition's ``accept_by``.

    ``days``, ``extra_days`` and ``paused_days`` are in the unit of the ``rule``: calendar days
    for ``calendar_days`` and ``fixed``, working days for ``working_days``, **hours** for
    ``hours`` (see :mod:`anxin.supervision.rules`). ``due_on`` is always recomputable from them.

    An ``hours`` clock (an accident's report within 1 hour, 493号令 Art. 9) also keeps the moment
    it counts from (``start_at``) and the moment it is due (``due_at`` = ``start_at`` + hours);
    its ``start_on`` and ``due_on`` are the local dates of those moments, so the date-based
    queries ("what is due today") keep working for it. Other clocks leave both empty.
    """

    subject_type = models.CharField(_("item type"), max_length=64)
    subject_id = models.BigIntegerField(_("item id"))
    name = models.CharField(_("name"), max_length=40)
    unit = models.ForeignKey(
        "core.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: the responsible leader (a petition's 包案 leader), set by the domain app; the last step
    #: of the escalation ladder falls back to the unit heads of the parent unit when empty
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rule = models.CharField(_("counting rule"), max_length=16, choices=ClockRule.choices)
    start_on = models.DateField(_("counted from"))
    days = models.PositiveIntegerField(_("days"))
    extra_days = models.PositiveIntegerField(_("extension days"), default=0)
    paused_days = models.PositiveIntegerField(_("paused days"), default=0)
    paused_since = models.DateField(_("paused since"), null=True, blank=True)
    due_on = models.DateField(_("due on"))
    #: ``hours`` clocks only: the moment counted from, and the moment due
    start_at = models.DateTimeField(_("counted from (time)"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=ClockState.choices, default=ClockState.RUNNING
    )
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = ClockQuerySet.as_manager()

    #: scoping: a clock is in scope through its owning unit, less the clocks of items the
    #: domain apps hide from the person (:mod:`anxin.supervision.shields`)
    scope_lookups = ("unit",)
    permission_prefix = "clock"

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ClockState.values), name="supervision_clock_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(rule__in=ClockRule.values), name="supervision_clock_rule_valid"
            ),
            # A paused clock knows since when; no other clock has a pause open.
            models.CheckConstraint(
                condition=(
                    Q(state=ClockState.PAUSED, paused_since__isnull=False)
                    | (~Q(state=ClockState.PAUSED) & Q(paused_since__isnull=True))
                ),
                name="supervision_clock_paused_since",
            ),
            # A met or missed clock knows when it was stopped.
            models.CheckConstraint(
                condition=(
                    ~Q(state__in=[ClockState.MET, ClockState.MISSED]) | Q(stopped_on__isnull=False)
                ),
                name="supervision_clock_stopped_on",
            ),
            # An hours clock counts from a moment to a moment; the others count dates only.
            models.CheckConstraint(
                condition=(
                    Q(rule=ClockRule.HOURS, start_at__isnull=False, due_at__isnull=False)
                    | (~Q(rule=ClockRule.HOURS) & Q(start_at__isnull=True, due_at__isnull=True))
                ),
                name="supervision_clock_hours_times",
            ),
            # One live clock of each name per item; cancelled ones stay as history.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "name"],
                condition=~Q(state=ClockState.CANCELLED),
                name="supervision_clock_one_live_per_name",
            ),
        ]
        indexes = [
            # "What is due": the sweep, the to-do lists and the timeliness indicators.
            models.Index(
                fields=["state", "due_on"],
                condition=Q(state=ClockState.RUNNING),
                # covering (PostgreSQL): the dashboard's overdue counts per unit read the index
                # only (75,000 overdue clocks at 1M cases: 0.66 -> 0.12 s); ``subject_id`` too,
                # for the shield's exclusion of hidden items (supervision.shields)
                include=["subject_type", "unit", "subject_id"],
                name="supervision_clock_running_due",
            ),
            # "What is due within the hour": the running hours clocks by their due moment.
            models.Index(
                fields=["state", "due_at"],
                condition=Q(state=ClockState.RUNNING, rule=ClockRule.HOURS),
                name="supervision_clock_hours_due",
            ),
            models.Index(fields=["subject_type", "subject_id"], name="supervision_clock_subject"),
            models.Index(fields=["unit", "state", "due_on"], name="supervision_clock_unit_due"),
            # the timeliness indicators: one kind of clock of one app due in a period (reports)
            models.Index(
                fields=["subject_type", "name", "due_on"], name="supervision_clock_name_due"
            ),
        ]

    def __str__(self) -> str:
        due = (
            timezone.localtime(self.due_at).isoformat() if self.due_at is not None else self.due_on
        )
        return f"{self.subject_type}:{self.subject_id} {self.name} → {due}"

    @classmethod
    def restrict_q(cls, user: Any, action: str) -> Q | None:
        q = scope_q(user, action, cls.scope_lookups)
        if q is None:
            return None
        hidden = shielded_q(user)
        return q if hidden is None else q & ~hidden


class ClockPause(models.Model):
    """One pause of a clock (a hearing, a technical appraisal): from, to, why and who."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="pauses")
    paused_on = models.DateField(_("paused on"))
    resumed_on = models.DateField(_("resumed on"), null=True, blank=True)
    #: days not counted, in the clock rule's unit (set when the pause ends)
    days_not_counted = models.PositiveIntegerField(_("days not counted"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paused by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resumed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("clock pause")
        verbose_name_plural = _("clock pauses")
        constraints = [
            # At most one open pause per clock.
            models.UniqueConstraint(
                fields=["clock"],
                condition=Q(resumed_on__isnull=True),
                name="supervision_clockpause_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clock_id}: {self.paused_on} → {self.resumed_on or '…'}"


class Escalation(models.Model):
    """One step of the 督办 ladder reached by one clock, recorded once (unique clock + level).

    Written only by :func:`anxin.supervision.escalation.escalation_sweep` with ``INSERT …
    SELECT`` that ignores conflicts; ``run`` names the sweep batch that claimed the row, so the
    notifications of exactly the rows this batch inserted are created in the same transaction.
    ``run`` has no index: the batch finds its rows by primary key (ids above the highest one
    it read before inserting) and token.

    The clock reference is checked by the statement that writes the row (it selects the clock),
    not by a database constraint: a deferred foreign-key check per row cost the sweep a third of
    its PostgreSQL time. Deleting a clock through Django still deletes its steps (``CASCADE``).
    """

    #: no index of its own: the unique (clock, level) starts with the clock
    clock = models.ForeignKey(
        Clock,
        on_delete=models.CASCADE,
        related_name="escalations",
        db_index=False,
        db_constraint=False,
    )
    level = models.CharField(_("level"), max_length=12, choices=EscalationLevel.choices)
    due_on = models.DateField(_("due on"))
    run = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["clock", "level"], name="supervision_escalation_once"),
            models.CheckConstraint(
                condition=Q(level__in=EscalationLevel.values),
                name="supervision_escalation_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clock_id} {self.level}"


from anxin.supervision.models_notifications import (  # noqa: E402
    Notification,
    NotificationPreference,
    OutboxMessage,
)

__all__ = [
    "Clock",
    "ClockPause",
    "Escalation",
    "Notification",
    "NotificationPreference",
    "OutboxMessage",
]
from anxin.supervision.models_notices import (  # noqa: E402,F401
    NoticeCounter,
    NoticeReply,
    SupervisionNotice,
)
