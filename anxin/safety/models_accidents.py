"""Production-safety accidents (生产安全事故, 493号令): the accident and its reports.

The accident's clocks (report within 1 hour, each level within 2 hours, the supplementary
window, the investigation report, the approval) are rows of supervision's one clock table under
``subject_type = "safety.accident"``; the rules are in :mod:`anxin.safety.accident_rules`, the
write path in :mod:`anxin.safety.accidents`.

The hazards found in the investigation (issue item 6, "link the hazards") are
``Accident.hazards``; ``accidents.accident_link_hazards`` / ``accident_unlink_hazards`` change
them, audited.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.models import Unit, User
from anxin.core.scoping import RestrictedQuerySet
from anxin.safety.accident_rules import AccidentGrade, AccidentKind, ReportLevel


class ReportKind(models.TextChoices):
    COUNTY = "county", _("Report to the county (Art. 9)")
    LEVEL_UP = "level_up", _("Report to the next level (Art. 10, 11)")
    SUPPLEMENTARY = "supplementary", _("Supplementary report (Art. 13)")


class AccidentStage(models.TextChoices):
    """Where the accident stands; derived from the dates, never stored."""

    INVESTIGATING = "investigating", _("Under investigation")
    AWAITING_APPROVAL = "awaiting_approval", _("Investigation report received, awaiting approval")
    APPROVED = "approved", _("Approved")


class AccidentQuerySet(RestrictedQuerySet["Accident"]):
    pass


class Accident(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(_("time of the accident"))
    #: when the unit's leader was told (Art. 9: the 1-hour clock runs from here)
    unit_informed_at = models.DateTimeField(_("unit leader informed at"))
    place = models.CharField(_("place"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=AccidentKind.choices)
    summary = models.TextField(_("summary"))
    deaths = models.PositiveIntegerField(_("deaths"), default=0)
    #: 重伤, including acute industrial poisoning (急性工业中毒), Art. 3
    serious_injuries = models.PositiveIntegerField(_("serious injuries"), default=0)
    #: 下落不明: reported (Art. 12(4)), never counted toward the grade
    missing = models.PositiveIntegerField(_("missing"), default=0)
    direct_loss_yuan = models.DecimalField(
        _("direct economic loss (yuan)"), max_digits=15, decimal_places=2, default=0
    )
    grade = models.CharField(_("grade"), max_length=24, choices=AccidentGrade.choices)
    site = models.ForeignKey(
        "safety.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accidents",
    )
    #: 属地: the territorial unit where it happened (scope)
    unit = models.ForeignKey(
        Unit, verbose_name=_("territorial unit"), on_delete=models.PROTECT, related_name="+"
    )
    reported_to_county_at = models.DateTimeField(_("reported to the county at"), null=True)
    #: the highest authority the report has reached so far ("" before the county report)
    highest_level = models.CharField(
        _("highest level reached"), max_length=12, choices=ReportLevel.choices, blank=True
    )
    investigation_extension_days = models.PositiveIntegerField(
        _("investigation extended by (days)"), default=0
    )
    investigation_report_received_on = models.DateField(
        _("investigation report received on"), null=True, blank=True
    )
    approval_extension_days = models.PositiveIntegerField(
        _("approval extended by (days)"), default=0
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    #: 批复文号
    approval_reference = models.CharField(_("approval document number"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: the hazards found in the investigation (事故调查发现的隐患)
    hazards = models.ManyToManyField(
        "safety.Hazard",
        verbose_name=_("hazards found in the investigation"),
        blank=True,
        related_name="accidents",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = AccidentQuerySet.as_manager()

    scope_lookups = ("unit",)
    permission_prefix = "accident"

    class Meta:
        verbose_name = _("accident")
        verbose_name_plural = _("accidents")
        constraints = [
            models.CheckConstraint(
                condition=Q(grade__in=AccidentGrade.values), name="safety_accident_grade_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AccidentKind.values), name="safety_accident_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(highest_level__in=["", *ReportLevel.values]),
                name="safety_accident_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(unit_informed_at__gte=F("occurred_at")),
                name="safety_accident_informed_after",
            ),
            models.CheckConstraint(
                condition=Q(direct_loss_yuan__gte=0), name="safety_accident_loss_positive"
            ),
            # Art. 29: at most 60 days more; Art. 32: at most 30 days more.
            models.CheckConstraint(
                condition=Q(investigation_extension_days__lte=60),
                name="safety_accident_ext_max",
            ),
            models.CheckConstraint(
                condition=Q(approval_extension_days__lte=30),
                name="safety_accident_approval_ext_max",
            ),
            # Approved only after the report was received, and not before.
            models.CheckConstraint(
                condition=Q(approved_on__isnull=True)
                | Q(
                    investigation_report_received_on__isnull=False,
                    approved_on__gte=F("investigation_report_received_on"),
                ),
                name="safety_accident_approved_after",
            ),
            # Reported to the county exactly when a level has been reached.
            models.CheckConstraint(
                condition=(Q(reported_to_county_at__isnull=True) & Q(highest_level=""))
                | (Q(reported_to_county_at__isnull=False) & ~Q(highest_level="")),
                name="safety_accident_county_level",
            ),
        ]
        indexes = [
            models.Index(fields=["occurred_at", "id"], name="safety_accident_by_time"),
            models.Index(fields=["unit", "occurred_at"], name="safety_accident_by_unit"),
            models.Index(fields=["grade", "occurred_at"], name="safety_accident_by_grade"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.occurred_at).strftime("%Y-%m-%d %H:%M")
        return f"{when} {self.place}"

    @property
    def stage(self) -> str:
        if self.approved_on is not None:
            return AccidentStage.APPROVED
        if self.investigation_report_received_on is not None:
            return AccidentStage.AWAITING_APPROVAL
        return AccidentStage.INVESTIGATING

    def get_stage_display(self) -> str:
        return str(AccidentStage(self.stage).label)

    @property
    def occurred_on(self) -> dt.date:
        """The local date of the accident: statutory days count from it (Art. 13, 29)."""
        return timezone.localdate(self.occurred_at)


class AccidentReportQuerySet(RestrictedQuerySet["AccidentReport"]):
    pass


class AccidentReport(models.Model):
    """One report of the accident — to the county, up a level, or a supplementary report — with
    the casualties and the grade as they stood at that time (Art. 12, 13)."""

    accident = models.ForeignKey(Accident, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(_("kind of report"), max_length=16, choices=ReportKind.choices)
    #: the authority reached by this report ("" for a supplement before the county report)
    level = models.CharField(_("level"), max_length=12, choices=ReportLevel.choices, blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    #: who reported (name and post, as the report gives it)
    reporter = models.CharField(_("reported by"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deaths = models.PositiveIntegerField(_("deaths"))
    serious_injuries = models.PositiveIntegerField(_("serious injuries"))
    missing = models.PositiveIntegerField(_("missing"))
    direct_loss_yuan = models.DecimalField(
        _("direct economic loss (yuan)"), max_digits=15, decimal_places=2
    )
    grade = models.CharField(_("grade"), max_length=24, choices=AccidentGrade.choices)
    #: the grade before this report, when it changed the grade (Art. 20); else ""
    grade_before = models.CharField(
        _("grade before"), max_length=24, choices=AccidentGrade.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AccidentReportQuerySet.as_manager()

    scope_lookups = ("accident__unit",)
    permission_prefix = "accident"

    class Meta:
        verbose_name = _("accident report")
        verbose_name_plural = _("accident reports")
        ordering = ["reported_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ReportKind.values), name="safety_accrep_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(level__in=["", *ReportLevel.values]),
                name="safety_accrep_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(grade__in=AccidentGrade.values), name="safety_accrep_grade_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="supplementary") | ~Q(level=""),
                name="safety_accrep_level_needed",
            ),
        ]
        indexes = [
            models.Index(fields=["accident", "reported_at"], name="safety_accrep_by_accident"),
        ]

    def __str__(self) -> str:
        return f"{self.accident_id} {self.kind} {self.level}"
