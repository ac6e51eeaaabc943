"""Public reception days (公开接访/约访): the write path (issue item 12).

Leaders publish sessions (time, place, topics, places); citizens book a place on the portal and
get a confirmation code, shown once; the receiving office records the visit as an intake (a
petition of channel "visit") linked to the booking. Nobody is notified of a booking: the
receiving office reads its bookings on its session page, and nobody else can.

Every function here is keyword-only, runs in one transaction and records its audit event in it.
``actor=None`` is the public (bookings and their cancellation: no address is kept) or the
system (``seed_demo``, operator commands).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.crypto import sm3_hex
from anxin.core.errors import ServiceError, check_version
from anxin.core.models import Unit, User
from anxin.core.scoping import unit_in_scope
from anxin.petitions.choices import Channel
from anxin.petitions.models import Category
from anxin.petitions.models_reception import ReceptionBooking, ReceptionSession
from anxin.petitions.services import QUERY_ALPHABET, ComplainantIn, Registration, petition_register

MAX_NAME = 50
MAX_PHONE = 30
MAX_TOPIC = 1000


class ReceptionConflict(ServiceError):
    """The session or booking is not in a state that allows the step."""

    status = 409
    code = "reception_state"


def register_reception_actions() -> None:
    """Called at the end of ``PetitionsConfig.ready``.

    - ``reception.view``: the list of sessions of the units in scope (sessions are public once
      published; the list adds drafts and booking counts, never a booker).
    - ``reception.manage``: create, publish and cancel sessions of the units in scope, and record
      visits (which also needs ``petition.register``).
    - ``reception.view_bookings``: read the bookings of the sessions of the units in scope —
      the receiving office (and the units above it, whose scope includes it).
    """
    from anxin.core.choices import Role
    from anxin.core.permissions import grant

    grant(
        {Role.CLERK, Role.HANDLER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.VIEWER},
        "reception.view",
    )
    grant({Role.UNIT_HEAD, Role.CLERK}, "reception.manage", "reception.view_bookings")


# --- confirmation codes -----------------------------------------------------------------------


def confirmation_digest(code: str) -> str:
    """SM3 of a normalised confirmation code; the code itself is never stored."""
    return sm3_hex("anxin-reception-booking:" + code.strip().upper().replace("-", ""))


def _new_code() -> str:
    raw = "".join(secrets.choice(QUERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


# --- shared checks ----------------------------------------------------------------------------


def _manages(actor: User | None, unit: Unit) -> None:
    if actor is not None and not unit_in_scope(actor, "reception.manage", unit):
        raise PermissionDenied


def _lock(session: ReceptionSession, version: int | None = None) -> ReceptionSession:
    locked = ReceptionSession.objects.select_for_update().get(pk=session.pk)
    check_version(locked, version)
    return locked


def _save(session: ReceptionSession, *fields: str) -> None:
    session.version += 1
    session.save(update_fields=[*fields, "version"])


def active_bookings(session: ReceptionSession) -> QuerySet[ReceptionBooking]:
    return ReceptionBooking.objects.filter(session=session, cancelled_at__isnull=True)


def booking_refusal(
    session: ReceptionSession, *, booked: int, now: datetime | None = None
) -> ReceptionConflict | None:
    """Why this session cannot be booked now (None: it can). Shared by the service and pages."""
    now = now or timezone.now()
    if session.cancelled_at is not None:
        return ReceptionConflict(
            _("This reception session has been cancelled."), code="session_cancelled"
        )
    if not session.published:
        return ReceptionConflict(
            _("This reception session is not open for booking."), code="session_unpublished"
        )
    if session.starts_at <= now:
        return ReceptionConflict(
            _("This reception session has already begun; it can no longer be booked."),
            code="session_past",
        )
    if booked >= session.capacity:
        return ReceptionConflict(_("This reception session is fully booked."), code="session_full")
    return None


def _session_snapshot(session: ReceptionSession) -> dict[str, Any]:
    return {
        "leader": session.leader.username,
        "leader_title": session.leader_title,
        "unit": session.unit.code,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "place": session.place,
        "capacity": session.capacity,
        "published": session.published,
    }


# --- sessions ---------------------------------------------------------------------------------


@transaction.atomic
def reception_session_create(
    *,
    actor: User | None,
    leader: User,
    unit: Unit,
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    topics: str,
    capacity: int,
    leader_title: str = "",
) -> ReceptionSession:
    """A draft session of ``leader`` at the receiving office ``unit``; publish it to open it."""
    _manages(actor, unit)
    errors: dict[str, Any] = {}
    if not leader.is_active:
        errors["leader"] = _("This account is disabled.")
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        errors["starts_at"] = _("Give the times with their time zone.")
    elif starts_at <= timezone.now():
        errors["starts_at"] = _("The session must start in the future.")
    elif ends_at <= starts_at:
        errors["ends_at"] = _("The session must end after it starts.")
    if not place.strip():
        errors["place"] = _("Say where the leader receives visitors.")
    if not topics.strip():
        errors["topics"] = _("Say which matters the leader receives.")
    if capacity < 1:
        errors["capacity"] = _("Offer at least one place.")
    if not unit.is_active:
        errors["unit"] = _("This unit is no longer active.")
    if errors:
        raise ValidationError(errors)
    clash = (
        ReceptionSession.objects.filter(
            leader=leader,
            cancelled_at__isnull=True,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": _("This leader already receives visitors then (%(session)s).")
                % {"session": str(clash)}
            }
        )
    session = ReceptionSession(
        leader=leader,
        leader_title=leader_title.strip()[:100],
        unit=unit,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip()[:200],
        topics=topics.strip(),
        capacity=capacity,
        created_by=actor,
    )
    session.save(force_insert=True)
    audit_record(
        actor=actor,
        action="reception.session_create",
        obj=session,
        after=_session_snapshot(session),
    )
    return session


@transaction.atomic
def reception_session_publish(
    *, actor: User | None, session: ReceptionSession, version: int | None = None
) -> ReceptionSession:
    """Open the session for booking on the portal."""
    _manages(actor, session.unit)
    session = _lock(session, version)
    if session.cancelled_at is not None:
        raise ReceptionConflict(_("This reception session has been cancelled."))
    if session.published:
        raise ReceptionConflict(_("This reception session is already published."))
    if session.starts_at <= timezone.now():
        raise ReceptionConflict(_("This reception session has already begun."))
    session.published = True
    _save(session, "published")
    audit_record(
        actor=actor,
        action="reception.session_publish",
        obj=session,
        before={"published": False},
        after={"published": True},
    )
    return session


@transaction.atomic
def reception_session_cancel(
    *, actor: User | None, session: ReceptionSession, reason: str, version: int | None = None
) -> ReceptionSession:
    """Cancel a session. Its bookings stay, so the office can call the bookers back."""
    _manages(actor, session.unit)
    session = _lock(session, version)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for cancelling.")})
    if session.cancelled_at is not None:
        raise ReceptionConflict(_("This reception session has been cancelled."))
    if session.ends_at <= timezone.now():
        raise ReceptionConflict(_("This reception session is already over."))
    session.cancelled_at = timezone.now()
    session.cancel_reason = reason.strip()[:200]
    _save(session, "cancelled_at", "cancel_reason")
    audit_record(
        actor=actor,
        action="reception.session_cancel",
        obj=session,
        after={
            "reason": session.cancel_reason,
            "active_bookings": active_bookings(session).count(),
        },
    )
    return session


# --- bookings (the public) --------------------------------------------------------------------


@transaction.atomic
def reception_book(
    *, session: ReceptionSession, name: str, phone: str, topic: str
) -> tuple[ReceptionBooking, str]:
    """Book a place; returns the booking and its confirmation code (to be shown only once).

    The session row is locked first, so two bookings of the last place are serialised: the
    second sees the first and is refused.
    """
    errors: dict[str, Any] = {}
    name, phone, topic = name.strip(), phone.strip(), topic.strip()
    if not name:
        errors["name"] = _("Give your name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("The name is too long.")
    digits = phone.replace("-", "").replace(" ", "")
    if not phone:
        errors["phone"] = _("Give a phone number on which the office can reach you.")
    elif not (digits.isdigit() and 7 <= len(digits) <= 20) or len(phone) > MAX_PHONE:
        errors["phone"] = _("This phone number is not valid.")
    if not topic:
        errors["topic"] = _("Say briefly which matter you want to raise.")
    elif len(topic) > MAX_TOPIC:
        errors["topic"] = _(
            "Keep the matter to %(n)d characters; you can explain it in person."
        ) % {"n": MAX_TOPIC}
    if errors:
        raise ValidationError(errors)
    session = _lock(session)
    refusal = booking_refusal(session, booked=active_bookings(session).count())
    if refusal is not None:
        raise refusal
    code = _new_code()
    booking = ReceptionBooking(
        session=session,
        confirmation_digest=confirmation_digest(code),
        name=name,
        phone=phone,
        topic=topic,
    )
    booking.save(force_insert=True)
    audit_record(
        actor=None,
        action="reception.book",
        obj=booking,
        after={"session": session.pk},
        public=True,
    )
    return booking, code


def reception_booking_by_code(code: str) -> ReceptionBooking | None:
    """The booker's lookup: the confirmation code is their secret (no enumeration)."""
    if not code.strip():
        return None
    return (
        ReceptionBooking.objects.select_related("session", "session__leader", "session__unit")
        .filter(confirmation_digest=confirmation_digest(code))
        .first()
    )


