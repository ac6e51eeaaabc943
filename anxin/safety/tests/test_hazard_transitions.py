"""The workflow table, tested exhaustively: every action from every state either leads where the
table says or is refused with 409 naming the state; and every action needs its permission."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from anxin.safety import hazards
from anxin.safety.hazard_rules import ACTIONS, TRANSITIONS, HazardStatus
from anxin.safety.hazards import HazardStateConflict
from anxin.safety.models_hazards import Hazard, ResumptionApplication
from anxin.safety.tests.hazard_fixtures import file_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]

FIVE = {
    "responsible": "李四",
    "measures": "更换电缆",
    "funds": Decimal("3000"),
    "contingency_plan": "断电、疏散",
}


def _payload(action: str, hazard: Hazard) -> dict:
    today = timezone.localdate()
    assert hazard.site is not None
    payloads: dict[str, dict] = {
        "register": {"site": str(hazard.site.uid), "grade": "major"},
        "start_rectification": {**FIVE, "deadline": today + timedelta(days=20)},
        "submit_rectification": {"note": "已整改", "files": [file_upload()]},
        "verify": {"passed": True, "notes": "合格"},
        "approve_resumption": {"notes": "同意复产"},
        "list_for_supervision": {"unit": "D1"},
        "close": {"notes": "销号"},
        "void": {"reason": "误报"},
        "regrade": {"grade": "general", "reason": "复核后认定为一般隐患"},
        "apply_resumption": {"text": "整改已完成，申请恢复生产。"},
        "refuse_resumption": {"reason": "现场审查未通过"},
    }
    return payloads[action]


def _in_state(make, status: str) -> Hazard:
    """A major hazard that stopped production, forced into ``status`` (test set-up only)."""
    h = make(grade="major", production_stopped=True)
    extra: dict = {"status": status}
    if status == HazardStatus.CLOSED:
        extra["closed_at"] = timezone.now()
    if status == HazardStatus.VOID:
        extra["void_reason"] = "误报"
    if status in (HazardStatus.SUBMITTED, HazardStatus.VERIFIED, HazardStatus.CLOSED):
        extra["submitted_at"] = timezone.now()
    if status == HazardStatus.CLOSED:
        extra["resumption_approved_at"] = timezone.now()
    Hazard.objects.filter(pk=h.pk).update(**extra)
    return Hazard.objects.get(pk=h.pk)


def _actor(action: str, personas, inspector):
    if action in ("submit_rectification", "apply_resumption"):
        return personas.enterprise
    if action == "list_for_supervision":
        return personas.parent
    return inspector


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", HazardStatus.values)
def test_every_action_from_every_state(action, status, personas, inspector, hazard_factory):
    allowed, target, _permission = TRANSITIONS[action]
    h = _in_state(hazard_factory, status)
    if action == "close":  # the resumption was approved (the refusal is tested in the loop)
        Hazard.objects.filter(pk=h.pk).update(resumption_approved_at=timezone.now())
        h = Hazard.objects.get(pk=h.pk)
    if action == "refuse_resumption":  # a written application is under review
        ResumptionApplication.objects.create(hazard=h, text="申请复产")
    data = _payload(action, h)
    actor = _actor(action, personas, inspector)
    if status not in allowed:
        with pytest.raises(HazardStateConflict) as err:
            hazards.run(action, actor=actor, hazard=h, data=data)
        assert err.value.extra == {"status": status}
        assert Hazard.objects.get(pk=h.pk).status == status
        return
    result = hazards.run(action, actor=actor, hazard=h, data=data)
    expected = target or status
    assert result.status == expected, (action, status)
    assert Hazard.objects.get(pk=h.pk).version == h.version + 1


def test_verify_not_passed_goes_back_to_rectifying(personas, inspector, hazard_factory):
    h = _in_state(hazard_factory, HazardStatus.SUBMITTED)
    h = hazards.run(
        "verify", actor=inspector, hazard=h, data={"passed": False, "notes": "未整改到位"}
    )
    assert h.status == HazardStatus.RECTIFYING


def test_the_table_covers_every_state():
    reachable = {s for allowed, _t, _p in TRANSITIONS.values() for s in allowed}
    targets = {t for _a, t, _p in TRANSITIONS.values() if t}
    assert reachable | targets == set(HazardStatus.values)
    # 销号 and 作废 end the workflow: nothing leaves them
    assert not reachable & {HazardStatus.CLOSED, HazardStatus.VOID}


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_needs_its_permission(action, personas, inspector, hazard_factory):
    """A reader of the hazard (the read-only viewer) may take no step: 403."""
    allowed, _target, _permission = TRANSITIONS[action]
    h = _in_state(hazard_factory, sorted(allowed)[0])
    with pytest.raises(PermissionDenied):
        hazards.run(action, actor=personas.viewer, hazard=h, data=_payload(action, h))


@pytest.mark.parametrize(
    "action", [a for a in ACTIONS if a not in ("submit_rectification", "apply_resumption")]
)
def test_the_enterprise_contact_takes_no_other_step(action, personas, hazard_factory):
    allowed, _target, _permission = TRANSITIONS[action]
    h = _in_state(hazard_factory, sorted(allowed)[0])
    if h.status in ("reported", "void"):
        pytest.skip("the contact does not even see reports and voided hazards")
    with pytest.raises(PermissionDenied):
        hazards.run(action, actor=personas.enterprise, hazard=h, data=_payload(action, h))


def test_evidence_only_while_rectifying(personas, hazard_factory):
    h = _in_state(hazard_factory, HazardStatus.REGISTERED)
    with pytest.raises(HazardStateConflict):
        hazards.hazard_evidence_add(actor=personas.enterprise, hazard=h, upload=file_upload())
    h = _in_state(hazard_factory, HazardStatus.RECTIFYING)
    a = hazards.hazard_evidence_add(actor=personas.enterprise, hazard=h, upload=file_upload())
    assert a.purpose == "evidence"
    with pytest.raises(PermissionDenied):  # staff do not add the enterprise's evidence
        hazards.hazard_evidence_add(actor=personas.same, hazard=h, upload=file_upload())
