"""Hazards (事故隐患) and their timeline — issue 4, items 4 and 9.

A hazard is seen through its site (territorial unit or regulating department); a reported
hazard without a site yet (the triage queue) through the unit of its place. Its deadline is
also a clock in supervision's one table (``rectify_by``), kept by the services. The workflow
and the statutory rules are in :mod:`anxin.safety.hazard_rules`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anxin.core.fields import EncryptedTextField
from anxin.core.models import Unit, User
from anxin.core.scoping import RestrictedQuerySet
from anxin.safety.hazard_rules import HazardGrade, HazardSource, HazardStatus
from anxin.safety.models_inspections import Inspection, InspectionResult


class HazardQuerySet(RestrictedQuerySet["Hazard"]):
    pass


class Hazard(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "safety.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    #: 属地: the site's territorial unit when found (or the place's unit for a report)
    unit = models.ForeignKey(
        Unit, verbose_name=_("territorial unit"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("description"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    grade = models.CharField(
        _("grade"), max_length=8, choices=HazardGrade.choices, default=HazardGrade.GENERAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=HazardStatus.choices, default=HazardStatus.REGISTERED
    )
    source = models.CharField(
        _("source"), max_length=12, choices=HazardSource.choices, default=HazardSource.OTHER
    )
    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    inspection_result = models.ForeignKey(
        InspectionResult,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    checklist_item = models.ForeignKey(
        "safety.ChecklistItem",
        verbose_name=_("checklist item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    found_at = models.DateTimeField(_("found at"), default=timezone.now)
    #: 整改期限; mirrored by the clock ``rectify_by``
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    # 五落实 (16号令 Art. 15): 责任、措施、资金、时限 (= deadline)、预案
    responsible = models.CharField(_("responsible person"), max_length=100, blank=True)
    measures = models.TextField(_("measures"), blank=True)
    funds = models.DecimalField(
        _("funds (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    contingency_plan = models.TextField(_("contingency plan"), blank=True)
    #: production (fully or partly) stopped for the rectification (安全生产法 Art. 65(3))
    production_stopped = models.BooleanField(_("production stopped"), default=False)
    resumption_approved_at = models.DateTimeField(null=True, blank=True)
    resumption_approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resumption_notes = models.TextField(_("review of the resumption"), blank=True)
    # 挂牌督办
    supervision_unit = models.ForeignKey(
        Unit,
        verbose_name=_("supervising authority"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    supervision_listed_at = models.DateTimeField(null=True, blank=True)
    supervision_document = models.CharField(
        _("supervision document number"), max_length=100, blank=True
    )
    # rectification and verification (验收)
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verification_notes = models.TextField(_("verification notes"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.TextField(_("reason for voiding"), blank=True)
    #: a closed hazard that came back: linked, not lost
    recurrence_of = models.ForeignKey(
        "self",
        verbose_name=_("recurrence of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recurrences",
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # a report from the public (anxin.safety.public_reports): the tracking code's SM3 digest
    # and the reporter's identity (encrypted; empty when anonymous), never shown to the site
    tracking_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reporter_name = EncryptedTextField(_("reporter's name"), blank=True)
    reporter_phone = EncryptedTextField(_("reporter's phone"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = HazardQuerySet.as_manager()

    permission_prefix = "hazard"

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=HazardStatus.values), name="safety_hazard_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(grade__in=HazardGrade.values), name="safety_hazard_grade_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=HazardSource.values), name="safety_hazard_source_valid"
            ),
            # 挂牌督办 is for major hazards only
            models.CheckConstraint(
                condition=Q(supervision_unit__isnull=True) | Q(grade=HazardGrade.MAJOR),
                name="safety_hazard_supervision_major",
            ),
            # past registration a hazard belongs to a site
            models.CheckConstraint(
                condition=Q(status__in=[HazardStatus.REPORTED, HazardStatus.VOID])
                | Q(site__isnull=False),
                name="safety_hazard_site_registered",
            ),
            models.CheckConstraint(
                condition=~Q(status=HazardStatus.CLOSED) | Q(closed_at__isnull=False),
                name="safety_hazard_closed_at",
            ),
            models.CheckConstraint(
                condition=~Q(status=HazardStatus.VOID) | ~Q(void_reason=""),
                name="safety_hazard_void_reason",
            ),
            models.UniqueConstraint(
                fields=["inspection_result"],
                condition=Q(inspection_result__isnull=False),
                name="safety_hazard_one_per_result",
            ),
        ]
        indexes = [
            models.Index(fields=["-found_at", "-id"], name="safety_hazard_by_found"),
            models.Index(fields=["site", "-found_at"], name="safety_hazard_by_site"),
            models.Index(fields=["status", "deadline"], name="safety_hazard_by_status"),
            models.Index(
                fields=["supervision_unit"],
                condition=Q(supervision_unit__isnull=False),
                name="safety_hazard_supervised",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The human reference: YH, the year found, the id (YH2026-000123)."""
        return f"YH{timezone.localtime(self.found_at):%Y}-{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        from anxin.safety.hazard_rules import OPEN_STATES

        return self.status in OPEN_STATES

    def is_overdue(self, today: Any = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.deadline is not None and self.deadline < today

    @classmethod
    def restrict_q(cls, user: Any, action: str) -> Q | None:
        from anxin.safety.hazard_scoping import hazard_restrict_q

        return hazard_restrict_q(user, action)


class HazardEvent(models.Model):
    """One step of a hazard's timeline, written by the service that took it."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["hazard", "at"], name="safety_hazard_event_by_hazard")]

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.kind}"


class ResumptionStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("resumption application", "Under review")
    APPROVED = "approved", pgettext_lazy("resumption application", "Approved")
    REFUSED = "refused", pgettext_lazy("resumption application", "Refused")


class ResumptionApplication(models.Model):
    """The site's written application to resume production after a major hazard stopped it
    (16号令 Art. 23; 安全生产法 Art. 65(3)), and the regulator's decision on it.

    Submitted by the site's enterprise contact from their own login, optionally with a scan of
    the signed paper (a ``core.Attachment`` of the hazard, purpose ``resumption``). It starts
    the review clock ``resumption_review_<n>`` in supervision's one table."""

    hazard = models.ForeignKey(
        Hazard, on_delete=models.CASCADE, related_name="resumption_applications"
    )
    number = models.PositiveIntegerField(default=1)
    text = models.TextField(_("application"))
    scan = models.ForeignKey(
        "core.Attachment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=ResumptionStatus.choices, default=ResumptionStatus.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_notes = models.TextField(_("reasons"), blank=True)

    class Meta:
        ordering = ["applied_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ResumptionStatus.values),
                name="safety_resumption_status_valid",
            ),
            models.UniqueConstraint(
                fields=["hazard"],
                condition=Q(status=ResumptionStatus.PENDING),
                name="safety_resumption_one_pending",
            ),
            models.UniqueConstraint(fields=["hazard", "number"], name="safety_resumption_number"),
            models.CheckConstraint(
                condition=~Q(status=ResumptionStatus.REFUSED) | ~Q(decision_notes=""),
                name="safety_resumption_refusal_reasons",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hazard_id} #{self.number} {self.status}"

    @property
    def clock_name(self) -> str:
        return f"resumption_review_{self.number}"
