"""Accident services: grading, every clock through the real clock table, regrading, scope.

Personas (anxin.core.testing): ``same`` heads T1, ``parent`` heads D1 (over T1 and T2),
``sibling`` heads T2, ``outsider`` heads T3, ``member`` handles petitions in T1, ``viewer`` reads
city-wide; ``inspector`` (added here) inspects in T1.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from anxin.core.choices import Role
from anxin.core.errors import VersionConflict
from anxin.core.models import AuditEvent
from anxin.core.testing import make_person
from anxin.safety import accidents
from anxin.safety.accidents import (
    AccidentStateError,
    SupplementWindowClosed,
    accident_approve,
    accident_county_reported,
    accident_extend_approval,
    accident_extend_investigation,
    accident_pause,
    accident_regraded,
    accident_report,
    accident_report_received,
    accident_reported_up,
    accident_resume,
    accident_supplement,
)
from anxin.safety.models_accidents import Accident, AccidentReport

pytestmark = [pytest.mark.django_db]

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 9, 16, 8, 30, tzinfo=CST)


@pytest.fixture
def inspector(personas: Any) -> Any:
    return make_person("inspector", personas.city.T1, [(Role.INSPECTOR, personas.city.T1)])


@pytest.fixture
def report(personas: Any, inspector: Any):
    def make(**overrides: Any) -> Accident:
        kwargs: dict[str, Any] = {
            "actor": inspector,
            "occurred_at": T0,
            "place": "一街道和平路8号机加工车间",
            "kind": "production",
            "summary": "冲压机作业时发生机械伤害。",
            "unit": personas.city.T1,
            "deaths": 1,
            "serious_injuries": 2,
            "missing": 0,
            "direct_loss_yuan": Decimal("1200000"),
        }
        kwargs.update(overrides)
        return accident_report(**kwargs)

    return make


def deadlines(a: Accident) -> dict[str, str]:
    return accidents.deadlines_for([a])[a.pk]


def states(a: Accident) -> dict[str, str]:
    return {n: c.state for n, c in accidents.accident_clocks(a).items()}


# --- reporting and the clocks it starts -------------------------------------------------------


@pytest.mark.dbdep
@pytest.mark.parametrize(
    ("case", "overrides", "grade", "expected"),
    [
        (
            "production, 30-day window, 60 days to a Sunday → Monday (民法典 Art. 203)",
            {},
            "ordinary",
            {
                "county_report_by": "2026-09-16T09:30:00+08:00",
                "supplementary_until": "2026-10-16",
                "investigation_report_by": "2026-11-16",
            },
        ),
        (
            "road traffic at 23:30: the hour crosses midnight; 7-day window ends in the holiday",
            {"kind": "road_traffic", "occurred_at": datetime(2026, 9, 28, 23, 30, tzinfo=CST)},
            "ordinary",
            {
                "county_report_by": "2026-09-29T00:30:00+08:00",
                "supplementary_until": "2026-10-05",
                "investigation_report_by": "2026-11-27",
            },
        ),
        (
            "fire, leader told 50 minutes later: the hour runs from then (Art. 9)",
            {
                "kind": "fire",
                "unit_informed_at": datetime(2026, 9, 16, 9, 20, tzinfo=CST),
                "deaths": 3,
            },
            "relatively_large",
            {
                "county_report_by": "2026-09-16T10:20:00+08:00",
                "supplementary_until": "2026-09-23",
                "investigation_report_by": "2026-11-16",
            },
        ),
        (
            "a time given in UTC is shown in local time",
            {"occurred_at": datetime(2026, 9, 16, 0, 30, tzinfo=UTC), "deaths": 30},
            "particularly_serious",
            {
                "county_report_by": "2026-09-16T09:30:00+08:00",
                "supplementary_until": "2026-10-16",
                "investigation_report_by": "2026-11-16",
            },
        ),
    ],
)
def test_report_grades_and_starts_the_clocks(report, case, overrides, grade, expected):
    a = report(**overrides)
    assert a.grade == grade, case
    assert deadlines(a) == expected, case
    assert states(a) == {name: "running" for name in expected}
    assert a.version == 1 and a.highest_level == "" and a.reported_to_county_at is None
    event = AuditEvent.objects.get(action="accident.report", object_id=str(a.pk))
    assert event.after["grade"] == grade


def test_missing_never_counts_and_the_loss_decides(report):
    a = report(deaths=2, serious_injuries=9, missing=40, direct_loss_yuan=Decimal("9999999.99"))
    assert a.grade == "ordinary"
    b = report(deaths=0, serious_injuries=0, direct_loss_yuan=Decimal("50000000"))
    assert b.grade == "serious"


def test_report_refuses_bad_input(report, personas):
    cases = [
        ({"occurred_at": datetime(2026, 9, 16, 8, 30)}, "occurred_at"),  # naive
        ({"occurred_at": datetime.now(CST) + timedelta(days=1)}, "occurred_at"),
        ({"unit_informed_at": T0 - timedelta(minutes=1)}, "unit_informed_at"),
        ({"place": "  "}, "place"),
        ({"summary": ""}, "summary"),
        ({"kind": "meteor"}, "kind"),
        ({"deaths": -1}, "deaths"),
        ({"serious_injuries": "many"}, "serious_injuries"),
        ({"direct_loss_yuan": "-5"}, "direct_loss_yuan"),
        ({"direct_loss_yuan": "abc"}, "direct_loss_yuan"),
        ({"unit": personas.city.DEP, "actor": None}, "unit"),  # a department is not territorial
    ]
    for overrides, field in cases:
        with pytest.raises(ValidationError) as exc:
            report(**overrides)
        assert field in exc.value.message_dict, (overrides, exc.value.message_dict)
    assert not Accident.objects.exists()


def test_county_report_in_time_starts_the_city_clock(report, inspector):
    a = report()
    a = accident_county_reported(
        actor=inspector, accident=a, at=T0 + timedelta(minutes=60), reporter="厂长 王五"
    )
    assert (a.highest_level, a.version) == ("county", 2)
    assert states(a)["county_report_by"] == "met"  # at the minute: in time
    assert deadlines(a)["city_report_by"] == "2026-09-16T11:30:00+08:00"  # 2 hours (Art. 11)
    row = AccidentReport.objects.get(accident=a)
    assert (row.kind, row.level, row.reporter, row.deaths, row.grade) == (
        "county",
        "county",
        "厂长 王五",
        1,
        "ordinary",
    )
    with pytest.raises(AccidentStateError):
        accident_county_reported(actor=inspector, accident=a, at=T0 + timedelta(hours=2))


def test_a_late_county_report_misses_its_clock(report, inspector):
    a = report()
    a = accident_county_reported(actor=inspector, accident=a, at=T0 + timedelta(minutes=61))
    assert states(a)["county_report_by"] == "missed"
    event = AuditEvent.objects.get(action="accident.county_reported")
    assert event.after["in_time"] is False


def test_a_direct_report_before_the_leader_knew_is_in_time(report, inspector):
    """Art. 9 para. 2: on-site staff may report directly in an emergency."""
    a = report(unit_informed_at=T0 + timedelta(hours=3))
    a = accident_county_reported(actor=inspector, accident=a, at=T0 + timedelta(minutes=20))
    assert states(a)["county_report_by"] == "met"


@pytest.mark.parametrize(
    ("deaths", "chain"),
    [
        (1, ["city"]),  # 一般: up to the city (Art. 10(3))
        (3, ["city", "province"]),  # 较大: up to the province (Art. 10(2))
        (10, ["city", "province", "state"]),  # 重大: up to the State Council department
        (30, ["city", "province", "state"]),  # 特别重大
    ],
)
def test_each_level_up_within_two_hours_to_the_level_required(report, inspector, deaths, chain):
    a = report(deaths=deaths)
    at = T0 + timedelta(minutes=30)
    a = accident_county_reported(actor=inspector, accident=a, at=at)
    for i, level in enumerate(chain):
        name = f"{level}_report_by"
        assert deadlines(a)[name] == (at + timedelta(hours=2)).isoformat()
        # the last level is reported late: missed
        at = at + (timedelta(hours=3) if i == len(chain) - 1 else timedelta(minutes=90))
        a = accident_reported_up(actor=inspector, accident=a, level=level, at=at)
        assert states(a)[name] == ("missed" if i == len(chain) - 1 else "met")
    assert a.highest_level == chain[-1]
    assert set(deadlines(a)) == {
        "county_report_by",
        "supplementary_until",
        "investigation_report_by",
        *(f"{lv}_report_by" for lv in chain),
    }
    assert [r.level for r in a.reports.order_by("reported_at")] == ["county", *chain]


def test_skipping_a_level_cancels_its_clock(report, inspector):
    """Art. 10 para. 3: 必要时可以越级上报."""
    a = report(deaths=10)
    a = accident_county_reported(actor=inspector, accident=a, at=T0 + timedelta(minutes=30))
    a = accident_reported_up(
        actor=inspector, accident=a, level="province", at=T0 + timedelta(minutes=50)
    )
    assert "city_report_by" not in states(a)  # cancelled clocks are history only
    assert states(a)["state_report_by"] == "running"
    with pytest.raises(ValidationError) as exc:
        accident_reported_up(actor=inspector, accident=a, level="city", at=T0 + timedelta(hours=1))
    assert "level" in exc.value.message_dict


def test_reporting_up_needs_the_county_report_first(report, inspector):
    a = report()
    with pytest.raises(AccidentStateError):
        accident_reported_up(actor=inspector, accident=a, level="city", at=T0 + timedelta(hours=1))


# --- supplementary reports and regrading (Art. 13, 20) ----------------------------------------


def test_a_supplement_regrades_and_the_report_must_go_higher(
    report, inspector, django_capture_on_commit_callbacks
):
    a = report(deaths=2)
    a = accident_county_reported(actor=inspector, accident=a, at=T0 + timedelta(minutes=30))
    a = accident_reported_up(actor=inspector, accident=a, level="city", at=T0 + timedelta(hours=2))
    assert "province_report_by" not in states(a)  # 一般 stops at the city
    got: list[dict[str, Any]] = []

    def listener(sender: Any, **kw: Any) -> None:
        got.append(kw)

    accident_regraded.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            at = T0 + timedelta(days=3)
            a = accident_supplement(
                actor=inspector,
                accident=a,
                deaths=3,
                serious_injuries=2,
                missing=0,
                at=at,
                note="一名重伤员经抢救无效死亡",
            )
    finally:
        accident_regraded.disconnect(listener)
    assert a.grade == "relatively_large" and a.deaths == 3
    assert [(g["before"], g["after"]) for g in got] == [("ordinary", "relatively_large")]
    # 较大 must reach the province: a 2-hour clock from the supplementary report
    assert deadlines(a)["province_report_by"] == (at + timedelta(hours=2)).isoformat()
    row = a.reports.get(kind="supplementary")
    assert (row.grade_before, row.grade, row.level, row.deaths) == (
        "ordinary",
        "relatively_large",
        "city",
        3,
    )
    assert AuditEvent.objects.filter(action="accident.regraded").count() == 1


def test_a_downgrade_cancels_the_clocks_above_the_new_level(report, inspector):
    a = report(deaths=3)
    a = accident_county_reported(actor=inspector, accident=a, at=T0 + timedelta(minutes=30))
    a = accident_reported_up(actor=inspector, accident=a, level="city", at=T0 + timedelta(hours=2))
    assert states(a)["province_report_by"] == "running"
    a = accident_supplement(
        actor=inspector,
        accident=a,
        deaths=2,  # a death was miscounted
        serious_injuries=2,
        missing=0,
        at=T0 + timedelta(days=1),
    )
    assert a.grade == "ordinary" and "province_report_by" not in states(a)


def test_missing_people_found_do_not_change_the_grade(report, inspector):
    a = report(deaths=1, missing=5)
    a = accident_supplement(
        actor=inspector, accident=a, deaths=1, serious_injuries=2, missing=0, at=T0 + timedelta(1)
    )
    assert a.grade == "ordinary"
    assert not AuditEvent.objects.filter(action="accident.regraded").exists()
    assert a.reports.get().grade_before == ""


@pytest.mark.parametrize(
    ("kind", "last_day"),
    [
        ("road_traffic", date(2026, 9, 23)),
        ("fire", date(2026, 9, 23)),
        ("other", date(2026, 10, 16)),
    ],
)
def test_supplements_only_within_the_window(report, inspector, kind, last_day):
    a = report(kind=kind)
    a = accident_supplement(
        actor=inspector,
        accident=a,
        deaths=2,
        serious_injuries=2,
        missing=0,
        at=datetime(last_day.year, last_day.month, last_day.day, 23, 59, tzinfo=CST),
    )
    assert a.deaths == 2
    with pytest.raises(SupplementWindowClosed) as exc:
        accident_supplement(
            actor=inspector,
            accident=a,
            deaths=3,
            serious_injuries=2,
            missing=0,
            at=datetime(last_day.year, last_day.month, last_day.day, tzinfo=CST) + timedelta(1),
        )
    assert exc.value.status == 409 and exc.value.extra == {
        "supplementary_until": last_day.isoformat()
    }
    assert Accident.objects.get(pk=a.pk).deaths == 2


# --- investigation (Art. 27, 29) ----------------------------------------------------------------


def test_extensions_add_at_most_sixty_days(report, inspector):
    a = report()  # investigation report by 2026-11-16
    a = accident_extend_investigation(actor=inspector, accident=a, days=30, reason="技术复杂")
    assert deadlines(a)["investigation_report_by"] == "2026-12-15"  # 09-16 + 90, a Tuesday
    a = accident_extend_investigation(actor=inspector, accident=a, days=30, reason="补充取证")
    assert deadlines(a)["investigation_report_by"] == "2027-01-14"  # 09-16 + 120
    with pytest.raises(ValidationError) as exc:
        accident_extend_investigation(actor=inspector, accident=a, days=1, reason="再延")
    assert "days" in exc.value.message_dict
    with pytest.raises(ValidationError):
        accident_extend_investigation(actor=inspector, accident=report(), days=5, reason=" ")
    assert Accident.objects.get(pk=a.pk).investigation_extension_days == 60


def test_technical_appraisal_is_not_counted(report, inspector):
    a = report()  # 2026-11-16
    a = accident_pause(actor=inspector, accident=a, reason="设备失效鉴定", on=date(2026, 10, 10))
    assert states(a)["investigation_report_by"] == "paused"
    with pytest.raises(AccidentStateError):
        accident_pause(actor=inspector, accident=a, reason="again", on=date(2026, 10, 11))
    a = accident_resume(actor=inspector, accident=a, on=date(2026, 10, 20))
    # 10 days not counted: 09-16 + 70 = 11-25, a Wednesday
    assert deadlines(a)["investigation_report_by"] == "2026-11-25"
    with pytest.raises(AccidentStateError):
        accident_resume(actor=inspector, accident=a, on=date(2026, 10, 21))


@pytest.mark.parametrize(
    ("deaths", "received", "approval_by", "investigation"),
    [
        (1, date(2026, 9, 21), "2026-10-08", "met"),  # 15 days → 10-06, a holiday → 10-08
        (30, date(2026, 9, 21), "2026-10-21", "met"),  # 特别重大: 30 days
        (1, date(2026, 11, 17), "2026-12-02", "missed"),  # a day after the 11-16 deadline
    ],
)
def test_receiving_the_report_ends_the_investigation_and_starts_the_approval(
    report, inspector, deaths, received, approval_by, investigation
):
    a = report(deaths=deaths)
    a = accident_report_received(actor=inspector, accident=a, on=received)
    assert a.stage == "awaiting_approval"
    assert deadlines(a)["approval_by"] == approval_by
    assert states(a)["investigation_report_by"] == investigation
    assert states(a)["supplementary_until"] == "met"  # the window closes, never "missed"
    with pytest.raises(AccidentStateError):
        accident_supplement(
            actor=inspector, accident=a, deaths=9, serious_injuries=0, missing=0, at=T0
        )
    with pytest.raises(AccidentStateError):
        accident_extend_investigation(actor=inspector, accident=a, days=5, reason="x")
    with pytest.raises(AccidentStateError):
        accident_report_received(actor=inspector, accident=a, on=received)


def test_receiving_the_report_during_an_appraisal_folds_the_pause(report, inspector):
    a = report()
    a = accident_pause(actor=inspector, accident=a, reason="鉴定", on=date(2026, 11, 10))
    a = accident_report_received(actor=inspector, accident=a, on=date(2026, 11, 20))
    # paused 10 days: due 11-26, so 11-20 is in time
    assert states(a)["investigation_report_by"] == "met"


# --- approval (Art. 32) --------------------------------------------------------------------------


def test_only_a_particularly_serious_approval_is_extended_by_at_most_thirty_days(report, inspector):
    ordinary = accident_report_received(actor=inspector, accident=report(), on=date(2026, 9, 21))
    with pytest.raises(AccidentStateError):
        accident_extend_approval(actor=inspector, accident=ordinary, days=5, reason="复杂")
    a = accident_report_received(actor=inspector, accident=report(deaths=30), on=date(2026, 9, 21))
    a = accident_extend_approval(actor=inspector, accident=a, days=30, reason="特殊情况")
    assert deadlines(a)["approval_by"] == "2026-11-20"  # 09-21 + 60, a Friday
    with pytest.raises(ValidationError):
        accident_extend_approval(actor=inspector, accident=a, days=1, reason="再延")


@pytest.mark.parametrize(
    ("approved", "state"), [(date(2026, 10, 8), "met"), (date(2026, 10, 9), "missed")]
)
def test_approval_stops_its_clock(report, inspector, approved, state):
    a = report()
    with pytest.raises(AccidentStateError):
        accident_approve(actor=inspector, accident=a, on=date(2026, 9, 20))
    a = accident_report_received(actor=inspector, accident=a, on=date(2026, 9, 21))
    with pytest.raises(ValidationError):
        accident_approve(actor=inspector, accident=a, on=date(2026, 9, 20))
    a = accident_approve(actor=inspector, accident=a, on=approved, reference="示政函〔2026〕12号")
    assert (a.stage, a.approved_on, a.approval_reference) == (
        "approved",
        approved,
        "示政函〔2026〕12号",
    )
    assert states(a)["approval_by"] == state
    with pytest.raises(AccidentStateError):
        accident_approve(actor=inspector, accident=a, on=approved)


# --- scope, locking, audit, database ---------------------------------------------------------


def test_scope_of_the_writes(report, personas, inspector):
    a = report()
    # the unit head of T1 and of D1 (its parent) may record steps
    accident_county_reported(actor=personas.same, accident=a, at=T0 + timedelta(minutes=30))
    accident_pause(actor=personas.parent, accident=a, reason="鉴定", on=date(2026, 10, 1))
    for outsider in (personas.sibling, personas.outsider, personas.viewer, personas.member):
        with pytest.raises(PermissionDenied):
            accident_resume(actor=outsider, accident=a, on=date(2026, 10, 2))
    with pytest.raises(PermissionDenied):
        report(actor=personas.sibling)  # T1 is outside T2
    report(actor=personas.sibling, unit=personas.city.T2)


def test_stale_version_is_a_conflict(report, inspector):
    a = report()
    accident_county_reported(actor=inspector, accident=a, at=T0 + timedelta(minutes=5), version=1)
    with pytest.raises(VersionConflict) as exc:
        accident_pause(actor=inspector, accident=a, reason="鉴定", on=date(2026, 10, 1), version=1)
    assert exc.value.extra == {"current_version": 2}


def test_every_step_is_audited_on_the_accident(report, inspector):
    a = report()
    accident_county_reported(actor=inspector, accident=a, at=T0 + timedelta(minutes=5))
    accident_report_received(actor=inspector, accident=a, on=date(2026, 10, 20))
    accident_approve(actor=inspector, accident=a, on=date(2026, 10, 22))
    actions = list(
        AuditEvent.objects.filter(object_type="safety.accident", object_id=str(a.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert [x for x in actions if x.startswith("accident.")] == [
        "accident.report",
        "accident.county_reported",
        "accident.report_received",
        "accident.approve",
    ]
    assert "clock.start" in actions and "clock.stop" in actions


@pytest.mark.dbdep
def test_the_database_checks_the_accident(report):
    a = report()
    qs = Accident.objects.filter(pk=a.pk)
    for bad in (
        {"grade": "catastrophic"},
        {"kind": "meteor"},
        {"highest_level": "county"},  # without the county report time
        {"unit_informed_at": T0 - timedelta(hours=1)},
        {"approved_on": date(2026, 10, 1)},  # without the report received
        {"investigation_extension_days": 61},
        {"direct_loss_yuan": Decimal("-1")},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            qs.update(**bad)
