"""The demo inspections and hazards go through the services: a year of inspections, hazards in
every state, some overdue, some 挂牌督办; a second run keeps them."""

from __future__ import annotations

import random

import pytest
from faker import Faker

from anxin.core.demo import DemoContext
from anxin.safety import selectors_hazards as selectors
from anxin.safety.hazard_rules import HazardStatus
from anxin.safety.models_hazards import Hazard
from anxin.safety.models_inspections import Inspection
from anxin.supervision.models import Clock

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


def test_seed_hazards():
    from anxin.core import demo as core_demo
    from anxin.core.models import User
    from anxin.safety import demo as safety_demo
    from anxin.safety.demo_hazards import seed_hazards

    ctx = DemoContext(
        seed=7, rng=random.Random(7), faker=Faker("zh_CN"), demo_logins=True, scale=0.4
    )
    core_demo.seed(ctx)
    safety_demo.seed(ctx)
    seed_hazards(ctx)

    inspections = Inspection.objects.all()
    assert inspections.count() == ctx.count(120)
    assert {i.status for i in inspections} == {"draft", "signed", "refused_to_sign"}
    span = inspections.order_by("started_at").first(), inspections.order_by("started_at").last()
    assert (span[1].started_at - span[0].started_at).days >= 330  # a year of inspections

    assert set(Hazard.objects.values_list("status", flat=True)) == set(HazardStatus.values)
    inspector = User.objects.get(username="inspector")
    assert selectors.hazard_list(user=inspector, overdue=True).exists()
    assert selectors.hazard_list(user=inspector, supervised=True).exists()
    assert Hazard.objects.filter(recurrence_of__isnull=False).exists()
    clocks = set(Clock.objects.filter(subject_type="safety.hazard").values_list("state", flat=True))
    assert {"running", "met"} <= clocks
    # the demo enterprise contact has something of their own
    contact = User.objects.get(username="enterprise")
    assert Hazard.objects.restrict(contact, "view").exists()
    assert list(selectors.plan_list(user=inspector))
    # accidents with the hazards found in their investigation (item 6)
    from anxin.safety.models_accidents import Accident
    from anxin.safety.models_hazards import ResumptionApplication

    linked = Accident.objects.filter(hazards__isnull=False).distinct()
    assert linked.exists()
    assert all(h.site_id == a.site_id for a in linked for h in a.hazards.all())
    # written applications to resume production: approved, and some under review with a clock
    statuses = set(ResumptionApplication.objects.values_list("status", flat=True))
    assert {"approved", "pending"} <= statuses
    assert Clock.objects.filter(
        subject_type="safety.hazard", name__startswith="resumption_review_", state="running"
    ).exists()

    seed_hazards(ctx)
    assert Inspection.objects.count() == ctx.count(120)
    assert ctx.out[-1].endswith("kept the existing ones")
