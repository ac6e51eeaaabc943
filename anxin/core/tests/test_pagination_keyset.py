"""Keyset pagination: the cursor's condition and paging through ties."""

from __future__ import annotations

import pytest

from anxin.core.models import Unit
from anxin.core.pagination import _after_q, keyset_page
from anxin.core.testing import make_city

pytestmark = pytest.mark.django_db

ORDERING = ("-depth", "-id")


def test_the_condition_is_led_by_a_bound_on_the_first_field() -> None:
    """``depth <= 2 AND (depth < 2 OR (depth = 2 AND id < 10))``: the bound is what
    PostgreSQL starts the index range at (docs/performance.md)."""
    sql = str(Unit.objects.filter(_after_q(ORDERING, [2, 10])).query)
    where = sql.split("WHERE", 1)[1]
    assert where.index('"depth" <= 2') < where.index('"depth" < 2')
    assert '"id" < 10' in where
    ascending = str(Unit.objects.filter(_after_q(("depth", "id"), [2, 10])).query)
    assert '"depth" >= 2' in ascending.split("WHERE", 1)[1]


def test_no_bound_on_a_single_field() -> None:
    sql = str(Unit.objects.filter(_after_q(("-id",), [10])).query)
    assert '"id" < 10' in sql and "<=" not in sql


def test_paging_through_ties_lists_every_row_once_in_order() -> None:
    make_city()
    expected = list(Unit.objects.order_by(*ORDERING).values_list("pk", flat=True))
    assert len(expected) > 4 and len(set(Unit.objects.values_list("depth", flat=True))) > 1
    seen: list[int] = []
    cursor = None
    while True:
        page = keyset_page(Unit.objects.all(), ORDERING, cursor=cursor, limit=2)
        seen += [u.pk for u in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
