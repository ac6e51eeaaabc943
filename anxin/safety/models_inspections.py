"""Inspections (安全检查) and inspection plans (检查计划、专项行动) — issue 4, items 2 and 3.

An inspection records the time, place, content, problems found and their handling, a result
per item of the checklist version used, and the signatures of the inspectors and of the
site's leader — or the leader's refusal to sign, recorded with the inspectors' note
(安全生产法 Art. 68). A penalty proposed on it needs two inspectors (行政处罚法 Art. 42).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anxin.core.models import Unit, User
from anxin.core.scoping import RestrictedQuerySet


class InspectionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("inspection status", "Draft")
    SIGNED = "signed", pgettext_lazy("inspection status", "Signed")
    REFUSED_TO_SIGN = "refused_to_sign", pgettext_lazy("inspection status", "Refused to sign")


class ResultGrade(models.TextChoices):
    PASS = "pass", pgettext_lazy("checklist result", "Pass")
    FAIL = "fail", pgettext_lazy("checklist result", "Fail")
    NA = "na", pgettext_lazy("checklist result", "Not applicable")


class SignatureRole(models.TextChoices):
    INSPECTOR = "inspector", pgettext_lazy("signer", "Inspector")
    LEADER = "leader", pgettext_lazy("signer", "Leader of the inspected unit")


class SignatureMethod(models.TextChoices):
    DRAWN = "drawn", _("Drawn signature")
    SCAN = "scan", _("Signed scan")


class InspectionPlanQuerySet(RestrictedQuerySet["InspectionPlan"]):
    pass


class InspectionPlan(models.Model):
    """A plan or campaign (专项行动): sectors, area, period and a coverage target."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    #: the unit that runs the campaign (a department or a division)
    organiser = models.ForeignKey(
        Unit, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+"
    )
    #: the area: sites whose territorial unit lies in this unit's subtree
    unit = models.ForeignKey(
        Unit, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    #: empty = every sector
    sectors = models.ManyToManyField(
        "safety.Sector", verbose_name=_("sectors"), blank=True, related_name="+"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    #: share of the sites in scope to inspect, in per cent
    coverage_target = models.PositiveSmallIntegerField(_("coverage target (%)"), default=100)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1)

    objects = InspectionPlanQuerySet.as_manager()

    scope_lookups = ("organiser", "unit")
    permission_prefix = "inspection_plan"

    class Meta:
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="safety_plan_period_valid"
            ),
            models.CheckConstraint(
                condition=Q(coverage_target__lte=100), name="safety_plan_target_valid"
            ),
        ]
        indexes = [models.Index(fields=["-starts_on", "-id"], name="safety_plan_by_start")]

    def __str__(self) -> str:
        return self.title


class InspectionQuerySet(RestrictedQuerySet["Inspection"]):
    pass


class Inspection(models.Model):
    """One inspection of one site: the record the inspectors and the site's leader sign."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "safety.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="inspections"
    )
    plan = models.ForeignKey(
        InspectionPlan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    #: the checklist version used (past inspections keep pointing at the items they used)
    template = models.ForeignKey(
        "safety.ChecklistTemplate",
        verbose_name=_("checklist"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspectors = models.ManyToManyField(
        User, verbose_name=_("inspectors"), related_name="inspections_made"
    )
    started_at = models.DateTimeField(_("time of the inspection"), default=timezone.now)
    place = models.CharField(_("place"), max_length=200)
    content = models.TextField(_("content of the inspection"))
    problems = models.TextField(_("problems found"), blank=True)
    handling = models.TextField(_("handling"), blank=True)
    #: 行政处罚法 Art. 42: only with two or more inspectors
    penalty_proposed = models.BooleanField(_("penalty proposed"), default=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=InspectionStatus.choices,
        default=InspectionStatus.DRAFT,
    )
    #: the inspected unit's leader (被检查单位负责人) who signs — or refuses to
    leader_name = models.CharField(_("leader of the inspected unit"), max_length=50, blank=True)
    refusal_note = models.TextField(_("note on the refusal to sign"), blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = InspectionQuerySet.as_manager()

    permission_prefix = "inspection"

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InspectionStatus.values),
                name="safety_inspection_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=InspectionStatus.REFUSED_TO_SIGN)
                | (Q(refused_at__isnull=False) & ~Q(refusal_note="")),
                name="safety_inspection_refusal_noted",
            ),
        ]
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="safety_inspection_by_time"),
            models.Index(fields=["site", "-started_at"], name="safety_inspection_by_site"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.started_at:%Y-%m-%d}"

    @classmethod
    def restrict_q(cls, user: Any, action: str) -> Q | None:
        from anxin.safety.hazard_scoping import inspection_restrict_q

        return inspection_restrict_q(user, action)


class InspectionResult(models.Model):
    """合格 / 不合格 / 不适用 for one checklist item; photos are attachments of this row."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(
        "safety.ChecklistItem", verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField(_("result"), max_length=4, choices=ResultGrade.choices)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "item"], name="safety_inspection_result_unique"
            ),
            models.CheckConstraint(
                condition=Q(grade__in=ResultGrade.values), name="safety_inspection_result_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.item_id} {self.grade}"


class InspectionSignature(models.Model):
    """One signature on the record: an inspector's or the leader's, drawn or a signed scan."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="signatures")
    role = models.CharField(max_length=10, choices=SignatureRole.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    method = models.CharField(max_length=8, choices=SignatureMethod.choices)
    #: the drawn signature (re-encoded PNG) or the scan, owned by the inspection
    attachment = models.ForeignKey("core.Attachment", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=SignatureRole.values), name="safety_signature_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(method__in=SignatureMethod.values),
                name="safety_signature_method_valid",
            ),
            models.CheckConstraint(
                condition=~Q(role=SignatureRole.INSPECTOR) | Q(user__isnull=False),
                name="safety_signature_inspector_user",
            ),
            models.UniqueConstraint(
                fields=["inspection", "user"],
                condition=Q(role=SignatureRole.INSPECTOR),
                name="safety_signature_one_per_inspector",
            ),
            models.UniqueConstraint(
                fields=["inspection"],
                condition=Q(role=SignatureRole.LEADER),
                name="safety_signature_one_leader",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.role} {self.name}"
