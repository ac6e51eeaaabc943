"""Fixtures of the 督办 notice tests (imported by their modules).

The issuer is a 督查员 of the district D1 whose home unit is D1's supervision office (D1S, a
department under D1): notices go to T1, whose head is the persona ``same`` and handler
``member``; ``sibling`` (T2) and ``outsider`` (T3) must not see them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from anxin.core.choices import Role, UnitKind
from anxin.core.services import unit_create
from anxin.core.testing import make_person
from anxin.supervision import notices


@pytest.fixture
def office(personas: Any) -> Any:
    return unit_create(
        actor=None, code="D1S", name="一区督查室", kind=UnitKind.DEPARTMENT, parent=personas.city.D1
    )


@pytest.fixture
def issuer(personas: Any, office: Any) -> Any:
    return make_person("issuer", office, [(Role.SUPERVISOR, personas.city.D1)])


@pytest.fixture
def notified(monkeypatch: Any) -> list[dict[str, Any]]:
    """Every call of ``notify`` made by the notice services."""
    calls: list[dict[str, Any]] = []

    def fake(**kwargs: Any) -> int:
        calls.append({**kwargs, "user_ids": sorted(kwargs["user_ids"])})
        return 0

    monkeypatch.setattr(notices.notifications, "notify", fake)
    return calls


def in_days(n: int) -> Any:
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def letter(personas: Any, issuer: Any, notified: Any) -> Any:
    return notices.notice_issue(
        actor=issuer,
        kind="letter",
        unit=personas.city.T1,
        matters="你街道逾期未办结信访事项3件，请逐件说明原因并限期办结。",
        reply_by=in_days(10),
    )


@pytest.fixture
def register(personas: Any) -> Any:
    """Register a petition with the city-wide clerk (as the petitions tests do)."""
    from anxin.petitions.models import Category
    from anxin.petitions.services import ComplainantIn, petition_register

    def make(**overrides: Any) -> Any:
        kwargs: dict[str, Any] = {
            "actor": personas.clerk,
            "channel": "letter",
            "kind": "claim",
            "category": Category.objects.get(code="labour"),
            "title": "拖欠工资三个月未发放",
            "content": "某建筑公司拖欠农民工工资三个月，多次讨要未果，请求协调解决。",
            "unit": personas.city.C,
            "complainants": [
                ComplainantIn(
                    name="张三",
                    id_number="11010519491231002X",
                    phone="13812345678",
                    address="一街道和平路1号",
                )
            ],
        }
        kwargs.update(overrides)
        return petition_register(**kwargs)

    return make
