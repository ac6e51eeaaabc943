"""The petitions API contract: names, shapes, 403/404/409, and the ledger's query count."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from anxin.core.services import api_key_create

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def api(personas):
    def make(user) -> Client:
        _key, raw = api_key_create(actor=None, user=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


BODY = {
    "channel": "phone",
    "kind": "claim",
    "category": "labour",
    "title": "拖欠工资",
    "content": "公司拖欠工资两个月。",
    "unit": "C",
    "complainants": [
        {
            "name": "王五",
            "id_number": "440524188001010014",
            "phone": "13900001111",
            "address": "三街道",
        }
    ],
}


@pytest.mark.smoke
def test_create_answers_the_contract(personas, api):
    response = api(personas.clerk).post("/api/v1/petitions", BODY, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "number", "status", "version", "deadlines", "flags", "related"}
    assert body["status"] == "registered" and body["version"] == 1
    assert set(body["deadlines"]) == {"accept_by"}
    assert body["query_code"] and body["complainants"][0]["id_number"] == "4405**********0014"
    assert body["complainants"][0]["phone"] == "139****1111"


def test_actions_follow_the_contract(personas, api):
    clerk = api(personas.clerk)
    pid = clerk.post("/api/v1/petitions", BODY, content_type="application/json").json()["id"]
    url = f"/api/v1/petitions/{pid}/actions"
    r = clerk.post(f"{url}/forward", {"to_unit": "T1"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["current_unit"] == "T1"
    assert set(r.json()["deadlines"]) == {"accept_by", "object_by"}
    head = api(personas.same)
    r = head.post(
        f"{url}/accept",
        {"lead_unit": "T1", "leader": "same", "version": 2},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "handling" and r.json()["leader"] == "same"
    # a step not allowed in the current state: 409 naming the state
    r = head.post(f"{url}/accept", {"lead_unit": "T1"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "invalid_state"
    # a step the role may not take: 403 (the handler cannot approve an extension)
    r = api(personas.member).post(
        f"{url}/extend", {"days": 5, "reason": "核实"}, content_type="application/json"
    )
    assert r.status_code == 403
    # stale version: 409 version_conflict
    r = head.post(
        f"{url}/extend",
        {"days": 5, "reason": "核实", "version": 1},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "version_conflict"
    # outside the scope: 404
    assert (
        api(personas.outsider)
        .post(f"{url}/close", {"reason": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    timeline = head.get(f"/api/v1/petitions/{pid}/timeline").json()
    assert [e["kind"] for e in timeline] == ["registered", "forwarded", "accepted"]


def test_validation_errors_name_the_fields(personas, api):
    bad = {
        **BODY,
        "representatives": [{"name": f"代表{i}"} for i in range(6)],
        "channel": "visit",
        "received_on": "2999-01-01",
    }
    r = api(personas.clerk).post("/api/v1/petitions", bad, content_type="application/json")
    assert r.status_code == 400
    fields = r.json()["extra"]["fields"]
    assert set(fields) == {"received_on", "representatives"}


def test_categories_are_listed(personas, api):
    body = api(personas.viewer).get("/api/v1/petition-categories").json()
    assert {"code": "labour", "name": "劳动社保"} in body


@pytest.mark.dbdep
def test_ledger_query_count_does_not_grow_with_the_page(personas, api, register):
    for i in range(30):
        register(title=f"案件{i}", content=f"第{i}件关于噪音扰民的投诉")
    client = api(personas.clerk)
    client.get("/api/v1/petitions?limit=1")  # warm up: the key's last-used time is written once
    counts = []
    for limit in (5, 30):
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"/api/v1/petitions?limit={limit}&q=噪音").json()
        assert len(body["items"]) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[0] < 20


def test_a_case_number_is_looked_up_exactly(personas, api, register):
    first = register(title="甲").petition
    register(title="乙")
    body = api(personas.clerk).get(f"/api/v1/petitions?q={first.number.lower()}").json()
    assert [i["number"] for i in body["items"]] == [first.number]
