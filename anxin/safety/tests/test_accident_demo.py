"""The demo accidents go through the services and cover every stage; a second run keeps them."""

from __future__ import annotations

import random

import pytest
from faker import Faker

from anxin.core.demo import DemoContext
from anxin.safety.accidents import accident_clocks
from anxin.safety.demo_accidents import seed_accidents
from anxin.safety.models_accidents import Accident

pytestmark = [pytest.mark.django_db]


def test_seed_accidents(personas):
    ctx = DemoContext(seed=1, rng=random.Random(1), faker=Faker("zh_CN"), demo_logins=False)
    seed_accidents(ctx)
    accidents = list(Accident.objects.order_by("occurred_at"))
    assert len(accidents) == 7
    assert {a.stage for a in accidents} == {"investigating", "awaiting_approval", "approved"}
    assert {a.grade for a in accidents} >= {"ordinary", "relatively_large", "serious"}
    newest = accidents[-1]
    assert newest.highest_level == "" and accident_clocks(newest)["county_report_by"].state == (
        "running"
    )
    states = {c.state for a in accidents for c in accident_clocks(a).values()}
    assert {"met", "missed", "running"} <= states
    assert any(r.grade_before for a in accidents for r in a.reports.all())  # the regrade
    seed_accidents(ctx)
    assert Accident.objects.count() == 7 and ctx.out[-1].endswith("kept the existing ones")
