"""Petitions (信访事项): the case, its people, its written answers, and its timeline."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.fields import EncryptedTextField
from anxin.core.models import Unit, User
from anxin.core.scoping import RestrictedQuerySet
from anxin.petitions.choices import (
    Channel,
    DeliveryMethod,
    DocumentKind,
    Kind,
    LeaderLevel,
    Outcome,
    Rating,
    Stage,
    Status,
)


class Category(models.Model):
    """Admin-editable petition categories (征地拆迁, 劳动社保, …)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    #: petitions of this category are safety matters that may become hazards (issue: safety)
    is_safety = models.BooleanField(_("safety matter"), default=False)
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("petition category")
        verbose_name_plural = _("petition categories")

    def __str__(self) -> str:
        return self.name


class DeclineReason(models.Model):
    """The maintained list of reasons for not accepting, each with the channel to use instead."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(_("reason"), max_length=100)
    channel_advice = models.CharField(_("channel to use instead"), max_length=200, blank=True)
    article = models.CharField(_("legal basis"), max_length=100, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class PetitionQuerySet(RestrictedQuerySet["Petition"]):
    pass


class Petition(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("case number"), max_length=20, unique=True)
    query_digest = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"))
    received_on = models.DateField(_("received on"))
    registered_at = models.DateTimeField(default=timezone.now)
    registered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    registering_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    #: the unit that holds the case while it is registered (forwarding moves it)
    current_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    #: the unit that forwarded it there (settles an objection), if any
    forwarded_by_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_unit = models.ForeignKey(
        Unit,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    leader = models.ForeignKey(
        User,
        verbose_name=_("leader who owns the case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recheck_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    confidential = models.BooleanField(_("confidential"), default=False)
    accused_unit = models.ForeignKey(
        Unit,
        verbose_name=_("accused unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accused_person = EncryptedTextField(_("accused person"), blank=True)
    accused_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decline_reason = models.ForeignKey(
        DeclineReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel_advice = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    rating = models.CharField(max_length=20, choices=Rating.choices, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    transfer_count = models.PositiveSmallIntegerField(default=0)
    extension_days = models.PositiveSmallIntegerField(default=0)
    supporters = models.PositiveIntegerField(_("supporters"), default=0)
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="repeats"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    flags = models.JSONField(default=list, blank=True)
    #: deferred intake: search tokens and repeat matching not yet done for this case
    #: (``petition_followup``, run by a Huey task after commit and by the catch-up job)
    followup_pending = models.BooleanField(default=False, db_default=False)
    is_backlog = models.BooleanField(_("backlog case"), default=False)
    backlog_since = models.DateField(_("backlog since"), null=True, blank=True)
    backlog_target_on = models.DateField(_("target date for clearing"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)
    #: when the identities in the case were removed past retention (anxin.petitions.privacy)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PetitionQuerySet.as_manager()

    permission_prefix = "petition"

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="petition_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="petition_kind_valid"),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="petition_channel_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["-received_on", "-id"], name="petition_ledger"),
            models.Index(fields=["status", "-received_on"], name="petition_status"),
            models.Index(fields=["current_unit", "status"], name="petition_current_unit"),
            models.Index(fields=["lead_unit", "status"], name="petition_lead_unit"),
            models.Index(fields=["category", "-received_on"], name="petition_category"),
            models.Index(fields=["kind", "-received_on"], name="petition_kind"),
            models.Index(fields=["channel", "-received_on"], name="petition_channel"),
            models.Index(fields=["leader", "status"], name="petition_leader"),
            models.Index(
                fields=["is_backlog"], condition=Q(is_backlog=True), name="petition_backlog"
            ),
            # the whistleblower shield's accusations (scoping.shield_q), read index-only: the
            # figures served from the rollups subtract the cases hidden from the viewer (reports)
            models.Index(
                fields=["accused_unit", "accused_user", "id"],
                condition=Q(kind="accusation"),
                name="petition_accusation_targets",
            ),
            # the indicators' cohort "closed in the period" (reports)
            models.Index(fields=["status", "closed_at"], name="petition_closed"),
            # the intake follow-up's catch-up job: the few cases whose follow-up has not run
            models.Index(
                fields=["id"], condition=Q(followup_pending=True), name="petition_followup"
            ),
            # the daily anonymisation: closed cases whose identities are still kept
            models.Index(
                fields=["closed_at"],
                condition=Q(closed_at__isnull=False, anonymised_at__isnull=True),
                name="petition_to_anonymise",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @classmethod
    def restrict_q(cls, user: Any, action: str) -> Q | None:
        from anxin.petitions.scoping import petition_restrict_q

        return petition_restrict_q(user, action)


class PetitionUnit(models.Model):
    """Every unit a case has passed through or belongs to; the basis of who may see it (item 11)."""

    class Role(models.TextChoices):
        REGISTERING = "registering", _("Registering unit")
        HOLDING = "holding", _("Holding unit")
        FORMER = "former", _("Former holding unit")
        LEAD = "lead", _("Lead unit")
        CO = "co", _("Co-handling unit")
        REVIEW = "review", _("Review unit")
        RECHECK = "recheck", _("Re-review unit")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="unit_links")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=12, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "unit", "role"], name="petition_unit_unique"
            ),
        ]
        indexes = [models.Index(fields=["unit", "petition"], name="petition_unit_by_unit")]

    def __str__(self) -> str:
        return f"{self.petition_id}:{self.unit_id}:{self.role}"


class Complainant(models.Model):
    """A person who raised the matter. Personal data is SM4-encrypted at rest (item 10)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="complainants")
    name = EncryptedTextField(_("name"))
    id_number = EncryptedTextField(_("citizen ID number"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    is_representative = models.BooleanField(_("representative of a group visit"), default=False)

    def __str__(self) -> str:
        return f"complainant of {self.petition_id}"


class ResolutionOwner(models.Model):
    """Who owns solving the matter at each level (化解方案); never anything about the petitioner."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="owners")
    level = models.CharField(max_length=12, choices=LeaderLevel.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=50, blank=True)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.name}"


class PlanStep(models.Model):
    """A step of the resolution plan (化解方案) with its date."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="plan_steps")
    text = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.text


class Decision(models.Model):
    """A written answer: the 信访处理意见书, 复查意见书 or 复核意见书 (Art. 32, 35, 36)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="decisions")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    request = models.TextField(_("request"), blank=True)
    facts = models.TextField(_("facts"))
    reasons = models.TextField(_("reasons"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    legal_basis = models.TextField(_("legal basis"))
    drafted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    signed_off_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "stage"], name="decision_one_per_stage"),
        ]
        indexes = [
            # the indicators' cohort "answered in writing in the period" (reports)
            models.Index(fields=["stage", "signed_off_at"], name="decision_signed_off"),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.stage}"


class Delivery(models.Model):
    """A notice or decision delivered to the petitioner (送达): method and date."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="deliveries")
    document = models.CharField(max_length=20, choices=DocumentKind.choices)
    method = models.CharField(max_length=12, choices=DeliveryMethod.choices)
    delivered_on = models.DateField()
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["petition", "document"], name="delivery_by_doc")]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.document} {self.delivered_on}"


class PetitionEvent(models.Model):
    """One step of a case's timeline, written by the service that took the step."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["petition", "at"], name="petition_event_by_case")]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.kind}"


class Counter(models.Model):
    """Per-year counters for case numbers (XF2026-0000001)."""

    name = models.CharField(max_length=32)
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="counter_unique")]

    def __str__(self) -> str:
        return f"{self.name}{self.year}:{self.value}"


from anxin.petitions.models_hazards import PetitionHazardLink  # noqa: E402,F401
from anxin.petitions.models_reception import ReceptionBooking, ReceptionSession  # noqa: E402,F401
