"""督办 notices: a 督办单 on one item or a 督办函 on a whole unit, with its replies.

A notice is addressed to a unit (``unit``) and issued by a unit (``issuing_unit``, the issuer's
home unit); it is in a person's ``notice.view`` scope through either. Its reply deadline is a
``reply_by`` clock in the one clock table (subject ``supervision.supervisionnotice``), so the
escalation sweep treats an overdue reply like any other overdue item.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.scoping import RestrictedQuerySet, scope_q

#: the clock subject of a notice (the model's label)
NOTICE_SUBJECT_TYPE = "supervision.supervisionnotice"


class NoticeKind(models.TextChoices):
    SHEET = "sheet", _("Supervision sheet (on an item)")
    LETTER = "letter", _("Supervision letter (on a unit)")


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting reply")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")


class ReplyDecision(models.TextChoices):
    NONE = "", _("Awaiting decision")
    ACCEPTED = "accepted", _("Reply accepted")
    SENT_BACK = "sent_back", _("Reply sent back")


#: action → the unit field(s) of the notice that must be in the person's scope
ACTION_LOOKUPS: dict[str, tuple[str, ...]] = {
    "notice.view": ("unit", "issuing_unit"),
    "notice.reply": ("unit",),
    "notice.issue": ("unit",),
}


class SupervisionNoticeQuerySet(RestrictedQuerySet["SupervisionNotice"]):
    pass


class SupervisionNotice(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=NoticeKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    serial = models.PositiveIntegerField(_("serial number"))
    issuing_unit = models.ForeignKey(
        "core.Unit", verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    #: the unit that must act and reply
    unit = models.ForeignKey(
        "core.Unit", verbose_name=_("addressed unit"), on_delete=models.PROTECT, related_name="+"
    )
    #: a 督办单's item, as in the clock table; empty for a 督办函
    subject_type = models.CharField(_("item type"), max_length=64, blank=True)
    subject_id = models.BigIntegerField(_("item id"), null=True, blank=True)
    #: what the notice says about the item, fixed when issued (the case number only for an
    #: accusation)
    subject_label = models.CharField(_("item"), max_length=200, blank=True)
    subject_url = models.CharField(max_length=200, blank=True)
    #: the item is an accusation against the addressed unit: the notice names its number only
    shielded = models.BooleanField(default=False)
    matters = models.TextField(_("matters to address"))
    reply_by = models.DateField(_("reply by"))
    status = models.CharField(
        _("status"), max_length=8, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    #: 1 for the first reply asked for; each sending back asks again
    round = models.PositiveSmallIntegerField(default=1)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = SupervisionNoticeQuerySet.as_manager()

    permission_prefix = "notice"
    scope_lookups = ("unit", "issuing_unit")

    class Meta:
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NoticeKind.values), name="supervision_notice_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=NoticeStatus.values),
                name="supervision_notice_status_valid",
            ),
            # A 督办单 names its item; a 督办函 names none.
            models.CheckConstraint(
                condition=(Q(kind=NoticeKind.SHEET, subject_id__isnull=False) & ~Q(subject_type=""))
                | Q(kind=NoticeKind.LETTER, subject_id__isnull=True, subject_type=""),
                name="supervision_notice_subject",
            ),
            models.CheckConstraint(
                condition=Q(status=NoticeStatus.CLOSED, closed_at__isnull=False)
                | (~Q(status=NoticeStatus.CLOSED) & Q(closed_at__isnull=True)),
                name="supervision_notice_closed_at",
            ),
            models.UniqueConstraint(
                fields=["issuing_unit", "year", "serial"], name="supervision_notice_number"
            ),
        ]
        indexes = [
            # filters of the list: status, overdue (pending and reply_by past), unit subtree
            models.Index(fields=["status", "reply_by"], name="supervision_notice_due"),
            models.Index(fields=["unit", "status"], name="supervision_notice_by_unit"),
            models.Index(fields=["subject_type", "subject_id"], name="supervision_notice_subj"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """督办〔2026〕12号: the serial of the year at the issuing unit."""
        return f"督办〔{self.year}〕{self.serial}号"

    @property
    def clock_name(self) -> str:
        return reply_clock_name(self.round)

    def is_overdue(self, today: Any = None) -> bool:
        today = today or timezone.localdate()
        return self.status == NoticeStatus.PENDING and self.reply_by < today

    @classmethod
    def restrict_q(cls, user: Any, action: str) -> Q | None:
        return scope_q(user, action, ACTION_LOOKUPS.get(action, ("unit",)))


def reply_clock_name(round: int) -> str:
    """``reply_by`` for the first reply asked for, ``reply_by_2`` … after each sending back.

    (A stopped clock keeps its name, so each round has its own clock and its own met/missed.)
    """
    return "reply_by" if round <= 1 else f"reply_by_{round}"


class NoticeReply(models.Model):
    """One written reply of the addressed unit, and the issuer's decision on it."""

    notice = models.ForeignKey(SupervisionNotice, on_delete=models.CASCADE, related_name="replies")
    round = models.PositiveSmallIntegerField()
    text = models.TextField(_("reply"))
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(
        _("decision"), max_length=12, choices=ReplyDecision.choices, blank=True, default=""
    )
    reason = models.TextField(_("reasons"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reply to a supervision notice")
        verbose_name_plural = _("replies to supervision notices")
        constraints = [
            models.UniqueConstraint(fields=["notice", "round"], name="supervision_reply_round"),
            models.CheckConstraint(
                condition=Q(decision__in=ReplyDecision.values),
                name="supervision_reply_decision_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}#{self.round}"


class NoticeCounter(models.Model):
    """The last serial number given per issuing unit and year."""

    unit = models.ForeignKey("core.Unit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="supervision_notice_counter")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.year}:{self.value}"
