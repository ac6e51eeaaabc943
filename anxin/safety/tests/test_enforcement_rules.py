"""安全生产法 Art. 113 as a table: 3 penalties within 180 days or 4 within a year (365 days)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from anxin.safety.enforcement_rules import (
    BASES_BY_CODE,
    LEGAL_BASES,
    ORDER_TITLES,
    OrderKind,
    closure_flag,
    is_penalty,
)

D0 = date(2026, 1, 1)


def days(*offsets: int) -> list[date]:
    return [D0 + timedelta(days=n) for n in offsets]


@pytest.mark.parametrize(
    ("offsets", "flagged", "why"),
    [
        ((), False, "none"),
        ((0, 10), False, "two only"),
        ((0, 90, 179), True, "3 spanning 179 days: within 180"),
        ((0, 90, 180), False, "3 spanning 180 days: the 181st day, not within 180"),
        ((0, 90, 181), False, "3 spanning 181 days"),
        ((0, 100, 200, 364), True, "4 spanning 364 days: within a year"),
        ((0, 100, 200, 365), False, "4 spanning 365 days: the 366th day"),
        ((0, 100, 200, 366), False, "4 spanning 366 days"),
        ((0, 200, 250, 300), True, "the last three within 100 days"),
        ((300, 0, 150, 250), True, "order does not matter: 4 within 300 days"),
        ((0, 179, 358), False, "three, each pair 179 apart, span 358 days; only 3"),
        ((0, 179, 358, 537), False, "four spanning 537 days, no three within 180"),
        ((0, 0, 0), True, "three on one day"),
    ],
)
def test_art_113(offsets, flagged, why):
    assert closure_flag(days(*offsets)) is flagged, why


def test_every_kind_has_a_title_and_the_list_cites_the_articles():
    assert set(ORDER_TITLES) == set(OrderKind.values)
    assert ORDER_TITLES[OrderKind.RECTIFY] == "责令限期整改指令书"
    articles = {b.article for b in LEGAL_BASES}
    for needle in ("第六十五条", "第七十条", "第一百零二条", "第一百一十二条", "第一百一十三条"):
        assert any(a.startswith(needle) for a in articles), needle
    assert "二十四小时" in BASES_BY_CODE["wsl70"].summary
    assert "次日" in BASES_BY_CODE["wsl112"].summary
    assert len(BASES_BY_CODE) == len(LEGAL_BASES)


@pytest.mark.parametrize(
    ("kind", "fine", "penalty"),
    [
        ("rectify", None, False),
        ("rectify", 5000, True),
        ("suspend", None, True),
        ("seal", None, True),
        ("power_cut", None, True),
        ("closure", None, False),
    ],
)
def test_what_is_a_penalty(kind, fine, penalty):
    assert is_penalty(kind, fine) is penalty
