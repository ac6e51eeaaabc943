"""/api/v1: the inspection record's steps, plans, checklists, permits and the enforcement
order's steps — through the services, within scope, in the one error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from anxin.core.models import AuditEvent
from anxin.core.services import api_key_create
from anxin.safety import inspections, selectors_hazards
from anxin.safety.models import ChecklistItem, ChecklistTemplate
from anxin.safety.tests.hazard_fixtures import png_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


def api(user) -> Client:
    _key, raw = api_key_create(actor=None, user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def items(site) -> list[ChecklistItem]:
    return list(
        ChecklistItem.objects.filter(
            template__sector=site.sector, template__is_current=True
        ).order_by("order")
    )


@pytest.fixture
def draft(site, inspector, inspector2):
    return inspections.inspection_create(
        actor=inspector, site=site, inspectors=[inspector, inspector2], content="消防安全专项检查"
    )


def test_an_inspection_is_filled_signed_and_finished_through_the_api(
    site, draft, inspector, inspector2
):
    url = f"/api/v1/inspections/{draft.uid}"
    one, two = api(inspector), api(inspector2)
    results = [
        {"item": i.pk, "grade": "fail" if i.order == 1 else "pass", "notes": ""}
        for i in items(site)
    ]
    r = one.patch(
        url,
        {"version": draft.version, "results": results, "problems": "灭火器过期"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["problems"] == "灭火器过期" and body["status"] == "draft"
    assert [x["grade"] for x in body["results"]][:2] == ["fail", "pass"]
    version = body["version"]
    # a stale version is 409
    r = one.patch(url, {"version": version - 1, "problems": "x"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "version_conflict"
    sign = {"signer": "inspector", "drawn": png_signature()}
    r = one.post(f"{url}/sign", {**sign, "version": version}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "draft"
    r = two.post(
        f"{url}/sign", {**sign, "version": r.json()["version"]}, content_type="application/json"
    )
    assert r.status_code == 200
    r = one.post(
        f"{url}/refusal",
        {"version": r.json()["version"], "note": "负责人拒绝签字", "leader_name": "李四"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "refused_to_sign"
    assert r.json()["refusal_note"] == "负责人拒绝签字"
    # a finished record cannot be changed
    r = one.patch(
        url, {"version": r.json()["version"], "problems": "x"}, content_type="application/json"
    )
    assert r.status_code == 409


def test_a_penalty_needs_two_inspectors(site, inspector):
    alone = inspections.inspection_create(actor=inspector, site=site, content="检查")
    r = api(inspector).post(
        f"/api/v1/inspections/{alone.uid}/penalty",
        {"version": alone.version, "proposed": True},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["message"] == "行政处罚应当由两名以上执法人员实施（《行政处罚法》第四十二条）。"


def test_inspection_steps_outside_the_scope_are_404(personas, draft):
    r = api(personas.outsider).post(
        f"/api/v1/inspections/{draft.uid}/sign",
        {"version": draft.version, "signer": "inspector"},
        content_type="application/json",
    )
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_plans_are_created_listed_and_read(personas, inspector, site):
    client = api(inspector)
    today = timezone.localdate()
    body = {
        "title": "安全生产大检查",
        "organiser": "D1",
        "unit": "D1",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "sectors": [site.sector.code],
        "coverage_target": 80,
    }
    r = client.post("/api/v1/inspection-plans", body, content_type="application/json")
    assert r.status_code == 201, r.json()
    plan = r.json()
    assert plan["sectors"] == [site.sector.code] and plan["state"] == "running"
    assert plan["site_count"] == 1 and plan["inspected_count"] == 0 and plan["coverage"] == 0
    listed = client.get("/api/v1/inspection-plans").json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]] and listed["count"] == 1
    assert client.get(f"/api/v1/inspection-plans/{plan['id']}").json() == plan
    assert api(personas.outsider).get(f"/api/v1/inspection-plans/{plan['id']}").status_code == 404
    r = client.post(
        "/api/v1/inspection-plans", {**body, "sectors": ["nope"]}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["extra"]["fields"] == {
        "sectors": ["未知的行业领域：nope"]
    }


def test_checklists_are_read(inspector, site):
    client = api(inspector)
    listed = client.get("/api/v1/checklists").json()
    current = ChecklistTemplate.objects.get(sector=site.sector, is_current=True)
    assert current.pk in [c["id"] for c in listed]
    detail = client.get(f"/api/v1/checklists/{current.pk}").json()
    assert [i["id"] for i in detail["items"]] == [i.pk for i in items(site)]
    assert detail["versions"] == [current.pk]
    assert client.get("/api/v1/checklists/999999").status_code == 404


def test_permits_of_a_site(personas, inspector, site):
    client = api(inspector)
    url = f"/api/v1/sites/{site.uid}/permits"
    body = {
        "kind": "safety_production",
        "number": "（苏）WH安许证字〔2026〕001",
        "issued_on": "2026-01-05",
    }
    r = client.post(url, body, content_type="application/json")
    assert r.status_code == 201, r.json()
    permit = r.json()
    assert client.get(url).json() == [permit]
    r = client.patch(
        f"{url}/{permit['id']}",
        {"version": permit["version"], "expires_on": "2029-01-04"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["expires_on"] == "2029-01-04"
    assert r.json()["version"] == permit["version"] + 1
    assert AuditEvent.objects.filter(action="site.permit_add").count() == 1
    assert api(personas.outsider).get(url).status_code == 404


def test_an_enforcement_order_is_carried_out_reinspected_and_printed(inspector, inspector2, site):
    client = api(inspector)
    r = client.post(
        "/api/v1/enforcement-orders",
        {
            "site": str(site.uid),
            "kind": "rectify",
            "basis_codes": ["wsl65_3", "wsl102"],
            "facts": "灭火器过期",
            "demands": "限期更换灭火器",
            "deadline": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "officers": [inspector.username, inspector2.username],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    oid = r.json()["id"]
    r = client.post(f"/api/v1/enforcement-orders/{oid}/execute")
    assert r.status_code == 200 and r.json()["status"] == "executed"
    r = client.post(f"/api/v1/enforcement-orders/{oid}/execute")
    assert r.status_code == 409
    r = client.post(
        f"/api/v1/enforcement-orders/{oid}/reinspection",
        {"passed": True, "notes": "已更换"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "reinspected"
    assert r.json()["reinspection_passed"] is True
    doc = client.get(f"/api/v1/enforcement-orders/{oid}/document.docx")
    assert doc.status_code == 200 and doc.content[:2] == b"PK"
    assert "attachment" in doc["Content-Disposition"]


def test_api_filters_are_those_of_the_pages():
    """The API's list filters cover the filter sets the pages use (same counts everywhere)."""
    from anxin.safety import accidents, filtersets
    from anxin.safety.api import AccidentFilter, SiteFilter
    from anxin.safety.api_hazards import HazardFilter, InspectionFilter

    assert set(filtersets.FILTERS) <= set(SiteFilter.model_fields)
    assert set(selectors_hazards.HAZARD_FILTERS) <= set(HazardFilter.model_fields)
    assert set(selectors_hazards.INSPECTION_FILTERS) <= set(InspectionFilter.model_fields)
    assert set(accidents.FILTERS) <= set(AccidentFilter.model_fields)
    # the dashboards' drill-down dates (found/closed) are filters of the hazard list too
    assert {"found_from", "found_to", "closed_from", "closed_to"} <= set(HazardFilter.model_fields)


