"""Fixtures of the supervision tests: a ladder of people around unit T1 and clocks to sweep."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from anxin.core.choices import Role
from anxin.core.models import User
from anxin.core.testing import make_person
from anxin.supervision.choices import ClockRule
from anxin.supervision.services import clock_start

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Friday 2026-11-27, 10:00 in Shanghai: the sweeps' "now"
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


@dataclass
class Ladder:
    supervisor: User
    city_supervisor: User
    leader: User


@pytest.fixture
def ladder(personas) -> Ladder:
    city = personas.city
    ladder = Ladder(
        supervisor=make_person("sup", city.D1, [(Role.SUPERVISOR, city.D1)]),
        city_supervisor=make_person("citysup", city.C, [(Role.SUPERVISOR, city.C)]),
        leader=make_person("leader", city.D1, [(Role.UNIT_HEAD, city.DEP)]),
    )
    for user in (personas.member, personas.same, personas.parent, ladder.supervisor):
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.gov.cn")
    return ladder


def start(subject_id: int, unit, due_on: dt.date, **kw):
    return clock_start(
        actor=None,
        subject_type="petitions.petition",
        subject_id=subject_id,
        name="handle_by",
        unit=unit,
        rule=ClockRule.FIXED,
        start_on=dt.date(2026, 10, 1),
        due_on=due_on,
        **kw,
    )


def overdue_clocks(unit, n: int, first_id: int = 1000, due_on: dt.date = dt.date(2026, 11, 10)):
    return [start(first_id + i, unit, due_on) for i in range(n)]
