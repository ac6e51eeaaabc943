"""Fixtures of the enforcement tests (on top of ``hazard_fixtures``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from anxin.safety import enforcement

pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


@pytest.fixture
def issue(site: Any, inspector: Any, inspector2: Any) -> Any:
    def make(**overrides: Any) -> Any:
        kwargs: dict[str, Any] = {
            "actor": inspector,
            "site": site,
            "kind": "rectify",
            "basis_codes": ["wsl65_3", "wsl102"],
            "facts": "二楼配电箱未上锁，电缆破损裸露。",
            "demands": "1. 更换破损电缆；\n2. 配电箱加锁并张贴警示标志。",
            "deadline": timezone.localdate() + timedelta(days=10),
            "officers": [inspector, inspector2],
        }
        kwargs.update(overrides)
        return enforcement.enforcement_order_issue(**kwargs)

    return make
