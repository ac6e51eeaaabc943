"""Who sees and does what with a petition (issue item 11), and the whistleblower shield (item 10).

- ``view``: the case is visible to every unit it has belonged to — registering unit, current and
  former holding units, lead and co-handling units, review units (the ``PetitionUnit`` links) —
  to users whose scope for ``petition.view`` covers one of them.
- Other actions look at one unit of the case: the holding unit dispatches (accept, decline,
  forward, object, merge), the forwarding unit settles objections, the lead unit handles and its
  head approves, the review units decide 复查 and 复核.
- Shield (信访工作条例 Art. 30, sanction Art. 46): an accusation is invisible — in every output,
  because every output reads through this — to anyone whose home unit is the accused unit or
  inside its subtree, and to the accused person's own account.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from anxin.core.scoping import covers_every_unit, grants_of, home_unit_ancestry, scope_q

#: action → the unit field(s) of the petition that must be in the user's scope
ACTION_LOOKUPS: dict[str, tuple[str, ...]] = {
    "petition.dispatch": ("current_unit",),
    "petition.settle": ("forwarded_by_unit",),
    "petition.handle": ("lead_unit",),
    "petition.approve": ("lead_unit", "review_unit", "recheck_unit"),
    "petition.review": ("review_unit",),
    "petition.recheck": ("recheck_unit",),
    "petition.reveal": ("current_unit", "lead_unit", "review_unit", "recheck_unit"),
    # record what the petitioner says (rating, requests), deliver notices, close: any unit that
    # answers for the case at its stage
    "petition.deliver": ("current_unit", "lead_unit", "review_unit", "recheck_unit"),
    "petition.record": ("current_unit", "lead_unit", "review_unit", "recheck_unit"),
    "petition.close": ("current_unit", "lead_unit", "review_unit", "recheck_unit"),
}


def shield_q(user: Any) -> Q:
    """Accusations this user must never see (as a Q to exclude)."""
    ancestry = home_unit_ancestry(user)
    q = Q(kind="accusation") & Q(accused_user_id=user.pk)
    if ancestry:
        q |= Q(kind="accusation") & Q(accused_unit__code__in=ancestry)
    return q


def hidden_petition_ids(user: Any) -> Any:
    """The ids of the accusations hidden from ``user`` (a subquery), for the clocks' scope.

    The same cases as :func:`shield_q`, written as the union of its two branches (accusations
    against the person; against a unit of their home unit's ancestry) so that each is read
    through its own index (the accused person's, the accused unit's): the ``OR`` of the two,
    with the unit's code behind a join, could only be checked row by row over every
    accusation, read from the table (300,000 cases: 30,000 rows, 30–300 ms a dashboard).
    """
    if not getattr(user, "is_authenticated", False):
        return None
    from anxin.petitions.models import Petition

    accusations = Petition.objects.filter(kind="accusation")
    ids = accusations.filter(accused_user_id=user.pk).values("pk")
    ancestry = home_unit_ancestry(user)
    if not ancestry:
        return ids
    return ids.union(accusations.filter(accused_unit__code__in=ancestry).values("pk"), all=True)


def petition_restrict_q(user: Any, action: str) -> Q | None:
    if not grants_of(user):
        return None
    if action == "petition.view":
        from anxin.petitions.models import PetitionUnit

        links_q = scope_q(user, action, ("unit",))
        if links_q is None:
            return None
        if covers_every_unit(user, action):
            # every case belongs to some unit of the tree: no link to look up (city-wide staff)
            return ~shield_q(user)
        # EXISTS, correlated on the case: checked row by row along the ledger's index (a page
        # of 50 costs ~50 probes of the (petition, unit, role) index), where ``pk IN (…)``
        # would first collect every case of the user's scope — a million for a city clerk.
        visible = Q(Exists(PetitionUnit.objects.filter(links_q, petition_id=OuterRef("pk"))))
    else:
        lookups = ACTION_LOOKUPS.get(action)
        if lookups is None:
            return None
        q = scope_q(user, action, lookups)
        if q is None:
            return None
        visible = q
    return visible & ~shield_q(user)
