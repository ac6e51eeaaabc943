"""Enforcement orders (执法文书) — issue 4, item 5.

An order is seen through its site (territorial unit or regulating department), like hazards;
the enterprise contact does not read orders here. The re-inspection (复查) date is also a clock
in supervision's one table (``reinspect_by``), kept by :mod:`anxin.safety.enforcement`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.models import User
from anxin.core.scoping import RestrictedQuerySet, scope_q
from anxin.safety.enforcement_rules import OrderKind, OrderStatus


class EnforcementOrderQuerySet(RestrictedQuerySet["EnforcementOrder"]):
    pass


class EnforcementOrder(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "safety.Site",
        verbose_name=_("site"),
        on_delete=models.PROTECT,
        related_name="enforcement_orders",
    )
    hazard = models.ForeignKey(
        "safety.Hazard",
        verbose_name=_("hazard"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enforcement_orders",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=OrderKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.ISSUED
    )
    #: codes from ``enforcement_rules.LEGAL_BASES``
    basis_codes = models.JSONField(_("legal basis"), default=list)
    facts = models.TextField(_("facts found"))
    demands = models.TextField(_("demands"))
    #: 整改期限 / the date the order runs to; the re-inspection is due on it (``reinspect_by``)
    deadline = models.DateField(_("deadline"))
    fine_yuan = models.DecimalField(
        _("fine (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    #: an administrative penalty (行政处罚法 Art. 42; counted by 安全生产法 Art. 113)
    is_penalty = models.BooleanField(_("administrative penalty"), default=False)
    officers = models.ManyToManyField(
        User, verbose_name=_("enforcement officers"), related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: power cut-off (安全生产法 Art. 70): notified at, executable 24 hours later
    notice_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    reinspected_at = models.DateTimeField(_("re-inspected at"), null=True, blank=True)
    reinspected_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reinspection_passed = models.BooleanField(null=True, blank=True)
    reinspection_notes = models.TextField(_("re-inspection notes"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = EnforcementOrderQuerySet.as_manager()

    permission_prefix = "enforcement"

    class Meta:
        verbose_name = _("enforcement order")
        verbose_name_plural = _("enforcement orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrderKind.values), name="safety_enforcement_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values),
                name="safety_enforcement_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=OrderKind.POWER_CUT) | Q(notice_at__isnull=False),
                name="safety_enforcement_power_cut_notice",
            ),
        ]
        indexes = [
            models.Index(fields=["-issued_at", "-id"], name="safety_enforcement_by_issued"),
            models.Index(fields=["site", "-issued_at"], name="safety_enforcement_by_site"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The human reference: ZF, the year issued, the id (ZF2026-000012)."""
        return f"ZF{timezone.localtime(self.issued_at):%Y}-{self.pk or 0:06d}"

    @classmethod
    def restrict_q(cls, user: Any, action: str) -> Q | None:
        return scope_q(user, action, ("site__unit", "site__regulating_unit"))
