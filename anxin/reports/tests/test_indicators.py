"""The indicator definitions on seeded ledgers: each edge case of docs/indicators.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from anxin.reports import indicators
from anxin.reports.indicators import CONTRACT_KEYS, Period

pytest_plugins = ["anxin.reports.tests.kpi_data"]


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


TODAY = d(11, 20)

NOVEMBER = Period(d(11, 1), d(11, 30), TODAY)

#: (numerator, denominator) for D1 and its subtree, seen by the city's read-only viewer
EXPECTED_D1: dict[str, tuple[int, int | None]] = {
    # P1 met, P7 met; P2 missed, P3 running past due; P4 not yet due, P5 October, P6 moved to T3
    "timely_acceptance_rate": (2, 4),
    # P1 met; P2 missed, P7 running past due; P3 paused
    "on_time_reply_rate": (1, 3),
    # P1, P2 rated; P8 not; P9 answered in October, P20 not signed off
    "participation_rate": (2, 3),
    "satisfaction_rate": (1, 2),
    # P10 repeats P9; merged P11 and P6 (T3) are out
    "repeat_petition_rate": (1, 8),
    # P12; P13 went to review, P15 dissatisfied, P16 not rated; P14 is a repeat
    "first_petition_resolution_rate": (1, 4),
    # P16 cleared, P17 open; P18 listed in the period, P19 closed before it
    "backlog_clearance_rate": (1, 2),
    # H1 closed; H2, H8 open; H3 is in T3, H4 void, H5 still a report
    "hazard_rectification_rate": (1, 3),
    "major_hazard_rectification_rate": (0, 1),
    # H2 and H6 past their deadline on 20 November; H7 closed, H8 not yet due
    "overdue_hazards": (2, None),
    # S1 inspected; S4 not; S3 closed
    "inspection_coverage_rate": (1, 2),
    "accidents_particularly_serious": (0, None),
    "accidents_serious": (0, None),
    "accidents_relatively_large": (0, None),
    "accidents_ordinary": (1, None),
}


def _figures(user: Any, unit: Any) -> dict[str, tuple[int, int | None]]:
    return {
        f.indicator.key: (f.numerator, f.denominator)
        for f in indicators.figures(user=user, unit=unit, period=NOVEMBER)
    }


def test_every_contract_key_is_defined_once_with_accidents_by_grade() -> None:
    keys = [i.key for i in indicators.all_indicators()]
    assert len(keys) == len(set(keys))
    assert CONTRACT_KEYS == (
        "timely_acceptance_rate",
        "on_time_reply_rate",
        "participation_rate",
        "satisfaction_rate",
        "repeat_petition_rate",
        "first_petition_resolution_rate",
        "backlog_clearance_rate",
        "hazard_rectification_rate",
        "major_hazard_rectification_rate",
        "overdue_hazards",
        "inspection_coverage_rate",
    )
    assert keys[len(CONTRACT_KEYS) :] == [
        "accidents_particularly_serious",
        "accidents_serious",
        "accidents_relatively_large",
        "accidents_ordinary",
    ]


def test_figures_of_a_district_cover_every_edge_case(seeded: Any, personas: Any) -> None:
    assert _figures(personas.viewer, personas.city.D1) == EXPECTED_D1


def test_each_figure_equals_the_length_of_its_list(seeded: Any, personas: Any) -> None:
    for unit in (personas.city.C, personas.city.D1, personas.city.DEP, personas.city.T3):
        for fig in indicators.figures(user=personas.viewer, unit=unit, period=NOVEMBER):
            ind = fig.indicator
            kw = {"user": personas.viewer, "unit": unit, "period": NOVEMBER}
            assert indicators.items(ind, part="numerator", **kw).count() == fig.numerator
            if ind.is_count:
                assert fig.denominator is None
            else:
                assert indicators.items(ind, part="denominator", **kw).count() == fig.denominator


def test_a_petition_counts_for_the_unit_whose_clock_it_was(seeded: Any, personas: Any) -> None:
    """P6 was forwarded from T1 to T3: its cancelled clock at T1 counts nowhere."""
    t3 = _figures(personas.viewer, personas.city.T3)
    assert t3["timely_acceptance_rate"] == (1, 1)
    city = _figures(personas.viewer, personas.city.C)
    assert city["timely_acceptance_rate"] == (3, 5)


def test_a_hazard_counts_for_its_territorial_unit_and_its_regulator(
    seeded: Any, personas: Any
) -> None:
    dep = _figures(personas.viewer, personas.city.DEP)
    assert dep["hazard_rectification_rate"] == (2, 4)  # H1, H3 of H1, H2, H3, H8
    assert dep["major_hazard_rectification_rate"] == (1, 2)
    assert dep["overdue_hazards"] == (2, None)
    assert dep["inspection_coverage_rate"] == (1, 2)  # S1 of S1, S2
    city = _figures(personas.viewer, personas.city.C)
    # counted once at the city, though both its territorial unit and DEP are under it
    assert city["hazard_rectification_rate"] == (2, 4)
    assert city["inspection_coverage_rate"] == (1, 3)
    assert city["accidents_serious"] == (1, None)


def test_the_shield_removes_an_accusation_from_both_parts(seeded: Any, personas: Any) -> None:
    """P7 accuses D1: the head of D1 sees figures without it, and lists that agree."""
    shielded = _figures(personas.parent, personas.city.D1)
    assert shielded["timely_acceptance_rate"] == (1, 3)
    assert shielded["on_time_reply_rate"] == (1, 2)
    assert shielded["repeat_petition_rate"] == (1, 7)
    ind = indicators.get("timely_acceptance_rate")
    assert ind is not None
    listed = indicators.items(
        ind, user=personas.parent, unit=personas.city.D1, period=NOVEMBER, part="denominator"
    )
    assert seeded.petitions["P7"].pk not in set(listed.values_list("pk", flat=True))


def test_figures_are_limited_to_what_the_person_may_see(seeded: Any, personas: Any) -> None:
    """The head of T1 sees T1's own figures: V1 is below T1, T2 is not."""
    same = _figures(personas.same, personas.city.T1)
    assert same["timely_acceptance_rate"] == (1, 2)  # P1 met, P2 (V1) missed; P7 shielded
    assert same["inspection_coverage_rate"] == (1, 1)  # S1 in V1


