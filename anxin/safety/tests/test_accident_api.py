"""The accidents API contract: names, shapes, deadlines, 400/403/404/409, the list's queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from anxin.core.choices import Role
from anxin.core.services import api_key_create
from anxin.core.testing import make_person

pytestmark = [pytest.mark.django_db]

BODY = {
    "occurred_at": "2026-09-16T08:30:00+08:00",
    "place": "一街道和平路8号机加工车间",
    "kind": "production",
    "summary": "冲压机作业时发生机械伤害，一人死亡，两人重伤。",
    "deaths": 1,
    "serious_injuries": 2,
    "missing": 0,
    "direct_loss_yuan": "1200000.00",
    "unit": "T1",
}


@pytest.fixture
def client_of(personas: Any):
    def make(user: Any) -> Client:
        _key, raw = api_key_create(actor=None, user=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def inspector(personas: Any) -> Any:
    return make_person("inspector", personas.city.T1, [(Role.INSPECTOR, personas.city.T1)])


@pytest.fixture
def staff(client_of, inspector) -> Client:
    return client_of(inspector)


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


@pytest.mark.smoke
def test_create_answers_the_contract(staff):
    r = post(staff, "/api/v1/accidents", BODY)
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) >= {
        "id",
        "occurred_at",
        "unit_informed_at",
        "place",
        "kind",
        "summary",
        "deaths",
        "serious_injuries",
        "missing",
        "direct_loss_yuan",
        "site",
        "unit",
        "grade",
        "deadlines",
        "version",
    }
    assert body["grade"] == "ordinary" and body["grade_decided_by"] == []
    assert body["grade_article"] == "493号令 Art. 3(4)"
    assert body["deadlines"] == {
        "county_report_by": "2026-09-16T09:30:00+08:00",
        "investigation_report_by": "2026-11-16",
        "supplementary_until": "2026-10-16",
    }
    assert body["unit_informed_at"] == body["occurred_at"] == "2026-09-16T08:30:00+08:00"
    assert (body["required_level"], body["investigated_by"], body["stage"]) == (
        "city",
        "county",
        "investigating",
    )
    assert body["direct_loss_yuan"] in ("1200000.00", 1200000.0)
    assert body["fine_range"]["article"] == "安全生产法 Art. 114(1)"
    assert [c["name"] for c in body["clocks"]][0] == "county_report_by"
    assert body["reports"] == []


@pytest.mark.parametrize(
    ("changes", "grade", "decided_by"),
    [
        ({"deaths": 3}, "relatively_large", ["deaths"]),
        ({"serious_injuries": 50}, "serious", ["serious_injuries"]),
        ({"direct_loss_yuan": "100000000"}, "particularly_serious", ["direct_loss_yuan"]),
        ({"missing": 99}, "ordinary", []),
    ],
)
def test_create_grades(staff, changes, grade, decided_by):
    body = post(staff, "/api/v1/accidents", {**BODY, **changes}).json()
    assert (body["grade"], body["grade_decided_by"]) == (grade, decided_by)


def test_a_time_without_offset_is_local_and_the_leader_may_be_told_later(staff):
    body = post(
        staff,
        "/api/v1/accidents",
        {**BODY, "occurred_at": "2026-09-28T23:30", "unit_informed_at": "2026-09-29T00:10:00"},
    ).json()
    assert body["occurred_at"] == "2026-09-28T23:30:00+08:00"
    assert body["deadlines"]["county_report_by"] == "2026-09-29T01:10:00+08:00"


def test_the_unit_defaults_to_the_sites(staff, make_site, personas):
    site = make_site()
    body = post(
        staff,
        "/api/v1/accidents",
        {**{k: v for k, v in BODY.items() if k != "unit"}, "site": str(site.uid)},
    ).json()
    assert body["site"] == str(site.uid) and body["unit"] == site.unit.code


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"place": ""}, "place"),
        ({"kind": "meteor"}, "kind"),
        ({"deaths": -1}, "deaths"),
        ({"unit": "NOPE"}, "unit"),
        ({"unit": None}, "unit"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2099-01-01T00:00:00+08:00"}, "occurred_at"),
        ({"site": "00000000-0000-0000-0000-000000000000"}, "site"),
    ],
)
def test_create_errors_have_the_one_shape(staff, changes, field):
    r = post(staff, "/api/v1/accidents", {**BODY, **changes})
    assert r.status_code == 400, r.content
    body = r.json()
    assert set(body) == {"message", "code", "extra"} and body["code"] == "invalid"
    assert field in body["extra"]["fields"], body


def test_scope(client_of, personas, staff):
    aid = post(staff, "/api/v1/accidents", BODY).json()["id"]
    # the parent unit's head and the city-wide viewer see it
    for user in (personas.same, personas.parent, personas.viewer):
        assert client_of(user).get(f"/api/v1/accidents/{aid}").status_code == 200
    # a sibling or an outsider cannot even learn that it exists
    for user in (personas.sibling, personas.outsider):
        r = client_of(user).get(f"/api/v1/accidents/{aid}")
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        assert client_of(user).get("/api/v1/accidents").json()["count"] == 0
    # roles without accidents: the list is forbidden, the item not found
    for user in (personas.member, personas.enterprise, personas.clerk):
        assert client_of(user).get("/api/v1/accidents").status_code == 403
        assert client_of(user).get(f"/api/v1/accidents/{aid}").status_code == 404
    # the viewer reads but does not act; a sibling head cannot record in T1
    r = post(client_of(personas.viewer), f"/api/v1/accidents/{aid}/actions/county_reported")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert post(client_of(personas.sibling), "/api/v1/accidents", BODY).status_code == 403
    assert (
        post(client_of(personas.sibling), "/api/v1/accidents", {**BODY, "unit": "T2"}).status_code
        == 201
    )


def test_actions_follow_the_contract(staff):
    a = post(staff, "/api/v1/accidents", BODY).json()
    url = f"/api/v1/accidents/{a['id']}/actions"
    r = post(staff, f"{url}/county_reported", {"at": "2026-09-16T09:10:00+08:00", "version": 1})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["highest_level"], body["version"]) == ("county", 2)
    assert body["deadlines"]["city_report_by"] == "2026-09-16T11:10:00+08:00"
    assert body["reports"][0]["level"] == "county"
    assert {c["name"]: c["state"] for c in body["clocks"]}["county_report_by"] == "met"
    # stale version
    r = post(staff, f"{url}/reported_up", {"level": "city", "at": "2026-09-16T10:00", "version": 1})
    assert r.status_code == 409 and r.json()["code"] == "version_conflict"
    assert r.json()["extra"] == {"current_version": 2}
    r = post(staff, f"{url}/reported_up", {"level": "city", "at": "2026-09-16T10:00"})
    assert r.status_code == 200 and r.json()["highest_level"] == "city"
    # a supplementary report regrades and the report must now reach the province
    r = post(
        staff,
        f"{url}/supplement",
        {"deaths": 3, "serious_injuries": 2, "missing": 0, "at": "2026-09-18T15:00"},
    )
    body = r.json()
    assert r.status_code == 200 and body["grade"] == "relatively_large"
    assert body["deadlines"]["province_report_by"] == "2026-09-18T17:00:00+08:00"
    assert body["reports"][-1]["grade_before"] == "ordinary"
    r = post(staff, f"{url}/supplement", {"deaths": 3})
    assert r.status_code == 400 and set(r.json()["extra"]["fields"]) == {
        "serious_injuries",
        "missing",
    }
    r = post(
        staff,
        f"{url}/supplement",
        {"deaths": 4, "serious_injuries": 2, "missing": 0, "at": "2026-10-17T08:00"},
    )
    assert r.status_code == 409 and r.json()["code"] == "supplement_window_closed"
    assert r.json()["extra"] == {"supplementary_until": "2026-10-16"}
    # investigation: extension, appraisal pause
    r = post(staff, f"{url}/extend_investigation", {"days": 61, "reason": "复杂"})
    assert r.status_code == 400 and "days" in r.json()["extra"]["fields"]
    r = post(staff, f"{url}/extend_investigation", {"days": 10, "reason": "复杂"})
    assert r.json()["deadlines"]["investigation_report_by"] == "2026-11-25"
    assert post(staff, f"{url}/pause", {"reason": "鉴定", "on": "2026-10-01"}).status_code == 200
    r = post(staff, f"{url}/resume", {"on": "2026-10-05"})
    assert r.json()["deadlines"]["investigation_report_by"] == "2026-11-30"
    # the report is received: approval within 15 days
    r = post(staff, f"{url}/report_received", {"on": "2026-11-02"})
    body = r.json()
    assert body["stage"] == "awaiting_approval"
    assert body["deadlines"]["approval_by"] == "2026-11-17"
    assert post(staff, f"{url}/report_received", {"on": "2026-11-02"}).json()["code"] == (
        "invalid_state"
    )
    r = post(staff, f"{url}/approve", {"on": "2026-11-10", "reference": "示政函〔2026〕8号"})
    assert r.status_code == 200 and r.json()["approved_on"] == "2026-11-10"
    assert post(staff, f"{url}/fly").status_code == 404


def test_list_filters_and_pages(staff, client_of, personas):
    post(staff, "/api/v1/accidents", BODY)
    post(staff, "/api/v1/accidents", {**BODY, "occurred_at": "2026-09-20T10:00", "deaths": 3})
    post(staff, "/api/v1/accidents", {**BODY, "occurred_at": "2026-09-21T10:00", "kind": "fire"})
    post(client_of(personas.sibling), "/api/v1/accidents", {**BODY, "unit": "T2"})
    parent = client_of(personas.parent)
    r = parent.get("/api/v1/accidents")
    body = r.json()
    assert set(body) == {"items", "count", "next"} and body["count"] == 4
    assert body["items"][0]["occurred_at"].startswith("2026-09-21")  # newest first
    assert "deadlines" in body["items"][0] and "summary" not in body["items"][0]
    assert parent.get("/api/v1/accidents?grade=relatively_large").json()["count"] == 1
    assert parent.get("/api/v1/accidents?kind=fire").json()["count"] == 1
    assert parent.get("/api/v1/accidents?unit=T2").json()["count"] == 1
    assert parent.get("/api/v1/accidents?unit=D1").json()["count"] == 4
    assert (
        parent.get("/api/v1/accidents?date_from=2026-09-20&date_to=2026-09-20").json()["count"] == 1
    )
    assert parent.get("/api/v1/accidents?stage=approved").json()["count"] == 0
    first = parent.get("/api/v1/accidents?limit=3").json()
    assert len(first["items"]) == 3 and first["next"]
    second = parent.get(first["next"]).json()
    assert len(second["items"]) == 1 and second["next"] is None


def test_the_list_costs_the_same_queries_for_one_or_many(staff, client_of, personas):
    post(staff, "/api/v1/accidents", BODY)
    viewer = client_of(personas.viewer)
    viewer.get("/api/v1/accidents")  # warm-up
    with CaptureQueriesContext(connection) as one:
        assert viewer.get("/api/v1/accidents").status_code == 200
    for day in range(17, 22):
        post(staff, "/api/v1/accidents", {**BODY, "occurred_at": f"2026-09-{day}T10:00"})
    with CaptureQueriesContext(connection) as many:
        assert viewer.get("/api/v1/accidents").json()["count"] == 6
    assert len(many.captured_queries) == len(one.captured_queries)
