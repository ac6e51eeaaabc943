from __future__ import annotations

from typing import Any

import pytest

from anxin.petitions.models import Category, DeclineReason


@pytest.fixture
def claim_category(db: None) -> Category:
    return Category.objects.get(code="labour")


@pytest.fixture
def litigation(db: None) -> DeclineReason:
    return DeclineReason.objects.get(code="litigation")


@pytest.fixture
def register(personas: Any, claim_category: Category, django_capture_on_commit_callbacks: Any):
    """Register a claim with the clerk at the city (city-wide dispatch), then run what runs
    after the commit (the deferred intake's follow-up: search tokens, repeat matching)."""
    from anxin.petitions.services import ComplainantIn, petition_register

    def make(**overrides: Any):
        kwargs: dict[str, Any] = {
            "actor": personas.clerk,
            "channel": "letter",
            "kind": "claim",
            "category": claim_category,
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
        with django_capture_on_commit_callbacks(execute=True):
            registration = petition_register(**kwargs)
        registration.petition.refresh_from_db()
        return registration

    return make
