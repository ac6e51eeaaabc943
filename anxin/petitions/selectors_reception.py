"""Reads of public reception days (item 12): every staff query goes through ``restrict``.

Sessions are scoped by their receiving office (``scope_lookups = ("unit",)``); bookings only
through their session's unit and only for ``reception.view_bookings`` (see
``ReceptionBooking.restrict_q``). The portal's reads are for published sessions only, and a
booking is found by its confirmation code alone.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from anxin.core.scoping import get_for_user
from anxin.petitions.models_reception import ReceptionBooking, ReceptionSession

SESSION_ORDERING = ("-starts_at", "-id")
#: at most this many sessions on the portal page (a city publishes a few a month)
PORTAL_LIMIT = 100

_ACTIVE = Q(bookings__cancelled_at__isnull=True)


def with_booked(qs: QuerySet[ReceptionSession]) -> QuerySet[ReceptionSession]:
    """Annotate ``booked``: the bookings not cancelled (visited ones count)."""
    return qs.annotate(booked=Count("bookings", filter=_ACTIVE))


def reception_session_list(
    *, user: Any, when: str | None = None, unit: str | None = None
) -> QuerySet[ReceptionSession]:
    """Sessions of the units in the user's scope, with their booking counts."""
    qs = with_booked(
        ReceptionSession.objects.restrict(user, "view").select_related("leader", "unit")
    )
    now = timezone.now()
    if when == "upcoming":
        qs = qs.filter(ends_at__gt=now)
    elif when == "past":
        qs = qs.filter(ends_at__lte=now)
    if unit:
        qs = qs.filter(unit__code=unit)
    return qs.order_by(*SESSION_ORDERING)


def reception_session_get_for_user(*, user: Any, pk: int, action: str = "view") -> ReceptionSession:
    """404 outside the view scope, 403 in scope without ``action`` (e.g. view_bookings)."""
    return get_for_user(
        with_booked(ReceptionSession.objects.select_related("leader", "leader__unit", "unit")),
        user,
        action=action,
        pk=pk,
    )


def reception_bookings(*, user: Any, session: ReceptionSession) -> QuerySet[ReceptionBooking]:
    """The bookings of a session, for the receiving office only (empty for anyone else)."""
    return (
        ReceptionBooking.objects.restrict(user, "view_bookings")
        .filter(session=session)
        .select_related("visited_petition")
        .order_by("created_at", "id")
    )


def reception_booking_get_for_user(
    *, user: Any, pk: int, action: str = "view_bookings"
) -> ReceptionBooking:
    return get_for_user(
        ReceptionBooking.objects.select_related(
            "session", "session__leader", "session__unit", "visited_petition"
        ),
        user,
        action=action,
        pk=pk,
    )


# --- the portal -------------------------------------------------------------------------------


def reception_sessions_open() -> QuerySet[ReceptionSession]:
    """Upcoming published sessions with free places, soonest first (one query)."""
    return (
        ReceptionSession.objects.filter(
            published=True, cancelled_at__isnull=True, starts_at__gt=timezone.now()
        )
        .annotate(booked=Count("bookings", filter=_ACTIVE))
        .filter(booked__lt=F("capacity"))
        .select_related("leader", "leader__unit", "unit")
        .order_by("starts_at", "id")[:PORTAL_LIMIT]
    )


def reception_session_public(pk: int) -> ReceptionSession | None:
    """A published session (open or not: the booking page says why it is closed)."""
    return (
        with_booked(ReceptionSession.objects.filter(published=True, pk=pk))
        .select_related("leader", "leader__unit", "unit")
        .first()
    )
