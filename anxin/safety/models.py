"""Safety: sectors, sites (一企一档) with their permits and timeline, and checklists.

Other parts of the app keep their models in ``models_<part>.py`` and are imported at the end.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.fields import EncryptedTextField
from anxin.core.models import Unit, User
from anxin.core.scoping import RestrictedQuerySet
from anxin.safety.choices import PermitKind, RiskLevel, SiteStatus


class Sector(models.Model):
    """A key sector (重点行业领域) and its regulating department: 管行业必须管安全 (安全生产法 Art. 3)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    department = models.ForeignKey(
        Unit,
        verbose_name=_("regulating department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="regulated_sectors",
    )
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.name


class SiteQuerySet(RestrictedQuerySet["Site"]):
    pass


class Site(models.Model):
    """One enterprise or place under supervision: its dossier (一企一档)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    #: 统一社会信用代码 (GB 32100-2015); empty for a place without one (e.g. a private rental)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, related_name="sites"
    )
    #: 行业主管部门 (defaults to the sector's department)
    regulating_unit = models.ForeignKey(
        Unit,
        verbose_name=_("regulating department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: 属地: the township or village the site lies in
    unit = models.ForeignKey(
        Unit, verbose_name=_("territorial unit"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=SiteStatus.choices, default=SiteStatus.ACTIVE
    )
    #: the 企业联系人 login (role ``enterprise``): sees this site and nothing else of the system
    contact_user = models.ForeignKey(
        User,
        verbose_name=_("enterprise contact login"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_sites",
    )
    contact_name = EncryptedTextField(_("contact name"), blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = SiteQuerySet.as_manager()

    #: staff see a site through its territorial unit or its regulating department
    scope_lookups = ("unit", "regulating_unit")
    permission_prefix = "site"

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_level__in=RiskLevel.values), name="safety_site_risk_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SiteStatus.values), name="safety_site_status_valid"
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="safety_site_credit_code_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="safety_site_by_name"),
            models.Index(fields=["sector", "name"], name="safety_site_by_sector"),
            models.Index(fields=["risk_level", "name"], name="safety_site_by_risk"),
            models.Index(fields=["contact_user"], name="safety_site_by_contact"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def restrict_q(cls, user: Any, action: str) -> Q | None:
        from anxin.safety.scoping import site_restrict_q

        return site_restrict_q(user, action)


class Permit(models.Model):
    """A licence or permit of a site (许可证), with its expiry date."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="permits")
    kind = models.CharField(_("kind"), max_length=24, choices=PermitKind.choices)
    number = models.CharField(_("permit number"), max_length=64)
    issued_by = models.CharField(_("issuing authority"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["expires_on", "id"]
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PermitKind.values), name="safety_permit_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("issued_on")),
                name="safety_permit_dates_valid",
            ),
            models.UniqueConstraint(fields=["site", "kind", "number"], name="safety_permit_unique"),
        ]
        indexes = [models.Index(fields=["expires_on"], name="safety_permit_expiry")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class SiteEvent(models.Model):
    """One line of a site's timeline, written by the service that changed the dossier."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["site", "-at"], name="safety_site_event_by_site")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.kind}"


from anxin.safety.models_accidents import Accident, AccidentReport  # noqa: E402,F401
from anxin.safety.models_checklists import ChecklistItem, ChecklistTemplate  # noqa: E402,F401
from anxin.safety.models_enforcement import EnforcementOrder  # noqa: E402,F401
from anxin.safety.models_hazards import Hazard, HazardEvent  # noqa: E402,F401
