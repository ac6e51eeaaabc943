"""The write path of 督办 notices: issue, reply, accept, send back.

- A supervisor (督查员), or a unit head over the addressed unit, issues a notice
  (``notice.issue`` over the addressed unit, from outside it: nobody supervises their own
  unit). A 督办单 names an item through the registry of :mod:`anxin.supervision.notice_subjects`;
  a 督办函 names a whole unit. Its serial number counts per issuing unit and year.
- Issuing starts the ``reply_by`` clock on the addressed unit; the reply stops it (met or
  missed); sending the reply back asks again with a new clock (``reply_by_2`` …), so an overdue
  reply escalates like any other overdue item.
- Only the issuer, or a colleague of the issuing unit holding ``notice.issue`` over the
  addressed unit, accepts or sends back a reply.
- The addressed unit's unit heads are told of a notice (and of a reply sent back), the issuer of
  a reply, through :func:`anxin.supervision.notifications.notify` inside the transaction (an
  outbox: the message is queued with the change or not at all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.attachments import attachments_add
from anxin.core.audit import audit_record
from anxin.core.choices import Role
from anxin.core.errors import ServiceError, check_version
from anxin.core.models import RoleAssignment, Unit
from anxin.core.scoping import can, unit_in_scope
from anxin.supervision import notice_subjects, notifications
from anxin.supervision.choices import ClockRule
from anxin.supervision.models_notices import (
    NOTICE_SUBJECT_TYPE,
    NoticeCounter,
    NoticeKind,
    NoticeReply,
    NoticeStatus,
    ReplyDecision,
    SupervisionNotice,
)
from anxin.supervision.services import clock_start, clock_stop

MAX_MATTERS = 5000
MAX_TEXT = 5000


class NoticeStateConflict(ServiceError):
    status = 409
    code = "invalid_state"


def _today() -> dt.date:
    return timezone.localdate()


def _inside(unit: Unit | None, of: Unit) -> bool:
    return unit is not None and unit.path.startswith(of.path)


def _check_deadline(field: str, value: Any) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({field: _("Enter a valid date.")})
    if value <= _today():
        raise ValidationError({field: _("The reply deadline must be after today.")})


def _text(field: str, value: str, message: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(limit)d characters.") % {"limit": limit}})
    return value


def _unit_heads(unit: Unit) -> list[int]:
    return sorted(
        set(
            RoleAssignment.objects.filter(
                role=Role.UNIT_HEAD, unit=unit, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )


def _url(notice: SupervisionNotice) -> str:
    return reverse("notice_detail", args=[notice.uid])


def _next_serial(unit: Unit, year: int) -> int:
    NoticeCounter.objects.get_or_create(unit=unit, year=year)
    NoticeCounter.objects.filter(unit=unit, year=year).update(value=F("value") + 1)
    return NoticeCounter.objects.select_for_update().get(unit=unit, year=year).value


def _snapshot(notice: SupervisionNotice) -> dict[str, Any]:
    return {
        "number": notice.number,
        "kind": notice.kind,
        "unit": notice.unit.code,
        "subject_type": notice.subject_type,
        "subject_id": notice.subject_id,
        "reply_by": notice.reply_by.isoformat(),
        "status": notice.status,
        "round": notice.round,
    }


def _locked(notice: SupervisionNotice, version: int | None) -> SupervisionNotice:
    locked = (
        SupervisionNotice.objects.select_for_update()
        .select_related("unit", "issuing_unit")
        .get(pk=notice.pk)
    )
    check_version(locked, version)
    return locked


def _save(notice: SupervisionNotice, fields: Iterable[str]) -> None:
    notice.version += 1
    notice.save(update_fields=[*fields, "version"])


# --- Issuing -----------------------------------------------------------------------------------


@transaction.atomic
def notice_issue(
    *,
    actor: Any,
    kind: str,
    matters: str,
    reply_by: dt.date,
    unit: Unit | None = None,
    subject_type: str = "",
    subject_id: int | None = None,
) -> SupervisionNotice:
    """Issue a 督办单 (``kind="sheet"``, on the item ``subject_type``/``subject_id``; addressed to
    ``unit``, by default the unit that answers for the item) or a 督办函 (``kind="letter"``,
    addressed to ``unit``)."""
    if not can(actor, "notice.issue"):
        raise PermissionDenied
    home = getattr(actor, "unit", None)
    if home is None:
        raise ValidationError(_("Only a person with a home unit can issue a supervision notice."))
    subject = None
    if kind == NoticeKind.SHEET:
        if not notice_subjects.is_registered(subject_type):
            raise ValidationError({"subject_type": _("Unknown item type.")})
        if not isinstance(subject_id, int) or isinstance(subject_id, bool) or subject_id <= 0:
            raise ValidationError({"subject_id": _("No such item in your scope.")})
        subject = notice_subjects.resolve(subject_type, actor, subject_id)
        if subject is None:
            raise ValidationError({"subject_id": _("No such item in your scope.")})
        unit = unit or subject.unit
    elif kind == NoticeKind.LETTER:
        if subject_type or subject_id is not None:
            raise ValidationError(
                {"subject_type": _("A supervision letter is about a whole unit, not an item.")}
            )
        if unit is None:
            raise ValidationError({"unit": _("Choose the unit the letter is addressed to.")})
    else:
        raise ValidationError({"kind": _("Unknown kind of supervision notice.")})
    assert unit is not None
    if not unit_in_scope(actor, "notice.issue", unit):
        raise ValidationError({"unit": _("This unit is outside your supervision scope.")})
    if _inside(home, unit):
        raise ValidationError(
            {"unit": _("Nobody can issue a supervision notice to their own unit.")}
        )
    matters = _text("matters", matters, _("State the matters to address."), MAX_MATTERS)
    shielded = subject is not None and notice_subjects.shields(subject, unit)
    if subject is not None and subject.private_terms:
        if any(term and term in matters for term in subject.private_terms):
            raise ValidationError(
                {
                    "matters": _(
                        "The matters must not name the complainant of an accusation or give "
                        "their contact details."
                    )
                }
            )
    _check_deadline("reply_by", reply_by)
    now = timezone.now()
    year = timezone.localdate(now).year
    notice = SupervisionNotice(
        kind=kind,
        year=year,
        serial=_next_serial(home, year),
        issuing_unit=home,
        issued_by=actor,
        issued_at=now,
        unit=unit,
        subject_type=subject_type if subject is not None else "",
        subject_id=subject_id if subject is not None else None,
        subject_label=subject.label[:200] if subject is not None else "",
        subject_url=subject.url[:200] if subject is not None else "",
        shielded=shielded,
        matters=matters,
        reply_by=reply_by,
    )
    notice.save(force_insert=True)
    clock_start(
        actor=actor,
        subject_type=NOTICE_SUBJECT_TYPE,
        subject_id=notice.pk,
        name=notice.clock_name,
        unit=unit,
        rule=ClockRule.FIXED,
        start_on=timezone.localdate(now),
        due_on=reply_by,
    )
    audit_record(actor=actor, action="notice.issue", obj=notice, after=_snapshot(notice))
    notifications.notify(
        user_ids=_unit_heads(unit),
        kind="notice.issued",
        title=_("Supervision notice %(number)s: reply by %(date)s")
        % {"number": notice.number, "date": reply_by.isoformat()},
        body=notice.subject_label,
        url=_url(notice),
        dedupe_key=f"notice:{notice.pk}:issued",
    )
    return notice


# --- Replying ----------------------------------------------------------------------------------


@transaction.atomic
def notice_reply(
    *,
    actor: Any,
    notice: SupervisionNotice,
    text: str,
    files: Iterable[Any] = (),
    version: int | None = None,
) -> NoticeReply:
    """The addressed unit answers in writing (and may attach files); the reply clock stops."""
    if not SupervisionNotice.objects.restrict(actor, "notice.reply").filter(pk=notice.pk).exists():
        raise PermissionDenied
    notice = _locked(notice, version)
    if notice.status != NoticeStatus.PENDING:
        raise NoticeStateConflict(_("This notice is not awaiting a reply."))
    text = _text("text", text, _("Write the reply."), MAX_TEXT)
    now = timezone.now()
    reply = NoticeReply(
        notice=notice, round=notice.round, text=text, replied_by=actor, replied_at=now
    )
    reply.save(force_insert=True)
    attachments_add(actor=actor, owner=reply, uploads=files, purpose="reply")
    clock = clock_stop(
        actor=actor,
        subject_type=NOTICE_SUBJECT_TYPE,
        subject_id=notice.pk,
        name=notice.clock_name,
        on=timezone.localdate(now),
    )
    before = _snapshot(notice)
    notice.status = NoticeStatus.REPLIED
    _save(notice, ["status"])
    audit_record(
        actor=actor,
        action="notice.reply",
        obj=notice,
        before=before,
        after={**_snapshot(notice), "in_time": clock.state == "met"},
    )
    notifications.notify(
        user_ids=[notice.issued_by_id],
        kind="notice.replied",
        title=_("%(unit)s replied to supervision notice %(number)s")
        % {"unit": notice.unit.name, "number": notice.number},
        body=text[:200],
        url=_url(notice),
        dedupe_key=f"notice:{notice.pk}:replied:{notice.round}",
    )
    return reply


# --- Deciding on the reply ----------------------------------------------------------------------


def _require_decider(actor: Any, notice: SupervisionNotice) -> None:
    """The issuer, or a colleague of the issuing unit with ``notice.issue`` over the addressee."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    if not unit_in_scope(actor, "notice.issue", notice.unit):
        raise PermissionDenied
    if actor.pk != notice.issued_by_id and actor.unit_id != notice.issuing_unit_id:
        raise PermissionDenied
    if _inside(actor.unit, notice.unit):
        raise PermissionDenied


