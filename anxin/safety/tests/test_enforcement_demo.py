"""The demo enforcement orders go through the services; one site is flagged under Art. 113."""

from __future__ import annotations

import random

import pytest
from faker import Faker

from anxin.core.demo import DemoContext
from anxin.safety.models_enforcement import EnforcementOrder

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


def test_seed_enforcement():
    from anxin.core import demo as core_demo
    from anxin.safety import demo as safety_demo
    from anxin.safety import enforcement
    from anxin.safety.demo_enforcement import seed_enforcement
    from anxin.safety.demo_hazards import seed_hazards

    ctx = DemoContext(
        seed=7, rng=random.Random(7), faker=Faker("zh_CN"), demo_logins=True, scale=0.4
    )
    core_demo.seed(ctx)
    safety_demo.seed(ctx)
    seed_hazards(ctx)
    seed_enforcement(ctx)
    orders = EnforcementOrder.objects.all()
    assert orders.count() >= ctx.count(24)
    assert {"issued", "reinspected", "executed"} <= {o.status for o in orders}
    assert all(o.officers.count() >= 2 for o in orders)
    assert enforcement.site_closure_flags()
    before = orders.count()
    seed_enforcement(ctx)
    assert EnforcementOrder.objects.count() == before
