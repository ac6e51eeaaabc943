"""The day-additive petition indicators (``KpiDaily``) and the hazard indicators
(``HazardKpiDaily``) read from their rollups: the figures by hand on the seeded ledgers, equal to
the live count and to the length of the ``/items`` list for every unit, period and city-wide
viewer (a shielded one too), after real service calls as after a rebuild, and a fixed number of
queries for the kpis endpoint whatever the ledgers hold."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anxin.core.choices import Role
from anxin.core.testing import make_person
from anxin.petitions import services
from anxin.petitions.models import DeclineReason, Petition
from anxin.reports import indicators, kpi_rollups, rollups
from anxin.reports.models_rollups import HazardKpiMember, KpiDaily, KpiMember
from anxin.reports.tests.rollup_helpers import snapshot
from anxin.safety import hazards

pytest_plugins = ["anxin.reports.tests.kpi_data"]
pytestmark = pytest.mark.django_db

ROLLED = (*kpi_rollups.KEYS, *kpi_rollups.HAZARD_KEYS)


def _period(start: dt.date, end: dt.date, today: dt.date) -> indicators.Period:
    return indicators.Period(start=start, end=end, today=today)


NOVEMBER = _period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), dt.date(2026, 11, 20))
FIRST_HALF = _period(dt.date(2026, 11, 1), dt.date(2026, 11, 15), dt.date(2026, 11, 20))
AUTUMN = _period(dt.date(2026, 10, 1), dt.date(2026, 11, 19), dt.date(2026, 11, 20))
ONE_DAY = _period(dt.date(2026, 11, 19), dt.date(2026, 11, 19), dt.date(2026, 11, 20))


def _rolled(user: Any, unit: Any, period: indicators.Period) -> dict[str, tuple[int, int | None]]:
    got = {
        **indicators.rolled_up_figures(user=user, unit=unit, period=period),
        **indicators.rolled_up_hazard_figures(user=user, unit=unit, period=period),
    }
    assert set(ROLLED) <= set(got)
    return {k: (got[k].numerator, got[k].denominator) for k in ROLLED}


def _live(user: Any, unit: Any, period: indicators.Period) -> dict[str, tuple[int, int | None]]:
    """Each figure counted alone (no rollup) and checked against the length of its lists."""
    out: dict[str, tuple[int, int | None]] = {}
    for key in ROLLED:
        ind = indicators.get(key)
        assert ind is not None
        fig = indicators.figures_for_units(ind, user=user, units=[unit], period=period)[unit.pk]
        kw = {"user": user, "unit": unit, "period": period}
        assert indicators.items(ind, part="numerator", **kw).count() == fig.numerator, key
        if not ind.is_count:
            assert indicators.items(ind, part="denominator", **kw).count() == fig.denominator, key
        out[key] = (fig.numerator, fig.denominator)
    return out


def _shielded(personas: Any, home: str = "D1") -> Any:
    """A city-wide viewer at home in ``home``: an accusation against it is hidden from them."""
    c = personas.city
    return make_person(f"{home.lower()}viewer", getattr(c, home), [(Role.VIEWER, c.C)])


def test_the_rolled_figures_by_hand(seeded: Any, personas: Any) -> None:
    """The seeded ledgers (kpi_data.build) counted by hand, for the city in November:
    answered in writing P1 (rated satisfied), P2 (dissatisfied), P8 (not rated); received and
    not merged P1–P4, P6, P7, P8, P20 and P10 (a repeat); first-time cases closed P12 (no review,
    satisfied), P13 (reviewed), P15 (dissatisfied), P16 (not rated) — P14 is a repeat; hazards
    found H1 and H3 (closed on the 19th), H2 (major, open), H8 (open); overdue H2 and H6."""
    viewer = personas.viewer
    c = personas.city
    assert _rolled(viewer, c.C, NOVEMBER) == {
        "participation_rate": (2, 3),
        "satisfaction_rate": (1, 2),
        "repeat_petition_rate": (1, 9),
        "first_petition_resolution_rate": (1, 4),
        "hazard_rectification_rate": (2, 4),
        "major_hazard_rectification_rate": (1, 2),
        "overdue_hazards": (2, None),
    }
    # until the 15th, H1 and H3 are not closed yet (closed after the period's end)
    first_half = _rolled(viewer, c.C, FIRST_HALF)
    assert first_half["hazard_rectification_rate"] == (0, 4)
    assert first_half["major_hazard_rectification_rate"] == (0, 2)
    assert first_half["overdue_hazards"] == (2, None)
    # the accusation P7 (against D1, received on 2 November) is out of the shielded viewer's
    # cohort of received cases
    assert _rolled(_shielded(personas), c.C, NOVEMBER)["repeat_petition_rate"] == (1, 8)


@pytest.mark.parametrize("code", ["C", "D1", "D2", "DEP", "T1", "T2", "T3", "V1"])
def test_rolled_equals_live_and_items_for_every_unit_and_period(
    seeded: Any, personas: Any, code: str
) -> None:
    unit = getattr(personas.city, code)
    for user in (personas.viewer, _shielded(personas)):
        for period in (NOVEMBER, FIRST_HALF, AUTUMN, ONE_DAY):
            assert _rolled(user, unit, period) == _live(user, unit, period), (user, period)


def test_the_figures_of_a_scoped_person_stay_live(seeded: Any, personas: Any) -> None:
    """A person who does not see the whole tree gets no rolled-up figure (their counts are
    live, over their smaller scope)."""
    c = personas.city
    assert indicators.rolled_up_figures(user=personas.same, unit=c.T1, period=NOVEMBER) == {}
    assert indicators.rolled_up_hazard_figures(user=personas.same, unit=c.T1, period=NOVEMBER) == {}


def _sign_off(personas: Any, p: Petition) -> Petition:
    services.petition_decide(
        actor=personas.member,
        petition=p,
        outcome="explain",
        facts="经核实……",
        reasons="依据……",
        legal_basis="《劳动法》第五十条",
    )
    p.refresh_from_db()
    p = services.petition_sign_off(actor=personas.same, petition=p)
    return services.petition_deliver(
        actor=personas.member,
        petition=p,
        document="decision",
        method="post",
        delivered_on=timezone.localdate(),
    )


def test_service_calls_keep_the_rollups_equal_to_live_and_to_a_rebuild(
    personas: Any, register: Any, site: Any, hazard_factory: Any
) -> None:
    c = personas.city
    today = timezone.localdate()
    # received: a claim, the same claim again (the follow-up links it as a repeat), a third to be
    # merged into the first, one to forward, an accusation against D1, one declined and closed
    first = register(received_on=today).petition
    repeat = register(received_on=today).petition
    assert repeat.repeat_of_id == first.pk
    duplicate = register(
        received_on=today, title="小区路灯损坏", content="小区东门路灯损坏一个月无人维修。"
    ).petition
    forwarded = register(
        received_on=today - dt.timedelta(days=1),
        title="河道垃圾堆积",
        content="村口河道垃圾堆积发臭，请求清理。",
    ).petition
    accusation = register(
        received_on=today,
        kind="accusation",
        accused_unit=c.D2,
        title="举报违规收费",
        content="某部门办理证照时违规收取费用。",
    ).petition
    declined = register(
        received_on=today, title="合同纠纷", content="与装修公司合同纠纷，已向法院起诉。"
    ).petition
    assert [p.repeat_of_id for p in (duplicate, forwarded, accusation, declined)] == [None] * 4
    # accepted with T1 as the lead unit, answered, rated, review requested
    for p in (first, accusation):
        services.petition_accept(
            actor=personas.clerk, petition=p, lead_unit=c.T1, leader=personas.same
        )
        p.refresh_from_db()
        p = _sign_off(personas, p)
        services.petition_rate(actor=None, petition=p, rating="satisfied")
    first.refresh_from_db()
    services.petition_request_review(actor=None, petition=first, reason="不服")
    services.petition_merge(actor=personas.clerk, petition=duplicate, into=first)
    services.petition_forward(actor=personas.clerk, petition=forwarded, to_unit=c.T3)
    # the repeat: accepted, answered, rated and closed (a repeat is not a first petition)
    services.petition_accept(
        actor=personas.clerk, petition=repeat, lead_unit=c.T1, leader=personas.same
    )
    repeat.refresh_from_db()
    repeat = services.petition_rate(
        actor=None, petition=_sign_off(personas, repeat), rating="dissatisfied"
    )
    services.petition_close(actor=personas.clerk, petition=repeat, reason="已答复")
    # the accusation closed after a satisfied rating: a first petition resolved first time
    accusation.refresh_from_db()
    services.petition_close(actor=personas.clerk, petition=accusation, reason="已答复")
    declined = services.petition_decline(
        actor=personas.clerk,
        petition=declined,
        reason=DeclineReason.objects.get(code="litigation"),
    )
    services.petition_close(actor=personas.clerk, petition=declined, reason="已告知诉讼渠道")
    # hazards: one found and closed, one open past its deadline, one voided
    now = timezone.now()
    closed = hazard_factory(found_at=now - dt.timedelta(days=3), grade="major")
    hazard_factory(found_at=now - dt.timedelta(days=20), deadline=today - dt.timedelta(days=2))
    voided = hazard_factory(found_at=now - dt.timedelta(days=1))
    hazards.hazard_void(actor=None, hazard=voided, reason="登记错误")
    closed.status, closed.closed_at = "closed", now
    closed.save(update_fields=["status", "closed_at"])
    kpi_rollups.refresh_hazards([closed.pk])  # a direct write: its rows recomputed by hand

    viewer, shielded = personas.viewer, _shielded(personas, "D2")
    periods = [
        _period(today, today, today),
        _period(today - dt.timedelta(days=30), today - dt.timedelta(days=1), today),  # an edge
        _period(today - dt.timedelta(days=30), today, today),
    ]
    for user in (viewer, shielded):
        for unit in (c.C, c.D1, c.T1, c.T2, c.T3):
            for period in periods:
                assert _rolled(user, unit, period) == _live(user, unit, period)
    # the city today, counted by hand: answered and rated first (satisfied), the accusation
    # (satisfied) and the repeat (dissatisfied); received today and not merged: first, repeat,
    # the accusation, the declined one (the forwarded one came yesterday); closed first-time:
    # the accusation (satisfied, no review) and the declined one
    got = _rolled(viewer, c.C, periods[0])
    assert got["participation_rate"] == (3, 3)
    assert got["satisfaction_rate"] == (2, 3)
    assert got["repeat_petition_rate"] == (1, 4)
    assert got["first_petition_resolution_rate"] == (1, 2)
    # the shield hides the accusation from the viewer at home in D2
    hidden = _rolled(shielded, c.C, periods[0])
    assert hidden["participation_rate"] == (2, 2)
    assert hidden["first_petition_resolution_rate"] == (0, 1)
    # a rebuild from the ledgers gives the very same rows
    incremental = snapshot()
    members = set(KpiMember.objects.values_list("petition_id", "key", "unit_id", "day", "hit"))
    hazard_members = set(HazardKpiMember.objects.values_list(*kpi_rollups._HAZARD_COLUMNS))
    rollups.rebuild()
    assert snapshot() == incremental
    assert (
        set(KpiMember.objects.values_list("petition_id", "key", "unit_id", "day", "hit")) == members
    )
    assert set(HazardKpiMember.objects.values_list(*kpi_rollups._HAZARD_COLUMNS)) == hazard_members


def test_an_unchanged_case_costs_two_reads(personas: Any, register: Any) -> None:
    p = register().petition
    rows = list(KpiDaily.objects.values_list("key", "unit_id", "d", "n"))
    assert rows == [("repeat_petition_rate", personas.city.C.pk, 1, 0)]
    with CaptureQueriesContext(connection) as ctx:
        kpi_rollups.refresh([p.pk])
    assert len(ctx.captured_queries) == 2  # the stored rows, the rows now: nothing to write


def test_the_kpis_endpoint_makes_a_fixed_number_of_queries(
    seeded: Any, personas: Any, client_for: Any, django_assert_num_queries: Any
) -> None:
    """A city-wide viewer: the session, the person, the grants, the unit, the person's home
    unit (the shield) and the session's save in its savepoint (8); the clock and indicator
    rollups' sums, the shield's hidden cases, the backlog's live count (4); the hazards' daily
    sums and members (2); the sites and the accidents (one pass each) — whatever the number of
    cases."""
    client = client_for(personas.viewer)
    params = {"unit": "C", "from": "2026-11-01", "to": "2026-11-30"}
    assert client.get("/api/v1/kpis", params).status_code == 200
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/kpis", params)
    # more cases (received, closed, answered) change no count
    from anxin.reports.tests.kpi_data import Builder, at

    more = Builder(personas)
    more.n = 100
    for n in range(3):
        p = more.petition(f"M{n}", unit=personas.city.T1, lead=personas.city.T1)
        more.decision(p, unit=personas.city.T1, signed=at(11, 3 + n))
    rollups.rebuild()
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get("/api/v1/kpis", params)
    assert response.status_code == 200
    assert len(first.captured_queries) == QUERIES


QUERIES = 16


@pytest.mark.usefixtures("media")
def test_a_site_changing_regulator_moves_its_hazards(
    personas: Any, site: Any, hazard_factory: Any
) -> None:
    """The site's regulating department is a unit of its hazards' figures: ``site.update``
    moves every hazard of the site to the new department's rows."""
    from anxin.safety.services import site_update

    c = personas.city
    now = timezone.now()
    hazard_factory(found_at=now - dt.timedelta(days=2), grade="major")
    hazard_factory(found_at=now - dt.timedelta(days=1))
    today = timezone.localdate()
    month = _period(today - dt.timedelta(days=30), today, today)
    from anxin.core.choices import UnitKind
    from anxin.core.services import unit_create

    before = site.regulating_unit
    other = unit_create(
        actor=None, code="DEP2", name="应急管理局", kind=UnitKind.DEPARTMENT, parent=c.C
    )
    key = "hazard_rectification_rate"
    assert _rolled(personas.viewer, other, month)[key] == (0, 0)
    site.refresh_from_db()
    site_update(actor=None, site=site, version=site.version, regulating_unit=other)
    for unit in {c.C, other, before, site.unit}:
        assert _rolled(personas.viewer, unit, month) == _live(personas.viewer, unit, month)
    assert _rolled(personas.viewer, other, month)[key] == (0, 2)