@transaction.atomic
def reception_booking_cancel(*, code: str) -> ReceptionBooking:
    """The booker cancels with the confirmation code, until the session begins."""
    booking = reception_booking_by_code(code)
    if booking is None:
        raise ValidationError(
            {"code": _("No booking has this confirmation code. Check it and try again.")}
        )
    booking = ReceptionBooking.objects.select_for_update().get(pk=booking.pk)
    session = booking.session
    if booking.cancelled_at is not None:
        raise ReceptionConflict(_("This booking is already cancelled."))
    if booking.visited_petition_id is not None:
        raise ReceptionConflict(_("The visit has taken place; the booking cannot be cancelled."))
    if session.cancelled_at is None and session.starts_at <= timezone.now():
        raise ReceptionConflict(
            _("The session has already begun; the booking can no longer be cancelled.")
        )
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["cancelled_at"])
    audit_record(
        actor=None,
        action="reception.booking_cancel",
        obj=booking,
        after={"session": session.pk},
        public=True,
    )
    return booking


# --- the visit (the receiving office) ---------------------------------------------------------


@transaction.atomic
def reception_visit_record(
    *,
    actor: User | None,
    booking: ReceptionBooking,
    kind: str,
    category: Category,
    title: str,
    content: str,
    unit: Unit,
    **petition_fields: Any,
) -> Registration:
    """Record the visit as an intake (channel "visit") with the booker as the petitioner.

    Further keywords (``received_on``, ``place_unit``, ``confidential``, ``accused_unit``,
    ``accused_person``) go to :func:`petition_register` unchanged. Returns its registration,
    with the query code to hand to the petitioner.
    """
    booking = ReceptionBooking.objects.select_for_update().get(pk=booking.pk)
    session = ReceptionSession.objects.select_related("leader", "unit").get(pk=booking.session_id)
    _manages(actor, session.unit)
    if booking.cancelled_at is not None:
        raise ReceptionConflict(_("This booking was cancelled."))
    if booking.visited_petition_id is not None:
        raise ReceptionConflict(
            _("The visit of this booking is already recorded as case %(number)s.")
            % {"number": booking.visited_petition.number}  # type: ignore[union-attr]
        )
    if session.cancelled_at is not None:
        raise ReceptionConflict(_("This reception session has been cancelled."))
    if timezone.localdate() < timezone.localdate(session.starts_at):
        raise ReceptionConflict(_("A visit can be recorded from the day of the session on."))
    registration = petition_register(
        actor=actor,
        channel=Channel.VISIT,
        kind=kind,
        category=category,
        title=title,
        content=content,
        unit=unit,
        complainants=[ComplainantIn(name=booking.name, phone=booking.phone)],
        **petition_fields,
    )
    booking.visited_petition = registration.petition
    booking.save(update_fields=["visited_petition"])
    audit_record(
        actor=actor,
        action="reception.visit_record",
        obj=booking,
        after={
            "session": session.pk,
            "leader": session.leader.username,
            "petition": registration.petition.number,
        },
    )
    return registration
