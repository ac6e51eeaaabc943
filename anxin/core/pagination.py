"""Keyset (cursor) pagination for every big list, in the API and in pages alike.

A list is ordered by a tuple of fields ending with a unique one (``("-received_at", "-id")``).
The cursor is the opaque, URL-safe encoding of the last row's values of those fields; the next
page is the rows strictly after it, so page 500 costs the same index range scan as page 1.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib import parse

from django.db.models import Model, Q, QuerySet

from anxin.core.errors import ServiceError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidCursor(ServiceError):
    code = "invalid_cursor"

    def __init__(self) -> None:
        from django.utils.translation import gettext

        super().__init__(gettext("The page cursor is invalid; start again from the first page."))


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return {"t": value.isoformat()}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            text = value["t"]
            return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        if "d" in value:
            return Decimal(value["d"])
    return value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor from exc
    if not isinstance(values, list) or len(values) != width:
        raise InvalidCursor
    try:
        return [_decode_value(v) for v in values]
    except (ValueError, TypeError) as exc:
        raise InvalidCursor from exc


def _after_q(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (lexicographic on the tuple).

    The ``OR`` of the steps is led by the redundant bound on the first field (``received_on
    <= x AND (received_on < x OR (received_on = x AND id < y))``): PostgreSQL uses that bound
    as the start of the index range; on the ``OR`` alone it walks the index from its top and
    filters every row before the cursor (page 500 of a township's ledger: 10 s at 1M cases)."""
    q = Q()
    if len(ordering) > 1 and values and values[0] is not None:
        first = ordering[0]
        q = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    steps = Q()
    for i, term in enumerate(ordering):
        field = term.lstrip("-")
        op = "lt" if term.startswith("-") else "gt"
        step = Q(**{f"{field}__{op}": values[i]})
        for prev_term, prev_value in zip(ordering[:i], values[:i], strict=True):
            step &= Q(**{prev_term.lstrip("-"): prev_value})
        steps |= step
    return q & steps


def _value_of(obj: Any, field: str) -> Any:
    for part in field.split("__"):
        obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part)
        if isinstance(obj, Model) and part == field.split("__")[-1]:
            obj = obj.pk
    return obj


#: list pages count at most this many items ("10,000+"): an exact count of a city's million
#: cases costs a scan on every page view, and nobody pages through more than this
PAGE_COUNT_CAP = 10_000


def capped_count(queryset: QuerySet[Any], cap: int | None = None) -> tuple[int, bool]:
    """``(count, capped)``: the number of rows, at most ``cap`` (default
    :data:`PAGE_COUNT_CAP`; ``capped`` then says there are more) — ``COUNT(*)`` over a
    ``LIMIT cap + 1`` subquery of ids only (no joins)."""
    if cap is None:
        cap = PAGE_COUNT_CAP
    count = queryset.order_by().values("pk")[: cap + 1].count()
    if count > cap:
        return cap, True
    return count, False


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None
    count: int | None
    #: True when there are more than ``count`` items (the count stopped at its cap)
    count_capped: bool = False


def keyset_page(
    queryset: QuerySet[Any],
    ordering: tuple[str, ...],
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    with_count: bool = True,
    count_cap: int | None = None,
) -> Page:
    """One page after ``cursor``. ``count`` is exact, or with ``count_cap`` at most the cap
    (``count_capped`` then says there are more): ``COUNT(*)`` over a ``LIMIT cap + 1``
    subquery, so its cost is bounded whatever the size of the list."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    qs = queryset.order_by(*ordering)
    count = None
    capped = False
    if with_count and count_cap is not None:
        count, capped = capped_count(queryset, count_cap)
    elif with_count:
        count = queryset.order_by().count()
    if cursor:
        qs = qs.filter(_after_q(ordering, decode_cursor(cursor, len(ordering))))
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([_value_of(rows[-1], t.lstrip("-")) for t in ordering])
    return Page(rows, next_cursor, count, capped)


def url_with_cursor(url: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    params = [(k, v) for k, v in parse.parse_qsl(query, keep_blank_values=True) if k != "cursor"]
    params.append(("cursor", cursor))
    return parse.urlunsplit((scheme, netloc, path, parse.urlencode(params), fragment))


def page_context(
    request: Any,
    queryset: QuerySet[Any],
    ordering: tuple[str, ...],
    *,
    limit: int = DEFAULT_LIMIT,
    count_url: str | None = None,
) -> dict[str, Any]:
    """A keyset page for a list page: ``page``, ``next_url`` and ``first_query`` (the
    current filters without the cursor) — what ``components/pager.html`` shows.

    With ``count_url`` the page is answered without its count: the pager loads "N items"
    from ``count_url`` + the current filters once the list is shown (a big scoped list's
    capped count costs more than its page; see :func:`capped_count`)."""
    page = keyset_page(
        queryset,
        ordering,
        cursor=request.GET.get("cursor") or None,
        limit=limit,
        with_count=count_url is None,
        count_cap=PAGE_COUNT_CAP,
    )
    params = request.GET.copy()
    params.pop("cursor", None)
    first_query = params.urlencode()
    return {
        "page": page,
        "next_url": url_with_cursor(request.get_full_path(), page.next_cursor),
        "first_query": first_query,
        "count_url": f"{count_url}?{first_query}" if count_url and first_query else count_url,
    }
