"""Checklist templates (检查表): one versioned template per sector, each item with its basis.

Publishing a new version keeps the old one: past inspections refer to the items they used.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.models import User
from anxin.safety.choices import SeverityHint


class ChecklistTemplate(models.Model):
    sector = models.ForeignKey(
        "safety.Sector",
        verbose_name=_("sector"),
        on_delete=models.PROTECT,
        related_name="checklists",
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_current = models.BooleanField(_("current version"), default=True)

    class Meta:
        ordering = ["sector__sort_order", "sector__code", "-version"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        constraints = [
            models.UniqueConstraint(
                fields=["sector", "version"], name="safety_checklist_version_unique"
            ),
            models.UniqueConstraint(
                fields=["sector"],
                condition=Q(is_current=True),
                name="safety_checklist_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class ChecklistItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.CharField(_("item"), max_length=300)
    #: 检查依据: the legal or standard basis (法律法规或标准条款)
    basis = models.CharField(_("basis"), max_length=200)
    severity_hint = models.CharField(
        _("severity hint"),
        max_length=8,
        choices=SeverityHint.choices,
        default=SeverityHint.GENERAL,
    )

    class Meta:
        ordering = ["template", "order"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "order"], name="safety_checklist_item_order_unique"
            ),
            models.CheckConstraint(
                condition=Q(severity_hint__in=SeverityHint.values),
                name="safety_checklist_item_severity_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.text}"
