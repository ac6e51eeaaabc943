"""Fixtures of the safety tests: sectors from the data migration, a regulating department, and a
site factory that goes through the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from anxin.core.choices import Role
from anxin.core.services import api_key_create
from anxin.core.testing import make_person
from anxin.safety import services
from anxin.safety.models import Sector

#: valid codes from rules.md §6, and the early legal code that fails the check
VALID = "91310110666007217T"
VALID_2 = "91310115591693856A"
LEGACY = "91350100M0001TGQXM"


@pytest.fixture
def sector(personas: Any) -> Sector:
    """工贸企业, regulated by the test city's department DEP."""
    s = Sector.objects.get(code="industry_trade")
    return services.sector_update(actor=None, sector=s, version=None, department=personas.city.DEP)


@pytest.fixture
def dept_inspector(personas: Any) -> Any:
    """An inspector of the regulating department DEP (scope: DEP)."""
    return make_person("dept", personas.city.DEP, [(Role.INSPECTOR, personas.city.DEP)])


@pytest.fixture
def make_site(personas: Any, sector: Sector):
    def make(**overrides: Any):
        kwargs: dict[str, Any] = {
            "actor": None,
            "name": "一街道机械制造有限公司",
            "credit_code": VALID,
            "sector": sector,
            "unit": personas.city.V1,
            "address": "一街道和平路8号",
            "risk_level": "yellow",
            "contact_name": "李四",
            "contact_phone": "13812345678",
        }
        kwargs.update(overrides)
        return services.site_create(**kwargs)

    return make


@pytest.fixture
def api(personas: Any):
    def make(user: Any) -> Client:
        _key, raw = api_key_create(actor=None, user=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make
