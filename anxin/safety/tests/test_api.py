"""The API contract of sites and sectors: names, shapes, warnings, 400/403/404/409, query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anxin.safety.tests.conftest import LEGACY, VALID

pytestmark = [pytest.mark.django_db]

BODY = {
    "name": "一街道化工贸易有限公司",
    "credit_code": VALID,
    "sector": "industry_trade",
    "unit": "V1",
    "address": "一街道工业路3号",
    "risk_level": "orange",
    "latitude": 30.55,
    "longitude": 114.31,
    "contact_name": "王五",
    "contact_phone": "13900001111",
}

SITE_KEYS = {
    "id",
    "name",
    "credit_code",
    "sector",
    "unit",
    "regulating_unit",
    "address",
    "latitude",
    "longitude",
    "risk_level",
    "status",
    "contact_user",
    "contact_name",
    "contact_phone",
    "version",
    "created_at",
    "updated_at",
    "warnings",
}


def test_sectors_answer_the_contract(personas, api, sector):
    body = api(personas.viewer).get("/api/v1/sectors").json()
    assert {"code": "industry_trade", "name": "工贸企业", "department": "DEP"} in body
    assert {"code": "hotels", "name": "旅馆", "department": None} in body
    assert all(set(s) == {"code", "name", "department"} for s in body)
    assert len(body) == 11


@pytest.mark.smoke
def test_create_get_and_patch_follow_the_contract(personas, api, sector):
    head = api(personas.same)
    r = head.post("/api/v1/sites", BODY, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == SITE_KEYS | {"permits"}
    assert body["sector"] == "industry_trade" and body["unit"] == "V1"
    assert body["regulating_unit"] == "DEP" and body["risk_level"] == "orange"
    assert body["version"] == 1 and body["warnings"] == [] and body["permits"] == []
    assert body["contact_phone"] == "13900001111"  # the register keeper sees it in full
    sid = body["id"]
    got = api(personas.member).get(f"/api/v1/sites/{sid}").json()
    assert got["id"] == sid and got["contact_phone"] == "139****1111"  # a reader: masked
    r = head.patch(
        f"/api/v1/sites/{sid}",
        {"version": 1, "risk_level": "red", "name": "一街道化工贸易有限责任公司"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2 and r.json()["risk_level"] == "red"
    # stale version → 409 with the current version
    r = head.patch(
        f"/api/v1/sites/{sid}",
        {"version": 1, "risk_level": "blue"},
        content_type="application/json",
    )
    assert r.status_code == 409
    assert r.json()["code"] == "version_conflict"
    assert r.json()["extra"] == {"current_version": 2}
    # a reader without the action → 403; outside the scope → 404
    r = api(personas.member).patch(
        f"/api/v1/sites/{sid}",
        {"version": 2, "risk_level": "blue"},
        content_type="application/json",
    )
    assert r.status_code == 403
    for who in (personas.outsider, personas.sibling):
        assert api(who).get(f"/api/v1/sites/{sid}").status_code == 404
        r = api(who).patch(
            f"/api/v1/sites/{sid}", {"version": 2, "name": "x"}, content_type="application/json"
        )
        assert r.status_code == 404


def test_a_failing_check_character_is_a_warning_not_a_refusal(personas, api, sector):
    r = api(personas.same).post(
        "/api/v1/sites", {**BODY, "credit_code": LEGACY}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["credit_code"] == LEGACY
    assert r.json()["warnings"] == [
        {
            "code": "credit_code_check",
            "message": "统一社会信用代码的校验码不符（GB 32100-2015）。部分早期代码无法通过校验："
            "场所已保存，请与营业执照核对。",
        }
    ]
    listed = api(personas.same).get("/api/v1/sites").json()["items"][0]
    assert [w["code"] for w in listed["warnings"]] == ["credit_code_check"]


def test_a_malformed_code_is_400_in_chinese(personas, api, sector):
    r = api(personas.same).post(
        "/api/v1/sites",
        {**BODY, "credit_code": "91310110666007217"},
        content_type="application/json",
    )
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid"
    assert body["message"] == (
        "统一社会信用代码为18位，由数字和大写英文字母组成（不使用I、O、Z、S、V）。"
    )
    assert set(body["extra"]["fields"]) == {"credit_code"}


def test_unknown_references_and_bad_levels_name_their_fields(personas, api, sector):
    r = api(personas.same).post(
        "/api/v1/sites", {**BODY, "sector": "nope"}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["message"] == "未知的行业领域：nope"
    r = api(personas.same).post(
        "/api/v1/sites", {**BODY, "risk_level": "green"}, content_type="application/json"
    )
    assert r.status_code == 400
    assert r.json()["extra"]["fields"] == {
        "risk_level": [
            "请选择风险等级：red（重大风险）、orange（较大风险）、yellow（一般风险）或 blue（低风险）。"
        ]
    }


def test_the_list_filters(personas, api, make_site):
    make_site(name="甲工厂", risk_level="red")
    make_site(name="乙宾馆", credit_code="", unit=personas.city.T2, risk_level="blue")
    client = api(personas.parent)

    def names(query: str) -> list[str]:
        return [i["name"] for i in client.get(f"/api/v1/sites?{query}").json()["items"]]

    assert names("") == ["乙宾馆", "甲工厂"] or set(names("")) == {"甲工厂", "乙宾馆"}
    assert names("risk_level=red") == ["甲工厂"]
    assert names("unit=T2") == ["乙宾馆"]
    assert names("unit=T1") == ["甲工厂"]
    assert names("q=宾馆") == ["乙宾馆"]
    assert names(f"q={VALID[:10]}") == ["甲工厂"]
    assert names("sector=hotels") == []
    assert set(names("unit=DEP")) == {"甲工厂", "乙宾馆"}  # the regulating department's sites


def test_the_enterprise_contact_reads_only_their_site(personas, api, make_site):
    own = make_site(contact_user=personas.enterprise)
    make_site(name="别家", credit_code="")
    body = api(personas.enterprise).get("/api/v1/sites").json()
    assert [i["id"] for i in body["items"]] == [str(own.uid)] and body["count"] == 1
    assert body["items"][0]["contact_phone"] == "13812345678"  # their own data
    assert (
        api(personas.enterprise)
        .post("/api/v1/sites", BODY, content_type="application/json")
        .status_code
        == 403
    )


@pytest.mark.dbdep
def test_list_query_count_does_not_grow_with_the_page(personas, api, make_site):
    for i in range(30):
        make_site(name=f"工厂{i:02d}", credit_code="", risk_level="yellow")
    client = api(personas.parent)
    client.get("/api/v1/sites?limit=1")  # warm up: the key's last-used time is written once
    counts = []
    for limit in (5, 30):
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"/api/v1/sites?limit={limit}").json()
        assert len(body["items"]) == limit and body["count"] == 30
        counts.append(len(ctx.captured_queries))
    # the key with its user, the grants, the count, the page (one join)
    assert counts[0] == counts[1] == 4, counts
    # and the cursor walks the whole list
    seen, url = [], "/api/v1/sites?limit=7"
    while url:
        body = client.get(url).json()
        seen += [i["name"] for i in body["items"]]
        url = body["next"]
    assert seen == sorted(seen) and len(seen) == 30
