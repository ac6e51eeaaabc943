"""The timeliness rates read from the clock rollup (``ClockDaily``): after any sequence of
service actions, the incremental rows equal a rebuild, and the rolled-up figure equals the live
count and the length of its ``/items`` list — for a city-wide viewer and for a city-wide viewer
the whistleblower shield hides an accusation from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anxin.core.choices import Role
from anxin.core.testing import make_person
from anxin.petitions.services import petition_accept
from anxin.reports import indicators, kpi_rollups, rollups
from anxin.reports.models_rollups import ClockDaily
from anxin.reports.tests.rollup_helpers import snapshot
from anxin.supervision import services as clocks

pytestmark = pytest.mark.django_db

PETITION = "petitions.petition"
ROLLED = ("timely_acceptance_rate", "on_time_reply_rate")

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["register", "accuse", "accept", "extend", "pause", "resume", "stop", "move"]
        ),
        st.integers(min_value=0, max_value=30),  # days back
    ),
    min_size=1,
    max_size=14,
)


class _Rollback(Exception):
    pass


def _live(user: Any, unit: Any, period: indicators.Period) -> dict[str, tuple[int, int | None]]:
    out = {}
    for key in ROLLED:
        ind = indicators.get(key)
        assert ind is not None
        f = indicators.figure(ind, user=user, unit=unit, period=period)
        n = indicators.items(ind, user=user, unit=unit, period=period, part="numerator").count()
        d = indicators.items(ind, user=user, unit=unit, period=period, part="denominator").count()
        assert (f.numerator, f.denominator) == (n, d), key
        out[key] = (f.numerator, f.denominator)
    return out


def _rolled(user: Any, unit: Any, period: indicators.Period) -> dict[str, tuple[int, int | None]]:
    got = indicators.rolled_up_figures(user=user, unit=unit, period=period)
    assert set(got) == {*ROLLED, *kpi_rollups.KEYS}
    return {k: (f.numerator, f.denominator) for k, f in got.items() if k in ROLLED}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_rollup_equals_rebuild_live_and_items(personas: Any, register: Any, ops: list[Any]) -> None:
    c = personas.city
    today = timezone.localdate()
    try:
        with transaction.atomic():
            ClockDaily.objects.all().delete()
            shielded = make_person("d2viewer", c.D2, [(Role.VIEWER, c.C)])
            received: list[Any] = []
            accepted: list[Any] = []
            for op, back in ops:
                day = today - dt.timedelta(days=back)
                key: dict[str, Any] = {"actor": None, "subject_type": PETITION, "name": "handle_by"}
                try:
                    with transaction.atomic():
                        if op == "register":
                            received.append(register(received_on=day).petition)
                        elif op == "accuse":
                            received.append(
                                register(
                                    received_on=day, kind="accusation", accused_unit=c.D2
                                ).petition
                            )
                        elif op == "accept" and received:
                            accepted.append(
                                petition_accept(
                                    actor=personas.clerk, petition=received.pop(), lead_unit=c.T1
                                )
                            )
                        elif op == "extend" and accepted:
                            clocks.clock_extend(**key, subject_id=accepted[-1].pk, days=back + 1)
                        elif op == "pause" and accepted:
                            clocks.clock_pause(**key, subject_id=accepted[-1].pk, on=today)
                        elif op == "resume" and accepted:
                            clocks.clock_resume(**key, subject_id=accepted[-1].pk, on=today)
                        elif op == "stop" and accepted:
                            clocks.clock_stop(**key, subject_id=accepted.pop().pk, on=day)
                        elif op == "move" and received:
                            clocks.clock_move_unit(
                                actor=None,
                                subject_type=PETITION,
                                subject_id=received[-1].pk,
                                unit=c.T3,
                            )
                except ValidationError:
                    pass  # a refused step (pausing a paused clock…) changes nothing
            incremental = snapshot()
            # every figure over a period around the changes, on several "today"s
            for on in (today, today + dt.timedelta(days=40), today + dt.timedelta(days=90)):
                period = indicators.Period(
                    today - dt.timedelta(days=60), today + dt.timedelta(days=90), on
                )
                for user in (personas.viewer, shielded):
                    for unit in (c.C, c.D1, c.T1, c.D2, c.T3):
                        assert _rolled(user, unit, period) == _live(user, unit, period)
            rollups.rebuild()
            assert snapshot() == incremental
            raise _Rollback
    except _Rollback:
        pass


def test_the_shield_is_subtracted(personas: Any, register: Any) -> None:
    """An accusation against D2, accepted in time: counted for the city viewer, absent for a
    city-wide viewer at home in D2 — in the rolled-up figure as in the list."""
    c = personas.city
    shielded = make_person("d2viewer", c.D2, [(Role.VIEWER, c.C)])
    today = timezone.localdate()
    p = register(received_on=today, kind="accusation", accused_unit=c.D2).petition
    petition_accept(actor=personas.clerk, petition=p, lead_unit=c.T1)
    period = indicators.Period(today - dt.timedelta(days=5), today + dt.timedelta(days=30), today)
    rate = indicators.get("timely_acceptance_rate")
    assert rate is not None
    seen = indicators.rolled_up_figures(user=personas.viewer, unit=c.C, period=period)
    hidden = indicators.rolled_up_figures(user=shielded, unit=c.C, period=period)
    assert (seen[rate.key].numerator, seen[rate.key].denominator) == (1, 1)
    assert (hidden[rate.key].numerator, hidden[rate.key].denominator) == (0, 0)
    assert not indicators.items(rate, user=shielded, unit=c.C, period=period, part="denominator")


def test_scoped_people_get_the_live_counts(personas: Any) -> None:
    """A person whose petition scope is not the whole tree is not read from the rollup."""
    today = timezone.localdate()
    period = indicators.Period(today, today, today)
    assert (
        indicators.rolled_up_figures(user=personas.parent, unit=personas.city.D1, period=period)
        == {}
    )


def test_several_reply_clocks_keep_the_reply_rate_live(settings: Any) -> None:
    settings.ANXIN_INDICATORS = {"reply_clocks": ["handle_by", "review_by"]}
    assert indicators.rolled_clock_names() == {"timely_acceptance_rate": ["accept_by"]}
