"""Webhooks: the endpoints the system administrator registers, and every delivery to them.

A delivery is one event for one endpoint; each attempt to send it is logged with its response
code or error. Rules and services are in :mod:`anxin.core.webhooks`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anxin.core.fields import EncryptedTextField


class WebhookEventType(models.TextChoices):
    CREATED = "created", pgettext_lazy("webhook event", "Created")
    STATUS_CHANGED = "status_changed", pgettext_lazy("webhook event", "Status changed")
    DEADLINE_WARNING = "deadline_warning", pgettext_lazy("webhook event", "Deadline warning")
    OVERDUE = "overdue", pgettext_lazy("webhook event", "Overdue")


class WebhookSubject(models.TextChoices):
    """The items an endpoint may follow, named like supervision's ``subject_type``."""

    PETITION = "petitions.petition", pgettext_lazy("webhook subject", "Petitions")
    HAZARD = "safety.hazard", pgettext_lazy("webhook subject", "Hazards")
    ACCIDENT = "safety.accident", pgettext_lazy("webhook subject", "Accidents")
    ENFORCEMENT = "safety.enforcementorder", pgettext_lazy("webhook subject", "Enforcement orders")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
    RETRYING = "retrying", pgettext_lazy("webhook delivery", "Retrying")
    DELIVERED = "delivered", pgettext_lazy("webhook delivery", "Delivered")
    FAILED = "failed", pgettext_lazy("webhook delivery", "Failed")


class WebhookEndpoint(models.Model):
    """A receiver's URL, its shared secret and the events and items it follows."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    #: the HMAC key; SM4-encrypted at rest, shown once when set
    secret = EncryptedTextField(_("secret"))
    #: WebhookEventType values
    events = models.JSONField(_("events"), default=list)
    #: WebhookSubject values
    subject_types = models.JSONField(_("items"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
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
        ordering = ["name", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["is_active"], name="core_webhook_active")]

    def __str__(self) -> str:
        return self.name

    def event_labels(self) -> list[str]:
        labels = dict(WebhookEventType.choices)
        return [str(labels.get(e, e)) for e in self.events]

    def subject_labels(self) -> list[str]:
        labels = dict(WebhookSubject.choices)
        return [str(labels.get(s, s)) for s in self.subject_types]


class WebhookDelivery(models.Model):
    """One event for one endpoint: its payload (ids, numbers, status, deadlines) and its fate."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    #: the event's id, shared by a delivery and its replays (receivers de-duplicate on it)
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=20, choices=WebhookEventType.choices)
    subject_type = models.CharField(_("item type"), max_length=64)
    subject_id = models.BigIntegerField(_("item id"))
    payload = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=300, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replays"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        app_label = "core"
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="core_webhookdelivery_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(event__in=WebhookEventType.values),
                name="core_webhookdelivery_event_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="core_webhookdelivery_log"),
            models.Index(fields=["status", "next_attempt_at"], name="core_webhookdelivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.subject_type}#{self.subject_id}"


class WebhookAttempt(models.Model):
    """One try to send a delivery: when, the HTTP status answered, or the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "core"
        ordering = ["delivery", "number"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="core_webhookattempt_once")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