def notice_may_decide(actor: Any, notice: SupervisionNotice) -> bool:
    """Whether ``actor`` may accept or send back the notice's reply (for pages)."""
    try:
        _require_decider(actor, notice)
    except PermissionDenied:
        return False
    return True


def _current_reply(notice: SupervisionNotice) -> NoticeReply:
    return NoticeReply.objects.select_for_update().get(notice=notice, round=notice.round)


@transaction.atomic
def notice_accept(
    *, actor: Any, notice: SupervisionNotice, version: int | None = None
) -> SupervisionNotice:
    """The reply settles the matters: the notice is closed."""
    _require_decider(actor, notice)
    notice = _locked(notice, version)
    if notice.status != NoticeStatus.REPLIED:
        raise NoticeStateConflict(_("There is no reply to decide on."))
    now = timezone.now()
    reply = _current_reply(notice)
    reply.decision = ReplyDecision.ACCEPTED
    reply.decided_by = actor
    reply.decided_at = now
    reply.save(update_fields=["decision", "decided_by", "decided_at"])
    before = _snapshot(notice)
    notice.status = NoticeStatus.CLOSED
    notice.closed_at = now
    _save(notice, ["status", "closed_at"])
    audit_record(
        actor=actor, action="notice.accept", obj=notice, before=before, after=_snapshot(notice)
    )
    return notice


