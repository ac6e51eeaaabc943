"""An inspector regrades a hazard (一般 ↔ 重大) with a reason; a hazard under rectification
becomes major only with all of 五落实 (16号令 Art. 15)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anxin.core.models import AuditEvent
from anxin.safety import hazards
from anxin.safety.hazard_review import hazard_regrade
from anxin.safety.hazards import FiveImplementationsMissing
from anxin.safety.models import SiteEvent
from anxin.safety.models_hazards import HazardEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


def _rectifying(hazard_factory, inspector, **five):
    h = hazard_factory()
    return hazards.hazard_start_rectification(
        actor=inspector, hazard=h, deadline=timezone.localdate() + timedelta(days=10), **five
    )


def test_regrading_is_recorded_with_its_reason(inspector, hazard_factory, site):
    h = hazard_factory()
    h = hazard_regrade(
        actor=inspector, hazard=h, grade="major", reason="涉及人员密集区域", version=h.version
    )
    assert h.grade == "major" and h.version == 2
    event = HazardEvent.objects.get(hazard=h, kind="regraded")
    assert event.data == {"before": "general", "after": "major", "reason": "涉及人员密集区域"}
    assert AuditEvent.objects.get(action="hazard.regraded").after["reason"] == "涉及人员密集区域"
    assert SiteEvent.objects.filter(site=site, kind="hazard_regraded").exists()
    h = hazard_regrade(actor=inspector, hazard=h, grade="general", reason="复核后降级")
    assert h.grade == "general"


def test_a_reason_and_a_real_change_are_required(inspector, hazard_factory):
    h = hazard_factory()
    with pytest.raises(ValidationError) as err:
        hazard_regrade(actor=inspector, hazard=h, grade="major", reason=" ")
    assert err.value.message_dict == {"reason": ["请说明调整等级的理由。"]}
    with pytest.raises(ValidationError) as err:
        hazard_regrade(actor=inspector, hazard=h, grade="general", reason="x")
    assert err.value.message_dict == {"grade": ["该隐患已是此等级。"]}
    with pytest.raises(ValidationError) as err:
        hazard_regrade(actor=inspector, hazard=h, grade="huge", reason="x")
    assert err.value.message_dict == {"grade": ["请选择隐患等级：一般或重大。"]}


def test_to_major_while_rectifying_needs_the_five(inspector, hazard_factory):
    h = _rectifying(hazard_factory, inspector, responsible="李四")
    with pytest.raises(FiveImplementationsMissing) as err:
        hazard_regrade(actor=inspector, hazard=h, grade="major", reason="升级")
    assert err.value.extra == {"missing": ["measures", "funds", "contingency_plan"]}
    assert str(err.value.message) == "重大事故隐患须先落实：措施、资金、应急预案"
    h.refresh_from_db()
    assert h.grade == "general"
    # the blanks can be filled in with the regrading
    h = hazard_regrade(
        actor=inspector,
        hazard=h,
        grade="major",
        reason="升级",
        measures="更换电缆",
        funds=Decimal("3000"),
        contingency_plan="断电、疏散",
        responsible="王五",  # ignored: the responsible person was already agreed
    )
    assert h.grade == "major" and h.responsible == "李四" and h.funds == Decimal("3000")


def test_a_supervised_hazard_stays_major(personas, inspector, hazard_factory):
    h = hazard_factory(grade="major")
    h = hazards.hazard_list_for_supervision(actor=personas.parent, hazard=h, unit=personas.city.D1)
    with pytest.raises(ValidationError) as err:
        hazard_regrade(actor=inspector, hazard=h, grade="general", reason="降级")
    assert err.value.message_dict == {"grade": ["已挂牌督办的隐患须保持为重大事故隐患。"]}


def test_only_inspectors_regrade(personas, hazard_factory):
    h = hazard_factory()
    for person in (personas.enterprise, personas.viewer):
        with pytest.raises(PermissionDenied):
            hazard_regrade(actor=person, hazard=h, grade="major", reason="x")


def test_api_regrade_and_the_400(api, inspector, hazard_factory):
    h = _rectifying(hazard_factory, inspector)
    c = api(inspector)
    r = c.post(
        f"/api/v1/hazards/{h.uid}/actions/regrade",
        {"grade": "major", "reason": "升级"},
        content_type="application/json",
    )
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "five_implementations_missing"
    assert body["message"] == "重大事故隐患须先落实：责任人、措施、资金、应急预案"
    r = c.post(
        f"/api/v1/hazards/{h.uid}/actions/regrade",
        {
            "grade": "major",
            "reason": "升级",
            "responsible": "李四",
            "measures": "更换电缆",
            "funds": "3000",
            "contingency_plan": "断电、疏散",
        },
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["grade"] == "major"


def test_the_page_offers_and_takes_the_regrading(client_for, inspector, hazard_factory):
    h = hazard_factory()
    c = client_for(inspector)
    page = c.get(f"/safety/hazards/{h.uid}/").content.decode()
    assert 'id="act-regrade"' in page and "调整隐患等级" in page
    r = c.post(
        f"/safety/hazards/{h.uid}/act/regrade/",
        {"grade": "major", "reason": "涉及人员密集区域", "version": h.version},
    )
    assert r.status_code == 302
    h.refresh_from_db()
    assert h.grade == "major"
    page = c.get(f"/safety/hazards/{h.uid}/").content.decode()
    assert "涉及人员密集区域" in page
