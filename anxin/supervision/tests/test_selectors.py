"""clocks_due: one indexed query, restricted by the user's scope over the clock's unit."""

from __future__ import annotations

from datetime import date

import pytest

from anxin.supervision.choices import ClockRule
from anxin.supervision.selectors import clocks_due, clocks_due_for_sweep
from anxin.supervision.services import clock_start, clock_stop

pytestmark = [pytest.mark.django_db, pytest.mark.dbdep]


@pytest.fixture
def clocks(personas):
    city = personas.city
    made = {}
    for subject_id, unit, start_on in [
        (1, city.T1, date(2026, 9, 1)),  # due 09-16
        (2, city.V1, date(2026, 9, 16)),  # due 10-08
        (3, city.T2, date(2026, 9, 1)),  # due 09-16
        (4, city.T3, date(2026, 9, 1)),  # due 09-16
        (5, city.T1, date(2026, 9, 1)),  # stopped
    ]:
        made[subject_id] = clock_start(
            actor=None,
            subject_type="petitions.petition",
            subject_id=subject_id,
            name="handle_by",
            unit=unit,
            rule=ClockRule.CALENDAR_DAYS,
            start_on=start_on,
            days=15,
        )
    clock_stop(
        actor=None,
        subject_type="petitions.petition",
        subject_id=5,
        name="handle_by",
        on=date(2026, 9, 2),
    )
    return made


def due_ids(user, before):
    return [c.subject_id for c in clocks_due(user=user, before=before)]


def test_scope_follows_the_owning_unit(personas, clocks):
    later = date(2026, 12, 31)
    assert due_ids(personas.same, later) == [1, 2]  # T1 and its village V1
    assert due_ids(personas.member, later) == [1, 2]
    assert due_ids(personas.parent, later) == [1, 3, 2]  # the whole district, by due date
    assert due_ids(personas.sibling, later) == [3]
    assert due_ids(personas.outsider, later) == [4]
    assert due_ids(personas.clerk, later) == [1, 3, 4, 2]
    assert due_ids(personas.enterprise, later) == []


def test_before_is_strict(personas, clocks):
    assert due_ids(personas.parent, date(2026, 9, 16)) == []  # due today is not overdue yet
    assert due_ids(personas.parent, date(2026, 9, 17)) == [1, 3]
    assert [c.subject_id for c in clocks_due_for_sweep(before=date(2026, 9, 17))] == [1, 3, 4]


def test_one_query_with_units_and_people(personas, clocks, django_assert_num_queries):
    personas.parent.refresh_from_db()  # grants are cached per user object: load them first
    list(clocks_due(user=personas.parent, before=date(2026, 12, 31)))
    with django_assert_num_queries(1):
        rows = list(clocks_due(user=personas.parent, before=date(2026, 12, 31)))
        assert [r.unit.code for r in rows] == ["T1", "T2", "V1"]