@transaction.atomic
def notice_send_back(
    *,
    actor: Any,
    notice: SupervisionNotice,
    reason: str,
    reply_by: dt.date,
    version: int | None = None,
) -> SupervisionNotice:
    """The reply does not settle the matters: ask again, with reasons and a new deadline."""
    _require_decider(actor, notice)
    notice = _locked(notice, version)
    if notice.status != NoticeStatus.REPLIED:
        raise NoticeStateConflict(_("There is no reply to decide on."))
    reason = _text("reason", reason, _("Give the reasons for sending the reply back."), MAX_TEXT)
    _check_deadline("reply_by", reply_by)
    now = timezone.now()
    reply = _current_reply(notice)
    reply.decision = ReplyDecision.SENT_BACK
    reply.reason = reason
    reply.decided_by = actor
    reply.decided_at = now
    reply.save(update_fields=["decision", "reason", "decided_by", "decided_at"])
    before = _snapshot(notice)
    notice.status = NoticeStatus.PENDING
    notice.round += 1
    notice.reply_by = reply_by
    _save(notice, ["status", "round", "reply_by"])
    clock_start(
        actor=actor,
        subject_type=NOTICE_SUBJECT_TYPE,
        subject_id=notice.pk,
        name=notice.clock_name,
        unit=notice.unit,
        rule=ClockRule.FIXED,
        start_on=timezone.localdate(now),
        due_on=reply_by,
    )
    audit_record(
        actor=actor,
        action="notice.send_back",
        obj=notice,
        before=before,
        after={**_snapshot(notice), "reason": reason},
    )
    notifications.notify(
        user_ids=_unit_heads(notice.unit),
        kind="notice.sent_back",
        title=_("Supervision notice %(number)s: the reply was sent back, reply again by %(date)s")
        % {"number": notice.number, "date": reply_by.isoformat()},
        body=reason,
        url=_url(notice),
        dedupe_key=f"notice:{notice.pk}:sent_back:{notice.round}",
    )
    return notice
