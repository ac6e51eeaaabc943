"""The one read path of the core app: every query for a person goes through ``restrict``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anxin.core.filtersets import unit_filter, user_filter
from anxin.core.models import AuditEvent, RoleAssignment, Unit, User
from anxin.core.scoping import get_for_user

UNIT_ORDERING = ("path", "id")
USER_ORDERING = ("username", "id")
AUDIT_ORDERING = ("-id",)


def unit_list(*, user: Any, **filters: Any) -> QuerySet[Unit]:
    qs = Unit.objects.restrict(user, "view").select_related("parent")
    return unit_filter(qs, **filters)


def unit_get_for_user(*, user: Any, code: str, action: str = "view") -> Unit:
    return get_for_user(Unit.objects.select_related("parent"), user, action=action, code=code)


def user_list(*, user: Any, **filters: Any) -> QuerySet[User]:
    qs = User.objects.restrict(user, "view").select_related("unit")
    return user_filter(qs, **filters)


def user_get_for_user(*, user: Any, username: str, action: str = "view") -> User:
    return get_for_user(User.objects.select_related("unit"), user, action=action, username=username)


def user_roles(person: User) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=person).select_related("unit").order_by("role", "id")


def audit_list(
    *,
    user: Any,
    q: str = "",
    action: str = "",
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: Any = None,
    date_to: Any = None,
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    from anxin.core.scoping import can

    if not can(user, "audit.view"):
        return qs.none()
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_label=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if q:
        qs = qs.filter(object_repr__icontains=q)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


def grant_rows(grants: list[Any]) -> list[dict[str, Any]]:
    """A person's roles with the names of their scope units, for display (one query)."""
    from anxin.core.choices import Role

    names = dict(Unit.objects.filter(id__in={g.unit_id for g in grants}).values_list("id", "name"))
    return [
        {"role": Role(g.role).label, "unit": names.get(g.unit_id, ""), "subtree": g.include_subtree}
        for g in sorted(grants, key=lambda g: (g.role, g.unit_path))
    ]
