"""Notifications: the in-app inbox, the outbox of e-mails and text messages, and preferences.

Everything is written by :mod:`anxin.supervision.notifications` (``notify``, the sweep's
set-based variant, the outbox delivery). A person reads only their own rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anxin.core.fields import EncryptedTextField
from anxin.supervision.choices import Channel, OutboxStatus


class Notification(models.Model):
    """One entry of a person's inbox. ``dedupe_key`` (``"<key>:<user id>"``) makes it once-only.

    Indexes are only those its reads use (the sweep writes thousands of rows per batch, each
    index is written for each): the inbox's ``(user, -id)`` also serves the foreign key. The
    person is checked by the statements that write the row (they select active people), not by
    a database constraint (a deferred check per row; Django's ``CASCADE`` still applies).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    #: unique through a constraint, not ``unique=True``: no LIKE pattern index on PostgreSQL
    dedupe_key = models.CharField(max_length=200)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="supervision_notification_once"),
        ]
        indexes = [
            # the inbox page (keyset on -id) and the unread badge
            models.Index(fields=["user", "-id"], name="supervision_notif_inbox"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="supervision_notif_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class OutboxMessage(models.Model):
    """One e-mail or text message to send once, retried with back-off until it goes or fails.

    The address is looked up from the person when the message is sent (a changed address is
    used) and kept, encrypted, as the record of where it went.

    Indexes: only the sender's and the two constraints' (no query looks messages up by person:
    the sender reads by due time, the sweep and ``notify`` by key). The person, as for the
    inbox, is checked by the statements that write the row, not by a database constraint.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,
        db_constraint=False,
    )
    channel = models.CharField(
        pgettext_lazy("outbox", "channel"), max_length=8, choices=Channel.choices
    )
    address = EncryptedTextField(_("recipient address"), blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    #: pending: when to try (again); sending: when the claim lapses (a killed sender)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    #: the delivery run that claimed the row (read with the claimed ids: no index of its own)
    claim = models.CharField(max_length=32, blank=True)
    #: unique through a constraint, not ``unique=True``: no LIKE pattern index on PostgreSQL
    dedupe_key = models.CharField(max_length=210)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="supervision_outbox_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OutboxStatus.values), name="supervision_outbox_status_valid"
            ),
            models.UniqueConstraint(fields=["dedupe_key"], name="supervision_outbox_once"),
        ]
        indexes = [
            # the sender's "next due, oldest first, by id" read in index order: LIMIT stops
            # after the rows it takes, however many are due
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]),
                name="supervision_outbox_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.user_id}: {self.subject}"


class NotificationPreference(models.Model):
    """A person's channels for one kind of notification (the inbox entry is always made)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=64)
    email = models.BooleanField(_("email"))
    sms = models.BooleanField(_("SMS"))
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="supervision_pref_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"
