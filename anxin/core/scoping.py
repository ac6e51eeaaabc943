"""The one read path: ``queryset.restrict(user, action)`` and ``get_for_user``.

A person's role assignments each name a scope unit (and whether its subtree is included). An
object is in scope for an action when one of its *scope lookups* (foreign keys to units, named
by the model's ``scope_lookups``) falls inside the scope of an assignment whose role grants the
action. Outside the scope for ``view`` is 404; in scope but without the action is 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from anxin.core import permissions

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: int
    unit_path: str
    include_subtree: bool
    #: the scope unit is the only top-level unit of the tree (so, with its subtree, the grant
    #: covers every unit); read in the same query as the grant
    sole_root: bool = False


def grants_of(user: Any) -> list[Grant]:
    """The user's role assignments, loaded once per user object (i.e. once per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_anxin_grants", None)
    if cached is None:
        from django.db.models import Exists, OuterRef

        from anxin.core.models import RoleAssignment, Unit

        other_roots = Unit.objects.filter(parent__isnull=True).exclude(pk=OuterRef("unit_id"))
        rows = (
            RoleAssignment.objects.filter(user_id=user.pk)
            .annotate(other_root=Exists(other_roots))
            .values_list(
                "role", "unit_id", "unit__path", "include_subtree", "unit__parent_id", "other_root"
            )
        )
        cached = [
            Grant(role, unit_id, path, subtree, parent_id is None and not other_root)
            for role, unit_id, path, subtree, parent_id, other_root in rows
        ]
        user._anxin_grants = cached
    return cached


def forget_grants(user: Any) -> None:
    if hasattr(user, "_anxin_grants"):
        del user._anxin_grants


def roles_of(user: Any) -> set[str]:
    return {g.role for g in grants_of(user)}


def can(user: Any, action: str) -> bool:
    """Whether the user holds a role granting ``action`` anywhere."""
    return any(permissions.role_grants(g.role, action) for g in grants_of(user))


def unit_in_scope(user: Any, action: str, unit: Any) -> bool:
    """Whether ``unit`` lies in the user's scope for ``action`` (no query: grants are cached)."""
    if unit is None:
        return False
    for g in grants_of(user):
        if not permissions.role_grants(g.role, action):
            continue
        if permissions.is_global(action):
            return True
        if g.unit_id == unit.pk or (g.include_subtree and unit.path.startswith(g.unit_path)):
            return True
    return False


def home_unit_ancestry(user: Any) -> list[str]:
    """Codes of the user's home unit and all its ancestors (from the materialised path)."""
    unit = getattr(user, "unit", None)
    return [c for c in unit.path.split("/") if c] if unit is not None else []


def scope_q(user: Any, action: str, lookups: tuple[str, ...]) -> Q | None:
    """A filter for the objects in the user's scope for ``action``; None when there are none."""
    relevant = [g for g in grants_of(user) if permissions.role_grants(g.role, action)]
    if not relevant:
        return None
    if permissions.is_global(action):
        return Q()
    # Drop grants already covered by a wider subtree grant.
    subtree_paths = sorted({g.unit_path for g in relevant if g.include_subtree}, key=len)
    widest: list[str] = []
    for path in subtree_paths:
        if not any(path.startswith(w) for w in widest):
            widest.append(path)
    single_ids = {
        g.unit_id
        for g in relevant
        if not g.include_subtree and not any(g.unit_path.startswith(w) for w in widest)
    }
    q = Q()
    matched = False
    for lookup in lookups:
        prefix = f"{lookup}__" if lookup else ""
        for path in widest:
            q |= Q(**{f"{prefix}path__startswith": path})
            matched = True
        if single_ids:
            q |= Q(**{f"{prefix}id__in" if lookup else "id__in": sorted(single_ids)})
            matched = True
    return q if matched else None


def covers_every_unit(user: Any, action: str) -> bool:
    """True when a subtree grant for ``action`` sits on the tree's only top-level unit, so that
    every object anchored in the organisation tree is in scope (a city clerk). Lets a model
    skip a scope join that would keep every row anyway; no query beyond the grants'."""
    return any(
        g.sole_root and g.include_subtree and permissions.role_grants(g.role, action)
        for g in grants_of(user)
    )


class RestrictedQuerySet(models.QuerySet, Generic[M]):  # type: ignore[type-arg]
    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet[M]:
        model = self.model
        if "." not in action:
            action = f"{model.permission_prefix}.{action}"  # type: ignore[attr-defined]
        hook = getattr(model, "restrict_q", None)
        if hook is not None:
            q = hook(user, action)
        else:
            q = scope_q(user, action, tuple(model.scope_lookups))  # type: ignore[attr-defined]
        if q is None:
            return self.none()
        return self.filter(q)


def get_for_user(
    queryset: models.QuerySet[M] | type[M], user: Any, *, action: str = "view", **lookup: Any
) -> M:
    """Fetch one object for a user: 404 outside the view scope, 403 without the action."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    obj = qs.restrict(user, "view").filter(**lookup).first()  # type: ignore[attr-defined]
    if obj is None:
        raise Http404
    if action != "view" and not qs.restrict(user, action).filter(pk=obj.pk).exists():  # type: ignore[attr-defined]
        raise PermissionDenied
    return obj
