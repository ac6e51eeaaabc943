"""The working-day calendar table: administrators' overrides of the State Council calendar.

The ``chinese_calendar`` package knows the State Council's holiday notices up to its last
release (2026 for 1.11). A row here overrides it for one day, and covers years the package does
not know. Rules and look-ups are in :mod:`anxin.core.calendar`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarDayKind(models.TextChoices):
    #: a rest day: a statutory holiday (法定休假日) or a day off in lieu (民法典 Art. 203)
    HOLIDAY = "holiday", _("Rest day")
    #: a make-up working day (调休), usually a Saturday or Sunday next to a holiday
    WORKDAY = "workday", _("Make-up working day")


class CalendarDay(models.Model):
    """One day whose kind the administrators set: it wins over the package and the weekend."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=CalendarDayKind.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        app_label = "core"
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CalendarDayKind.values), name="core_calendarday_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()}"
