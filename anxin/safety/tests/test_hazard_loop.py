"""The full loop of a major hazard through the API, from a failed checklist item to 销号:
五落实 missing → 400 naming what is missing; the enterprise's evidence; a failed then passed
verification; the resumption approval required before closing; the deadline clock kept in
supervision's one table."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from anxin.core.models import AuditEvent
from anxin.safety.models import SiteEvent
from anxin.safety.models_hazards import Hazard
from anxin.safety.tests.hazard_fixtures import file_upload, first_items
from anxin.supervision.models import Clock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def act(client, hazard_id, action, body=None):
    return post(client, f"/api/v1/hazards/{hazard_id}/actions/{action}", body or {})


def clock(hazard_id):
    h = Hazard.objects.get(uid=hazard_id)
    return (
        Clock.objects.filter(subject_type="safety.hazard", subject_id=h.pk)
        .exclude(state="cancelled")
        .get(name="rectify_by")
    )


@pytest.mark.smoke
def test_a_major_hazard_from_a_failed_item_to_closing(personas, api, site, inspector):
    staff = api(inspector)
    items = first_items(site)
    today = timezone.localdate()

    # an inspection with one failed item, then the failed item becomes a major hazard
    r = post(
        staff,
        "/api/v1/inspections",
        {
            "site": str(site.uid),
            "content": "专项检查",
            "results": [
                {"item": items[0].pk, "grade": "pass"},
                {"item": items[1].pk, "grade": "fail", "notes": "二楼东侧安全出口被货物堵塞"},
                {"item": items[2].pk, "grade": "na"},
            ],
        },
    )
    assert r.status_code == 201, r.content
    inspection = r.json()
    assert inspection["status"] == "draft" and inspection["inspectors"] == ["insp"]
    r = post(
        staff,
        f"/api/v1/inspections/{inspection['id']}/hazards",
        {"grades": {str(items[1].pk): "major"}},
    )
    assert r.status_code == 201, r.content
    (made,) = r.json()
    assert made["grade"] == "major" and made["status"] == "registered"
    assert made["inspection"] == inspection["id"] and made["checklist_item"] == items[1].pk
    assert "二楼东侧安全出口被货物堵塞" in made["description"]
    hid = made["id"]

    # 五落实: two of five missing → 400 naming them in Chinese, nothing changed
    r = act(
        staff,
        hid,
        "start_rectification",
        {
            "responsible": "李四（企业安全负责人）",
            "measures": "清理通道，增设标识",
            "deadline": (today + timedelta(days=30)).isoformat(),
        },
    )
    assert r.status_code == 400
    assert r.json()["message"] == "重大事故隐患须先落实：资金、应急预案"
    assert r.json()["code"] == "five_implementations_missing"
    assert r.json()["extra"]["missing"] == ["funds", "contingency_plan"]
    assert Hazard.objects.get(uid=hid).status == "registered"

    r = act(
        staff,
        hid,
        "start_rectification",
        {
            "responsible": "李四（企业安全负责人）",
            "measures": "清理通道，增设标识",
            "funds": "20000",
            "deadline": (today + timedelta(days=30)).isoformat(),
            "contingency_plan": "人员疏散预案，专人值守",
            "production_stopped": True,
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "rectifying" and body["funds"] == 20000.0
    assert body["deadline"] == (today + timedelta(days=30)).isoformat()
    assert clock(hid).due_on == today + timedelta(days=30) and clock(hid).state == "running"

    # only the enterprise contact submits, with evidence
    contact = api(personas.enterprise)
    r = act(staff, hid, "submit_rectification", {"note": "已整改"})
    assert r.status_code == 403
    r = act(contact, hid, "submit_rectification", {"note": "已整改"})
    assert r.status_code == 400 and r.json()["message"] == "请至少附上一份证明整改情况的文件。"
    r = contact.post(f"/api/v1/hazards/{hid}/evidence", {"file": file_upload()})
    assert r.status_code == 201, r.content
    r = act(contact, hid, "submit_rectification", {"note": "已清理通道"})
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    # the contact may do nothing more but apply in writing to resume (16号令 Art. 23)
    assert r.json()["actions"] == ["apply_resumption"]

    # the inspector's verification fails: back to rectifying with the reasons
    r = act(staff, hid, "verify", {"passed": False})
    assert r.status_code == 400  # reasons are required
    r = act(staff, hid, "verify", {"passed": False, "notes": "通道仍有杂物"})
    assert r.status_code == 200 and r.json()["status"] == "rectifying"
    assert r.json()["verification_notes"] == "通道仍有杂物"

    # new evidence is needed for the second submission
    r = act(contact, hid, "submit_rectification", {"note": "再次提交"})
    assert r.status_code == 400
    contact.post(f"/api/v1/hazards/{hid}/evidence", {"file": file_upload("复查.jpg")})
    r = act(contact, hid, "submit_rectification", {"note": "已彻底清理"})
    assert r.status_code == 200 and r.json()["status"] == "submitted"

    r = act(staff, hid, "verify", {"passed": True, "notes": "验收合格"})
    assert r.status_code == 200 and r.json()["status"] == "verified"
    assert clock(hid).state == "met"

    # production stopped: closing waits for the resumption approval (Art. 65(3))
    r = act(staff, hid, "close")
    assert r.status_code == 409 and r.json()["code"] == "resumption_not_approved"
    assert "第六十五条" in r.json()["message"]
    r = act(staff, hid, "approve_resumption", {"notes": "复产申请经现场审查同意"})
    assert r.status_code == 200 and r.json()["resumption_approved_at"]
    r = act(staff, hid, "close", {"notes": "销号"})
    assert r.status_code == 200 and r.json()["status"] == "closed"

    timeline = [e["kind"] for e in r.json()["timeline"]]
    assert timeline == [
        "registered",
        "rectification_started",
        "rectification_submitted",
        "verification_failed",
        "rectification_submitted",
        "verified",
        "resumption_approved",
        "closed",
    ]
    h = Hazard.objects.get(uid=hid)
    assert set(
        AuditEvent.objects.filter(object_type="safety.hazard", object_id=str(h.pk)).values_list(
            "action", flat=True
        )
    ) >= {
        "hazard.registered",
        "hazard.rectification_started",
        "hazard.rectification_submitted",
        "hazard.verified",
        "hazard.closed",
        "clock.start",
        "clock.stop",
        "attachment.add",
    }
    site_lines = list(SiteEvent.objects.filter(site=site).values_list("kind", flat=True))
    assert "hazard_closed" in site_lines and "inspection_recorded" in site_lines


def test_a_stale_version_is_409(api, site, inspector, hazard_factory):
    staff = api(inspector)
    h = hazard_factory()
    r = act(staff, str(h.uid), "void", {"version": h.version + 3, "reason": "误报"})
    assert r.status_code == 409 and r.json()["code"] == "version_conflict"


def test_a_step_in_the_wrong_state_names_the_state(api, site, inspector, hazard_factory):
    h = hazard_factory()
    r = act(api(inspector), str(h.uid), "close")
    assert r.status_code == 409 and r.json()["code"] == "invalid_state"
    assert r.json()["message"] == "该隐患当前状态为“已登记”，不能执行“销号”。"


def test_unknown_action_is_404(api, site, inspector, hazard_factory):
    h = hazard_factory()
    assert act(api(inspector), str(h.uid), "explode").status_code == 404


def test_start_rectification_deadline_replaces_the_hazards(api, site, inspector, hazard_factory):
    today = timezone.localdate()
    h = hazard_factory(deadline=today + timedelta(days=10))
    assert clock(str(h.uid)).due_on == today + timedelta(days=10)
    r = act(
        api(inspector),
        str(h.uid),
        "start_rectification",
        {"measures": "更换电缆", "deadline": (today + timedelta(days=5)).isoformat()},
    )
    assert r.status_code == 200 and r.json()["deadline"] == (today + timedelta(days=5)).isoformat()
    assert clock(str(h.uid)).due_on == today + timedelta(days=5)
    # the earlier clock is kept as history
    assert Clock.objects.filter(subject_type="safety.hazard", subject_id=h.pk).count() == 2


def test_a_general_hazard_needs_a_deadline_only(api, site, inspector, hazard_factory):
    h = hazard_factory(deadline=None)
    r = act(api(inspector), str(h.uid), "start_rectification", {})
    assert r.status_code == 400 and r.json()["extra"]["fields"] == {
        "deadline": ["请设定整改期限。"]
    }


def test_supervision_listing_is_for_major_hazards(api, personas, site, hazard_factory):
    listing = api(personas.parent)  # a unit head of D1
    general = hazard_factory()
    r = act(listing, str(general.uid), "list_for_supervision", {"unit": "D1"})
    assert r.status_code == 400
    major = hazard_factory(grade="major")
    r = act(
        listing,
        str(major.uid),
        "list_for_supervision",
        {"unit": "D1", "document": "一安办督〔2026〕3号"},
    )
    assert r.status_code == 200
    assert r.json()["supervision"]["unit"] == "D1" and r.json()["status"] == "registered"
    r = act(listing, str(major.uid), "list_for_supervision", {"unit": "D1"})
    assert r.status_code == 409


def test_recurrence_of_a_closed_hazard_is_linked(api, site, inspector, hazard_factory):
    old = hazard_factory()
    Hazard.objects.filter(pk=old.pk).update(status="closed", closed_at=timezone.now())
    staff = api(inspector)
    body = {"site": str(site.uid), "description": "配电箱又未上锁", "grade": "general"}
    r = post(staff, "/api/v1/hazards", {**body, "recurrence_of": str(old.uid)})
    assert r.status_code == 201 and r.json()["recurrence_of"] == str(old.uid)
    open_one = hazard_factory()
    r = post(staff, "/api/v1/hazards", {**body, "recurrence_of": str(open_one.uid)})
    assert r.status_code == 400
