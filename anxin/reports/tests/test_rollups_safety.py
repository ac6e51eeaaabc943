"""Rollups of accidents (a regrade moves the count) and inspections (a changed date moves it),
each equal to a rebuild."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from anxin.core.choices import Role
from anxin.core.testing import make_person
from anxin.reports import rollups
from anxin.reports.models_rollups import AccidentDaily, InspectionDaily
from anxin.reports.tests.rollup_helpers import snapshot
from anxin.safety import accidents, inspections

pytestmark = pytest.mark.django_db

CST = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 9, 16, 23, 30, tzinfo=CST)  # late evening: the local day is the 16th


def _rebuilt_equals_incremental() -> None:
    incremental = snapshot()
    rollups.rebuild()
    assert snapshot() == incremental


def test_a_regraded_accident_moves_to_its_new_grade(personas: Any) -> None:
    inspector = make_person("acc", personas.city.T1, [(Role.INSPECTOR, personas.city.T1)])
    accident = accidents.accident_report(
        actor=inspector,
        occurred_at=T0,
        place="一街道和平路8号机加工车间",
        kind="production",
        summary="冲压机作业时发生机械伤害。",
        unit=personas.city.T1,
        deaths=1,
        direct_loss_yuan=Decimal("100000"),
    )
    assert list(AccidentDaily.objects.values_list("day", "unit_id", "grade", "occurred")) == [
        (dt.date(2026, 9, 16), personas.city.T1.pk, "ordinary", 1)
    ]
    accidents.accident_supplement(
        actor=inspector,
        accident=accident,
        deaths=3,
        serious_injuries=0,
        missing=0,
        at=T0 + dt.timedelta(days=2),
    )
    counts = dict(AccidentDaily.objects.values_list("grade", "occurred"))
    assert counts == {"ordinary": 0, "relatively_large": 1}
    _rebuilt_equals_incremental()


@pytest.mark.usefixtures("media")
def test_an_inspection_counts_on_its_day_and_moves_with_it(site: Any, inspector: Any) -> None:
    started = timezone.now() - dt.timedelta(days=3)
    record = inspections.inspection_create(
        actor=inspector, site=site, content="消防安全专项检查", started_at=started
    )
    assert list(InspectionDaily.objects.values_list("day", "unit_id", "inspections")) == [
        (timezone.localdate(started), site.unit_id, 1)
    ]
    inspections.inspection_update(
        actor=inspector,
        inspection=record,
        version=record.version,
        started_at=started - dt.timedelta(days=2),
    )
    counts = {d: n for d, n in InspectionDaily.objects.values_list("day", "inspections") if n}
    assert counts == {timezone.localdate(started - dt.timedelta(days=2)): 1}
    _rebuilt_equals_incremental()
