"""The weights of the rankings (考核排名): one row per ranked indicator, edited by the system
administrator through :func:`anxin.reports.services_rankings.indicator_weight_set`.

An indicator without a row has its default weight (:data:`anxin.reports.rankings.DEFAULT_WEIGHTS`,
the district scheme of rules.md §7 with repeat-petition control at 0).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IndicatorWeight(models.Model):
    key = models.CharField(_("indicator"), max_length=64, unique=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("indicator weight")
        verbose_name_plural = _("indicator weights")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="reports_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.weight}"
