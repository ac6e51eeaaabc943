# ruff: noqa: F811  (the fixtures are imported by name)
"""A 督办单 on a hazard: the safety app's resolver names it by number and site."""

from __future__ import annotations

import pytest

from anxin.safety.tests.conftest import make_site, sector  # noqa: F401
from anxin.safety.tests.hazard_fixtures import hazard_factory, site  # noqa: F401
from anxin.supervision import notices
from anxin.supervision.tests.notice_fixtures import (  # noqa: F401
    in_days,
    issuer,
    notified,
    office,
)

pytestmark = pytest.mark.django_db


def test_a_sheet_on_a_hazard_goes_to_its_territorial_unit(
    personas, issuer, hazard_factory, notified
):
    hazard = hazard_factory()
    n = notices.notice_issue(
        actor=issuer,
        kind="sheet",
        subject_type="safety.hazard",
        subject_id=hazard.pk,
        matters="请按期整改并报送整改报告。",
        reply_by=in_days(10),
    )
    assert n.unit == hazard.unit == personas.city.V1
    assert n.subject_label == f"{hazard.number} {hazard.site.name}"
    assert n.subject_url == f"/safety/hazards/{hazard.uid}/"
    assert notified[0]["body"] == n.subject_label