def test_hazards_are_filtered_by_the_day_found(personas, inspector, hazard_factory):
    hazard = hazard_factory()
    day = timezone.localtime(hazard.found_at).date()
    client = api(inspector)
    found = client.get(
        "/api/v1/hazards", {"found_from": day.isoformat(), "found_to": day.isoformat()}
    )
    assert found.status_code == 200 and found.json()["count"] == 1
    later = (day + timedelta(days=1)).isoformat()
    assert client.get("/api/v1/hazards", {"found_from": later}).json()["count"] == 0


def test_a_reported_hazard_becomes_an_inspection_task(personas, inspector, site):
    from anxin.safety import hazards

    report = hazards.hazard_create(
        actor=None,
        site=None,
        unit=personas.city.V1,
        description="仓库门口堆放油漆桶",
        status="reported",
        source="report",
    )
    url = f"/api/v1/hazards/{report.uid}/inspection-task"
    client = api(inspector)
    r = client.post(url, {"site": str(site.uid)}, content_type="application/json")
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == "draft" and r.json()["site"] == str(site.uid)
    r = client.post(url, {"site": str(site.uid)}, content_type="application/json")
    assert r.status_code == 409 and r.json()["message"] == "该举报已安排检查。"


def test_a_hazards_evidence_is_downloaded_within_scope(personas, hazard_factory):
    from anxin.safety import hazards
    from anxin.safety.tests.hazard_fixtures import file_upload

    hazard = hazard_factory()
    deadline = timezone.localdate() + timedelta(days=15)
    hazards.run("start_rectification", actor=None, hazard=hazard, data={"deadline": deadline})
    hazard.refresh_from_db()
    added = hazards.hazard_evidence_add(
        actor=personas.enterprise, hazard=hazard, upload=file_upload()
    )
    url = f"/api/v1/hazards/{hazard.uid}/files/{added.uid}"
    r = api(personas.enterprise).get(url)
    assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"  # a JPEG, without its GPS
    assert "sandbox" in r["Content-Security-Policy"]
    assert api(personas.outsider).get(url).status_code == 404
    assert api(personas.enterprise).get(f"/api/v1/hazards/{hazard.uid}/files/x").status_code == 404
