"""The demo notices go through the services; a second run keeps them."""

from __future__ import annotations

import random
from datetime import date

import pytest
from faker import Faker

from anxin.core.choices import Role
from anxin.core.demo import DemoContext
from anxin.core.testing import make_person
from anxin.petitions.models import Category
from anxin.petitions.services import ComplainantIn, petition_register
from anxin.supervision.demo_notices import seed_notices
from anxin.supervision.models_notices import SupervisionNotice

pytestmark = pytest.mark.django_db


def test_seed_notices(personas):
    ctx = DemoContext(seed=1, rng=random.Random(1), faker=Faker("zh_CN"), demo_logins=False)
    seed_notices(ctx)
    assert ctx.out == ["supervision notices: no supervisor, none made"]
    make_person("dcs", personas.city.DEP, [(Role.SUPERVISOR, personas.city.C)])
    petition_register(
        actor=personas.clerk,
        channel="letter",
        kind="claim",
        category=Category.objects.get(code="labour"),
        title="拖欠工资",
        content="拖欠工资三个月。",
        unit=personas.city.T1,
        received_on=date(2026, 1, 5),
        complainants=[ComplainantIn(name="张三")],
    )
    seed_notices(ctx)
    made = list(SupervisionNotice.objects.order_by("pk"))
    assert [(n.kind, n.unit.code) for n in made] == [("sheet", "T1"), ("letter", "T1")]
    assert ctx.out[-1] == "supervision notices: 1 sheets and 1 letters"
    seed_notices(ctx)
    assert SupervisionNotice.objects.count() == 2
    assert ctx.out[-1] == "supervision notices: kept the existing ones"