def test_a_period_still_running_counts_only_what_has_come_due(seeded: Any, personas: Any) -> None:
    later = Period(d(11, 1), d(11, 30), d(11, 26))
    ind = indicators.get("timely_acceptance_rate")
    assert ind is not None
    fig = indicators.figure(ind, user=personas.viewer, unit=personas.city.D1, period=later)
    assert (fig.numerator, fig.denominator) == (2, 5)  # P4 (due 25 November) is now late


def test_the_working_definitions_are_configurable(
    seeded: Any, personas: Any, settings: Any
) -> None:
    settings.ANXIN_INDICATORS = {"satisfied_ratings": ["satisfied"], "reply_clocks": []}
    figs = _figures(personas.viewer, personas.city.D1)
    assert figs["satisfaction_rate"] == (1, 2)
    assert figs["on_time_reply_rate"] == (0, 0)
    settings.ANXIN_INDICATORS = {"site_statuses": ["active", "suspended", "closed"]}
    assert _figures(personas.viewer, personas.city.D1)["inspection_coverage_rate"] == (2, 3)


def test_value_is_a_rate_a_count_or_none() -> None:
    rate = indicators.get("on_time_reply_rate")
    count = indicators.get("overdue_hazards")
    assert rate is not None and count is not None
    assert indicators.Figure(rate, 1, 3).value == 0.3333
    assert indicators.Figure(rate, 0, 0).value is None
    assert indicators.Figure(count, 4, None).value == 4.0


def test_one_query_per_source_whatever_the_ledger_size(
    seeded: Any, personas: Any, django_assert_num_queries: Any
) -> None:
    """For a person who sees the whole tree: the sums over the clock and indicator rollups
    and the shield's count of the hidden cases (the petition rates but the backlog's), the
    backlog's live count, the hazard rollup's daily sums and members, and one pass each for the
    sites and the accidents."""
    viewer = personas.viewer
    indicators.figures(user=viewer, unit=personas.city.C, period=NOVEMBER)  # grants cached
    with django_assert_num_queries(8):
        indicators.figures(user=viewer, unit=personas.city.C, period=NOVEMBER)


@pytest.mark.parametrize("who", ["viewer", "parent", "same"])
@pytest.mark.parametrize("code", ["C", "D1", "DEP", "T1", "T3"])
def test_the_single_pass_equals_each_figure_alone(
    seeded: Any, personas: Any, who: str, code: str
) -> None:
    """All figures in one pass per source are exactly the one-count-per-figure figures, for
    shielded and scoped persons too."""
    from anxin.core.models import Unit

    user = getattr(personas, who)
    unit = Unit.objects.get(code=code)
    together = indicators.figures(user=user, unit=unit, period=NOVEMBER)
    alone = [
        indicators.figure(i, user=user, unit=unit, period=NOVEMBER)
        for i in indicators.all_indicators()
    ]
    assert [(f.indicator.key, f.numerator, f.denominator) for f in together] == [
        (f.indicator.key, f.numerator, f.denominator) for f in alone
    ]


def test_nobody_without_the_figures_permission_gets_a_unit(personas: Any) -> None:
    from anxin.reports.indicators import UnitNotFound

    with pytest.raises(UnitNotFound):
        indicators.resolve_unit(personas.enterprise, "T1")
    with pytest.raises(UnitNotFound):
        indicators.resolve_unit(personas.outsider, "D1")
    assert indicators.resolve_unit(personas.outsider, None) == personas.city.T3


@pytest.mark.parametrize("key", [i.key for i in indicators.all_indicators()])
def test_each_figure_is_one_query_and_each_list_page_two(
    seeded: Any, personas: Any, django_assert_num_queries: Any, key: str
) -> None:
    from anxin.core.pagination import keyset_page
    from anxin.reports.api import item_out

    ind = indicators.get(key)
    assert ind is not None
    kw = {"user": personas.viewer, "unit": personas.city.C, "period": NOVEMBER}
    indicators.figure(ind, **kw)  # the person's grants are loaded once per request
    with django_assert_num_queries(1):
        fig = indicators.figure(ind, **kw)
    for part in ["numerator"] if ind.is_count else ["numerator", "denominator"]:
        with django_assert_num_queries(2):  # the count and the page, whatever its length
            page = keyset_page(indicators.items(ind, part=part, **kw), ind.ordering, limit=50)
            rows = [item_out(ind, obj) for obj in page.items]
        assert len(rows) == (fig.numerator if part == "numerator" else fig.denominator)
