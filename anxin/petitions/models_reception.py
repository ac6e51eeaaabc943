"""Public reception days (公开接访/约访): sessions that leaders hold, and the citizens' bookings.

A session belongs to its *receiving office* (``unit``): only staff whose scope covers that unit
see the bookings. A booking keeps the booker's name and phone SM4-encrypted, the SM3 digest of
the confirmation code (the code itself is shown once, to the booker) and, once the visit took
place, the petition registered at it. Nothing else about the booker is kept.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.fields import EncryptedTextField
from anxin.core.models import Unit, User
from anxin.core.scoping import RestrictedQuerySet, scope_q


class ReceptionSessionQuerySet(RestrictedQuerySet["ReceptionSession"]):
    pass


class ReceptionSession(models.Model):
    """A published time and place at which a leader receives petitioners (接访)."""

    leader = models.ForeignKey(
        User, verbose_name=_("receiving leader"), on_delete=models.PROTECT, related_name="+"
    )
    #: the leader's title as announced (市长, 区信访局局长); the portal shows it with the name
    leader_title = models.CharField(_("leader's title"), max_length=100, blank=True)
    #: the receiving office: the only unit whose staff see the bookings
    unit = models.ForeignKey(
        Unit, verbose_name=_("receiving office"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("reception place"), max_length=200)
    topics = models.TextField(_("reception topics"))
    capacity = models.PositiveSmallIntegerField(_("places"))
    published = models.BooleanField(_("published"), default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1)

    objects = ReceptionSessionQuerySet.as_manager()

    scope_lookups = ("unit",)
    permission_prefix = "reception"

    class Meta:
        verbose_name = _("reception session")
        verbose_name_plural = _("reception sessions")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="reception_capacity_min"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="reception_ends_after_start"
            ),
        ]
        indexes = [
            # the portal: upcoming published sessions
            models.Index(
                fields=["starts_at"],
                condition=Q(published=True, cancelled_at__isnull=True),
                name="reception_open",
            ),
            models.Index(fields=["unit", "-starts_at"], name="reception_by_unit"),
            models.Index(fields=["leader", "starts_at"], name="reception_by_leader"),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{local:%Y-%m-%d %H:%M} {self.place}"


class ReceptionBookingQuerySet(RestrictedQuerySet["ReceptionBooking"]):
    pass


class ReceptionBooking(models.Model):
    """One citizen's booking of a session. ``__str__`` carries no personal data (audit repr)."""

    session = models.ForeignKey(ReceptionSession, on_delete=models.PROTECT, related_name="bookings")
    confirmation_digest = models.CharField(max_length=64, unique=True, editable=False)
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"))
    topic = models.TextField(_("matter to raise"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    #: the intake registered when the booker came (channel "visit")
    visited_petition = models.ForeignKey(
        "petitions.Petition",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reception_bookings",
    )

    objects = ReceptionBookingQuerySet.as_manager()

    permission_prefix = "reception"

    class Meta:
        verbose_name = _("reception booking")
        verbose_name_plural = _("reception bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["visited_petition"],
                condition=Q(visited_petition__isnull=False),
                name="reception_one_booking_per_petition",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "created_at"], name="reception_booking_by_session"),
        ]

    def __str__(self) -> str:
        return f"booking #{self.pk} of session #{self.session_id}"

    @classmethod
    def restrict_q(cls, user: Any, action: str) -> Q | None:
        """Bookings are seen only through their session's unit, and only with view_bookings."""
        if action == "reception.view":
            action = "reception.view_bookings"
        return scope_q(user, action, ("session__unit",))
