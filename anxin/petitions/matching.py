"""Repeat and duplicate petitions (item 9): cases are matched, never people.

A new case is compared with recent cases of the same category (and place, when given) by the
overlap of their jieba tokens. Nothing here counts or lists persons: a match is between matters.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.models import Q

from anxin.core.search import search_put, tokenize
from anxin.petitions.choices import Kind, Stage, Status
from anxin.petitions.models import Decision, Petition

SEARCH_TABLE = "petitions_petition_fts"
#: how many recent cases of the same category are compared
CANDIDATES = 200
#: how many token sets of recent cases each process remembers (a few MB)
TOKEN_CACHE = 4096
#: token-set similarity (Jaccard) above which a case is suggested as related
SIMILAR = 0.35
#: above which a claim closed by 复核 counts as "the same facts and reasons" (Art. 36)
SAME_FACTS = 0.6


def search_text(petition: Petition) -> str:
    return " ".join(
        [
            petition.number,
            petition.title,
            petition.content,
            petition.category.name if petition.category_id else "",
        ]
    )


def index_petition(petition: Petition) -> None:
    search_put(SEARCH_TABLE, petition.pk, search_text(petition))


@lru_cache(maxsize=TOKEN_CACHE)
def _tokens(title: str, content: str) -> frozenset[str]:
    """The words of a case (jieba; single characters left out), remembered per text.

    Every intake compares the new case with up to ``CANDIDATES`` recent ones; those change
    slowly (each new case displaces the oldest), so their token sets are kept in a bounded
    per-process cache keyed by the texts themselves — an edited text is simply a new key.
    """
    return frozenset(t for t in tokenize(f"{title} {content}").split() if len(t) > 1)


def similarity(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def find_related(petition: Petition) -> list[dict[str, Any]]:
    """Earlier cases about the same matter, most similar first."""
    mine = _tokens(petition.title, petition.content)
    qs = Petition.objects.filter(category_id=petition.category_id).exclude(pk=petition.pk)
    qs = qs.exclude(status=Status.MERGED)
    if petition.place_unit_id:
        qs = qs.filter(Q(place_unit_id=petition.place_unit_id) | Q(place_unit__isnull=True))
    rows = list(
        qs.order_by("-received_on", "-id").values(
            "pk", "uid", "number", "title", "content", "kind", "status"
        )[:CANDIDATES]
    )
    rechecked = set(
        Decision.objects.filter(
            petition_id__in=[r["pk"] for r in rows],
            stage=Stage.RECHECK,
            signed_off_at__isnull=False,
        ).values_list("petition_id", flat=True)
    )
    related: list[dict[str, Any]] = []
    for row in rows:
        score = similarity(mine, _tokens(row["title"], row["content"]))
        if score < SIMILAR:
            continue
        reason = "similar"
        if (
            petition.kind == Kind.CLAIM
            and row["kind"] == Kind.CLAIM
            and row["pk"] in rechecked
            and score >= SAME_FACTS
        ):
            reason = "no_reacceptance"
        related.append(
            {
                "pk": row["pk"],
                "id": str(row["uid"]),
                "number": row["number"],
                "reason": reason,
                "score": round(score, 2),
            }
        )
    related.sort(key=lambda r: (r["reason"] != "no_reacceptance", -r["score"]))
    return related[:5]
