"""Monthly reports (月度报告): one row per request, its progress kept by the Huey task that
builds the .docx narrative and the .xlsx tables, the two files kept as encrypted attachments."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.models import Unit, User
from anxin.core.scoping import RestrictedQuerySet


class MonthlyReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being produced")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class MonthlyReportQuerySet(RestrictedQuerySet["MonthlyReport"]):
    pass


class MonthlyReport(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    #: the unit whose subtree the report covers (the city for the city's report)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    #: the first day of the month reported on
    month = models.DateField(_("month"))
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=MonthlyReportStatus.choices,
        default=MonthlyReportStatus.QUEUED,
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    docx = models.ForeignKey(
        "core.Attachment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    xlsx = models.ForeignKey(
        "core.Attachment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = MonthlyReportQuerySet.as_manager()

    scope_lookups = ("unit",)
    permission_prefix = "monthly_report"

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MonthlyReportStatus.values),
                name="reports_monthly_status_valid",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="reports_monthly_progress"),
        ]
        indexes = [models.Index(fields=["unit", "-month", "-id"], name="reports_monthly_unit")]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.month:%Y-%m}"
