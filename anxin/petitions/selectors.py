"""The one read path of petitions: every query for a person goes through ``restrict``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from anxin.core.scoping import get_for_user, unit_in_scope
from anxin.petitions.choices import Kind, Rating, Status
from anxin.petitions.filtersets import petition_filter
from anxin.petitions.models import Category, Petition, PetitionEvent

LEDGER_ORDERING = ("-received_on", "-id")
LIST_RELATED = ("category", "registering_unit", "current_unit", "lead_unit", "leader")


def petition_list(*, user: Any, **filters: Any) -> QuerySet[Petition]:
    qs = Petition.objects.restrict(user, "view").select_related(*LIST_RELATED)
    return petition_filter(qs, **filters)


def petition_list_count(*, user: Any, **filters: Any) -> tuple[int, bool]:
    """The ledger's capped count (``capped_count``): the rows of ``petition_list``.

    A person whose scope is some units, with no filter, is counted from the case-unit links
    (distinct cases linked to a unit in scope, less the accusations shielded from them): the
    ``petition_unit_by_unit`` index of their units, instead of walking the ledger and probing
    each case's links (a township at 6 % density: ~170,000 cases walked to count 10,001).
    The same set as the list's ``EXISTS``, so the same number."""
    from django.db.models import Count, Q

    from anxin.core import pagination
    from anxin.core.models import Unit
    from anxin.core.scoping import covers_every_unit, grants_of, home_unit_ancestry, scope_q
    from anxin.petitions.models import PetitionUnit

    action = "petition.view"
    if not any(filters.values()) and grants_of(user) and not covers_every_unit(user, action):
        units_q = scope_q(user, action, ("",))  # the units themselves
        if units_q is not None:
            # the ids first: PostgreSQL then reads the (unit, petition) index of those units
            # instead of joining every link with its unit's path
            units = list(Unit.objects.filter(units_q).values_list("pk", flat=True))
            # ``shield_q`` with the accused units' ids resolved first: the accused-unit and
            # accused-user indexes, not every accusation of the city (10 % of the cases)
            accused_units = list(
                Unit.objects.filter(code__in=home_unit_ancestry(user)).values_list("pk", flat=True)
            )
            shielded = Petition.objects.filter(
                Q(kind="accusation")
                & (Q(accused_user_id=user.pk) | Q(accused_unit_id__in=accused_units))
            ).values("pk")
            # an exact COUNT(DISTINCT) over the links of the user's units (hashed, in no
            # order): a LIMIT on a DISTINCT makes PostgreSQL walk every link in case order
            count = (
                PetitionUnit.objects.filter(unit_id__in=units)
                .exclude(petition_id__in=shielded)
                .aggregate(n=Count("petition_id", distinct=True))["n"]
            )
            cap = pagination.PAGE_COUNT_CAP
            return (cap, True) if count > cap else (count, False)
    return pagination.capped_count(petition_list(user=user, **filters))


def petition_get_for_user(*, user: Any, id: str, action: str = "view") -> Petition:
    import uuid

    try:
        uid = uuid.UUID(str(id))
    except ValueError:
        from django.http import Http404

        raise Http404 from None
    return get_for_user(
        Petition.objects.select_related(
            *LIST_RELATED,
            "place_unit",
            "accused_unit",
            "review_unit",
            "recheck_unit",
            "forwarded_by_unit",
            "decline_reason",
            "merged_into",
            "repeat_of",
        ),
        user,
        action=action,
        uid=uid,
    )


def petition_registered_for_user(*, user: Any, petition: Petition) -> Petition:
    """The case just registered by ``user``, as :func:`petition_get_for_user` would give it.

    The acknowledgement of an intake: the registering service's own instance (its units and
    category already attached, nothing else set yet) after one scoped ``exists`` — 404 when
    the registrant may not see it (an accusation naming them) — instead of re-reading it with
    a dozen joins.
    """
    if not Petition.objects.restrict(user, "view").filter(pk=petition.pk).exists():
        from django.http import Http404

        raise Http404
    return petition


def petition_by_query_code(code: str) -> Petition | None:
    """The portal's lookup: the query code is the petitioner's secret (no enumeration)."""
    from anxin.petitions.services import query_digest

    return (
        Petition.objects.select_related("category", "current_unit", "lead_unit")
        .filter(query_digest=query_digest(code))
        .first()
    )


def petition_timeline(petition: Petition) -> QuerySet[PetitionEvent]:
    return petition.events.select_related("unit").order_by("at", "id")


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("sort_order", "code")


def can_see_identity(user: Any, petition: Petition) -> bool:
    """Names of confidential petitioners are for the handling staff only (item 1)."""
    if petition.anonymous:
        return False
    if not petition.confidential:
        return True
    return any(
        unit_in_scope(user, "petition.reveal", unit)
        for unit in (
            petition.current_unit,
            petition.lead_unit,
            petition.review_unit,
            petition.recheck_unit,
        )
        if unit is not None
    )


def petitions_due_for_closing(*, on: date) -> QuerySet[Any]:
    """(pk, reason) of cases the daily task closes (item 8)."""
    from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When

    from anxin.supervision.models import Clock

    lapsed = Clock.objects.filter(
        subject_type="petitions.petition",
        subject_id=OuterRef("pk"),
        name__in=["review_request_by", "recheck_request_by"],
        state="running",
        due_on__lt=on,
    )
    satisfied = Q(rating__in=[Rating.SATISFIED, Rating.BASICALLY_SATISFIED])
    recheck_delivered = Q(deliveries__document="recheck_decision")
    answered = ~Q(kind=Kind.CLAIM) & Q(deliveries__document="decision")
    qs = (
        Petition.objects.filter(
            Q(status=Status.DECLINED)
            | Q(status__in=[Status.DECIDED, Status.REVIEWED, Status.RECHECKED]) & satisfied
            | Q(status=Status.RECHECKED) & recheck_delivered
            | Q(status__in=[Status.DECIDED, Status.REVIEWED]) & Exists(lapsed)
            | Q(status=Status.DECIDED) & answered
        )
        .annotate(
            reason=Case(
                When(status=Status.DECLINED, then=Value("declined")),
                When(satisfied, then=Value("satisfied")),
                When(status=Status.RECHECKED, then=Value("rechecked")),
                When(~Q(kind=Kind.CLAIM), then=Value("answered")),
                default=Value("window_lapsed"),
                output_field=CharField(),
            )
        )
        .order_by("id")
        .distinct()
    )
    return qs.values_list("pk", "reason")


def backlog_list(*, user: Any, **filters: Any) -> QuerySet[Petition]:
    """积案 being cleared against a plan, soonest target first."""
    return petition_list(user=user, **filters).filter(is_backlog=True)


def backlog_candidates(*, user: Any) -> QuerySet[Petition]:
    """Open cases past a limit, or raised again, that are not yet listed as backlog."""
    from django.db.models import Q
    from django.utils import timezone

    from anxin.supervision.models import Clock

    overdue = Clock.objects.filter(
        subject_type="petitions.petition", state="running", due_on__lt=timezone.localdate()
    ).values("subject_id")
    return (
        petition_list(user=user)
        .filter(is_backlog=False)
        .exclude(status__in=[Status.CLOSED, Status.MERGED])
        .filter(Q(pk__in=overdue) | Q(repeats__isnull=False) | Q(supporters__gte=2))
        .distinct()
    )
