"""Open311 GeoReport v2: discovery, services, definitions, creating requests, errors."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from django.test import Client, override_settings

from anxin.core.models import AuditEvent, User
from anxin.core.services import api_key_create
from anxin.petitions import selectors as petition_selectors
from anxin.petitions.models import Category, Petition
from anxin.safety import public_reports
from anxin.safety.hazard_rules import HazardSource, HazardStatus
from anxin.safety.models_hazards import Hazard
from anxin.safety.selectors_hazards import hazard_list

pytestmark = [pytest.mark.django_db]

BASE = "/open311/v2"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")

PETITION = {
    "service_code": "petition-labour",
    "attribute[kind]": "claim",
    "attribute[anonymous]": "no",
    "last_name": "孙",
    "first_name": "八",
    "phone": "13700000000",
    "email": "sun@example.org",
    "description": "工地拖欠工资三个月。请求协调支付。",
    "address_string": "和平路1号",
}
HAZARD = {
    "service_code": "hazard-fire",
    "attribute[anonymous]": "yes",
    "attribute[unit]": "T1",
    "description": "楼道堆满杂物，堵塞消防通道。",
    "address_string": "和平路2号3单元",
}


def key_for(user: Any) -> str:
    return api_key_create(actor=None, user=user, name="open311 client")[1]


def body(response: Any, fmt: str) -> Any:
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content.decode("utf-8"))
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<')
    return ET.fromstring(response.content)


def error_list(response: Any, fmt: str) -> list[tuple[int, str]]:
    data = body(response, fmt)
    if fmt == "json":
        return [(e["code"], e["description"]) for e in data]
    assert data.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in data.findall("error")]


def post(fmt: str = "json", key: str = "", url: str = "", **data: Any) -> Any:
    payload = {**data}
    if key:
        payload["api_key"] = key
    return Client().post(url or f"{BASE}/requests.{fmt}", payload)


@pytest.fixture
def key(personas: Any) -> str:
    return key_for(personas.clerk)


# --- discovery and services --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_discovery(personas, fmt):
    response = Client().get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    data = body(response, fmt)
    if fmt == "json":
        endpoint = data["endpoints"][0]
        assert W3C.match(data["changeset"])
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["type"] == "production"
    else:
        assert data.tag == "discovery"
        formats = [f.text for f in data.findall("endpoints/endpoint/formats/format")]
        assert formats == ["text/xml", "application/json"]
        assert data.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"
        assert data.findtext("contact") == "如需使用本接口的帮助，请联系本市信访工作机构。"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_services_are_petition_categories_and_hazard_report_types(personas, fmt):
    Category.objects.filter(code="other").update(is_active=False)
    response = Client().get(f"{BASE}/services.{fmt}")
    assert response.status_code == 200
    data = body(response, fmt)
    if fmt == "xml":
        assert data.tag == "services"
        data = [{child.tag: child.text for child in s} for s in data.findall("service")]
        for row in data:
            assert row["metadata"] == "true"
    else:
        assert all(row["metadata"] is True for row in data)
    codes = [row["service_code"] for row in data]
    categories = list(Category.objects.filter(is_active=True).values_list("code", flat=True))
    assert codes == [f"petition-{c}" for c in categories] + [
        "hazard-fire",
        "hazard-gas",
        "hazard-chemicals",
        "hazard-construction",
        "hazard-building",
        "hazard-traffic",
        "hazard-other",
    ]
    assert "petition-other" not in codes
    labour = next(r for r in data if r["service_code"] == "petition-labour")
    assert labour["service_name"] == "劳动社保" and labour["group"] == "信访"
    assert labour["type"] == "realtime"
    assert labour["description"] == "信访事项（来信来访）：劳动社保"
    fire = next(r for r in data if r["service_code"] == "hazard-fire")
    assert fire["service_name"] == "消防安全" and fire["group"] == "安全隐患"
    assert fire["description"] == "举报安全隐患：消防安全"


def _attributes(response: Any, fmt: str) -> list[dict[str, Any]]:
    data = body(response, fmt)
    if fmt == "json":
        return data["attributes"]
    assert data.tag == "service_definition"
    rows = []
    for a in data.findall("attributes/attribute"):
        row: dict[str, Any] = {c.tag: c.text for c in a if c.tag != "values"}
        row["values"] = [
            {"key": v.findtext("key"), "name": v.findtext("name")}
            for v in a.findall("values/value")
        ]
        row["variable"] = row["variable"] == "true"
        row["required"] = row["required"] == "true"
        row["order"] = int(row["order"])
        rows.append(row)
    return rows


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_petition_definition_has_every_datatype(personas, fmt):
    response = Client().get(f"{BASE}/services/petition-labour.{fmt}")
    assert response.status_code == 200
    attributes = _attributes(response, fmt)
    assert {a["datatype"] for a in attributes} == {
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    }
    assert [a["order"] for a in attributes] == sorted(a["order"] for a in attributes)
    by_code = {a["code"]: a for a in attributes}
    assert by_code["notice"]["variable"] is False
    kind = by_code["kind"]
    assert kind["required"] is True and kind["description"] == "信访事项属于哪一类？"
    assert kind["values"] == [
        {"key": "suggestion", "name": "建议意见类"},
        {"key": "accusation", "name": "检举控告类"},
        {"key": "claim", "name": "申诉求决类"},
    ]
    assert by_code["anonymous"]["values"] == [
        {"key": "yes", "name": "是"},
        {"key": "no", "name": "否"},
    ]
    assert by_code["contact_preference"]["datatype"] == "multivaluelist"
    assert by_code["occurred_at"]["datatype_description"] == (
        "带时区的 W3C 日期时间，例如 2026-11-27T09:30:00+08:00。"
    )
    assert {"key": "V1", "name": "一社区"} in by_code["place_unit"]["values"]
    assert by_code["title"]["required"] is False


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_hazard_definition_and_the_singular_alias(personas, fmt):
    plural = Client().get(f"{BASE}/services/hazard-gas.{fmt}")
    singular = Client().get(f"{BASE}/service/hazard-gas.{fmt}")
    assert plural.status_code == singular.status_code == 200
    assert plural.content == singular.content
    by_code = {a["code"]: a for a in _attributes(plural, fmt)}
    assert by_code["anonymous"]["required"] is True
    assert by_code["unit"]["required"] is True
    assert [v["key"] for v in by_code["unit"]["values"]] == ["T1", "V1", "T2", "T3"]
    assert {"key": "smell_leak", "name": "气味或泄漏"} in by_code["features"]["values"]
    assert {a["datatype"] for a in by_code.values()} == {
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    }


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_service_is_404(personas, fmt):
    for path in ("services/petition-nothing", "service/hazard-nothing", "services/xyz"):
        response = Client().get(f"{BASE}/{path}.{fmt}")
        assert response.status_code == 404
        code = path.split("/")[1]
        assert error_list(response, fmt) == [(404, f"未找到服务代码 {code}。")]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_path_is_an_open311_404(personas, fmt):
    response = Client().get(f"{BASE}/nothing/here.{fmt}")
    assert response.status_code == 404
    assert error_list(response, fmt) == [(404, "没有这个 Open311 资源。")]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_wrong_method_is_405(personas, fmt):
    response = Client().delete(f"{BASE}/requests.{fmt}")
    assert response.status_code == 405
    assert error_list(response, fmt) == [(405, "此处不允许 DELETE 方法。")]
    assert Client().post(f"{BASE}/services.{fmt}").status_code == 405


# --- creating requests ---------------------------------------------------------------------------


def _created(response: Any, fmt: str) -> dict[str, Any]:
    assert response.status_code == 201, response.content.decode()
    data = body(response, fmt)
    if fmt == "json":
        assert len(data) == 1
        return data[0]
    assert data.tag == "service_requests"
    (request,) = data.findall("request")
    return {c.tag: c.text for c in request}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_request_becomes_a_web_petition(personas, key, fmt):
    response = post(
        fmt,
        key,
        **PETITION,
        **{
            "attribute[contact_preference][]": ["sms", "phone"],
            "attribute[people_involved]": "12",
            "attribute[occurred_at]": "2026-11-20T09:30:00+08:00",
            "attribute[request]": "支付全部欠薪。",
            "media_url": "https://example.org/photo.jpg",
            "lat": "30.25",
            "long": "120.1",
        },
    )
    row = _created(response, fmt)
    petition = Petition.objects.get()
    assert row["service_request_id"] == petition.number
    assert row["token"] == str(petition.uid)
    assert set(row) == {"service_request_id", "token", "service_notice", "account_id"}
    code = re.search(r"查询码为 (\S{4}-\S{4}-\S{4})", row["service_notice"]).group(1)
    assert petition_selectors.petition_by_query_code(code) == petition
    assert petition.number in row["service_notice"]
    assert (petition.channel, petition.kind, petition.category.code) == ("web", "claim", "labour")
    assert petition.registering_unit == personas.city.C and not petition.anonymous
    assert petition.title == "工地拖欠工资三个月"
    assert petition.content == (
        "工地拖欠工资三个月。请求协调支付。\n"
        "诉求：支付全部欠薪。\n"
        "发生时间：2026-11-20 09:30\n"
        "涉及人数：12\n"
        "希望的答复方式：短信、电话\n"
        "地点：和平路1号\n"
        "经纬度：30.25, 120.1\n"
        "附件链接：https://example.org/photo.jpg"
    )
    (person,) = petition.complainants.all()
    assert (person.name, person.phone) == ("孙八", "13700000000")
    assert "sun@example.org" not in json.dumps(
        list(Petition.objects.values()), default=str
    )  # email is not kept
    # the staff see it in their list, as any web petition
    assert list(petition_selectors.petition_list(user=personas.clerk)) == [petition]
    event = AuditEvent.objects.get(action="petition.registered")
    assert event.actor is None and event.actor_ip is None and event.actor_label == "public"


def test_an_anonymous_petition_keeps_no_identity(personas, key):
    response = post(
        "json",
        key,
        **{**PETITION, "attribute[anonymous]": "yes", "attribute[id_number]": "11010519491231002X"},
    )
    _created(response, "json")
    petition = Petition.objects.get()
    assert petition.anonymous and petition.complainants.count() == 0


def test_an_accusation_names_the_accused(personas, key):
    data = {
        **PETITION,
        "service_code": "petition-discipline",
        "attribute[kind]": "accusation",
        "attribute[accused_unit]": "一街道",
        "attribute[accused_person]": "某干部",
        "attribute[title]": "举报某街道干部",
    }
    _created(post("json", key, **data), "json")
    petition = Petition.objects.get()
    assert petition.kind == "accusation" and petition.accused_unit == personas.city.T1
    assert petition.accused_person == "某干部" and petition.title == "举报某街道干部"
    response = post("json", key, **{**data, "attribute[accused_unit]": "无此单位"})
    assert error_list(response, "json") == [(400, "没有名称或代码为「无此单位」的单位。")]
    response = post(
        "json", key, **{**data, "attribute[accused_unit]": "", "attribute[accused_person]": ""}
    )
    assert error_list(response, "json") == [(400, "请填写被举报单位或被举报人。")]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_request_becomes_a_public_hazard_report(personas, key, fmt):
    data = {
        **HAZARD,
        "attribute[anonymous]": "no",
        "last_name": "李",
        "first_name": "四",
        "phone": "13900000000",
        "attribute[features][]": ["blocked_exit", "electric"],
        "attribute[landmark]": "菜市场旁",
    }
    row = _created(post(fmt, key, **data), fmt)
    hazard = Hazard.objects.get()
    assert row["service_request_id"] == hazard.number and row["token"] == str(hazard.uid)
    code = re.search(r"跟踪码为 (\S{4}-\S{4}-\S{4})", row["service_notice"]).group(1)
    assert public_reports.hazard_by_tracking_code(code) == hazard
    assert (hazard.status, hazard.source) == (HazardStatus.REPORTED, HazardSource.REPORT)
    assert hazard.unit == personas.city.T1 and hazard.site is None
    assert hazard.description == (
        "【消防安全】楼道堆满杂物，堵塞消防通道。\n看到的情况：堵塞安全出口或消防通道、电线裸露或违规充电"
    )
    assert hazard.place == "和平路2号3单元（靠近菜市场旁）"
    assert (hazard.reporter_name, hazard.reporter_phone) == ("李四", "13900000000")
    # the inspectors' triage queue has it
    assert hazard in hazard_list(user=personas.same)
    event = AuditEvent.objects.get(action="hazard.reported")
    assert event.actor is None and event.actor_ip is None


def test_an_anonymous_hazard_report_keeps_no_identity(personas, key):
    _created(post("json", key, **{**HAZARD, "last_name": "李", "phone": "139"}), "json")
    hazard = Hazard.objects.get()
    assert (hazard.reporter_name, hazard.reporter_phone) == ("", "")


def test_address_id_gives_the_hazards_unit(personas, key):
    data = {k: v for k, v in HAZARD.items() if k != "attribute[unit]"}
    response = post("json", key, **{**data, "address_id": "V1"})
    _created(response, "json")
    assert Hazard.objects.get().unit == personas.city.V1
    response = post("json", key, **data)
    assert error_list(response, "json") == [
        (400, "缺少必填属性 unit：隐患所在的乡镇（街道）或村（社区）")
    ]


def test_location_by_coordinates_only(personas, key):
    data = {k: v for k, v in HAZARD.items() if k != "address_string"}
    _created(post("json", key, **{**data, "lat": "30.5", "long": "120.25"}), "json")
    assert Hazard.objects.get().place == "经纬度：30.5, 120.25"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_needs_a_valid_key(personas, fmt):
    response = post(fmt, "", **PETITION)
    assert response.status_code == 403
    assert error_list(response, fmt) == [(403, "未提供 api_key。")]
    response = post(fmt, "ax_not-a-key", **PETITION)
    assert response.status_code == 403
    assert error_list(response, fmt) == [(403, "api_key 无效。")]
    # a key whose user must still change an initial password stops working
    stale = key_for(personas.member)
    User.objects.filter(pk=personas.member.pk).update(must_change_password=True)
    response = post(fmt, stale, **PETITION)
    assert error_list(response, fmt) == [(403, "请先完成登录：修改初始密码或完成双因素认证。")]
    assert Petition.objects.count() == 0


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_errors(personas, key, fmt):
    cases: list[tuple[dict[str, Any], int, list[str]]] = [
        ({"service_code": ""}, 400, ["未提供 service_code。"]),
        ({"service_code": "petition-nothing"}, 404, ["未找到服务代码 petition-nothing。"]),
        ({"attribute[kind]": ""}, 400, ["缺少必填属性 kind：信访事项属于哪一类？"]),
        ({"attribute[kind]": "complaint"}, 400, ["属性 kind 的取值无效。"]),
        (
            {"attribute[contact_preference][]": ["sms", "fax"]},
            400,
            ["属性 contact_preference 的取值无效。"],
        ),
        ({"attribute[people_involved]": "many"}, 400, ["属性 people_involved 应为数字。"]),
        (
            {"attribute[occurred_at]": "yesterday"},
            400,
            ["属性 occurred_at 应为 W3C 日期时间，例如 2026-11-27T09:30:00+08:00。"],
        ),
        (
            {"attribute[title]": "长" * 201},
            400,
            ["属性 title 过长（最多 200 个字符）。"],
        ),
        ({"address_string": ""}, 400, ["需要位置：lat 和 long、address_string 或 address_id。"]),
        ({"lat": "30.1"}, 400, ["请同时给出 lat 和 long，或都不给。"]),
        ({"lat": "north", "long": "1"}, 400, ["lat 和 long 应为十进制度数（WGS84）。"]),
        ({"lat": "91", "long": "1"}, 400, ["lat 和 long 应为十进制度数（WGS84）。"]),
        ({"address_id": "C"}, 400, ["address_id C 不是乡镇（街道）或村（社区）的代码。"]),
        ({"media_url": "file:///etc/passwd"}, 400, ["media_url 应为 http 或 https 地址。"]),
        (
            {"last_name": "", "first_name": ""},
            400,
            ["请至少填写一名信访人，或勾选匿名。"],
        ),
        ({"description": ""}, 400, ["请在 description 中描述信访事项。"]),
    ]
    for change, status, messages in cases:
        response = post(fmt, key, **{**PETITION, **change})
        assert response.status_code == status, change
        assert error_list(response, fmt) == [(status, m) for m in messages], change
    response = post(fmt, key, **{**HAZARD, "attribute[anonymous]": "no", "last_name": "李"})
    assert error_list(response, fmt) == [(400, "请填写姓名和电话，或选择匿名举报。")]
    response = post(fmt, key, **{**HAZARD, "description": ""})
    assert error_list(response, fmt) == [(400, "请在 description 中描述隐患。")]
    assert Petition.objects.count() == Hazard.objects.count() == 0


# --- liberal acceptance ------------------------------------------------------------------------


def test_api_key_and_jurisdiction_in_the_query_string(personas, key):
    with override_settings(ANXIN_OPEN311_JURISDICTION="anxin.example.gov.cn"):
        url = f"{BASE}/requests.json?" + urlencode(
            {"api_key": key, "jurisdiction_id": "anxin.example.gov.cn"}
        )
        _created(Client().post(url, PETITION), "json")
        response = Client().post(
            f"{BASE}/requests.json", {**PETITION, "api_key": key, "jurisdiction_id": "other.city"}
        )
        assert response.status_code == 404
        assert error_list(response, "json") == [(404, "未找到 jurisdiction_id other.city。")]
        response = Client().get(f"{BASE}/services.xml?jurisdiction_id=other.city")
        assert error_list(response, "xml") == [(404, "未找到 jurisdiction_id other.city。")]
        assert (
            Client().get(f"{BASE}/services.xml?jurisdiction_id=anxin.example.gov.cn").status_code
            == 200
        )
        assert Client().get(f"{BASE}/services.xml?jurisdiction_id=").status_code == 200
    assert Petition.objects.count() == 1


def test_empty_parameters_are_absent(personas, key):
    data = {**PETITION, "lat": "", "long": "", "address_id": "", "media_url": "", "phone": ""}
    _created(
        post("json", key, **data, **{"attribute[title]": "", "attribute[people_involved]": ""}),
        "json",
    )
    response = Client().get(
        f"{BASE}/requests.json",
        {"api_key": "", "service_code": "", "status": "", "start_date": "", "end_date": ""},
    )
    assert response.status_code == 200 and len(response.json()) == 1


def test_a_doubled_slash_is_tolerated(personas, key):
    _created(post("json", key, url=f"{BASE}//requests.json", **PETITION), "json")
    number = Petition.objects.get().number
    for path in (
        "//requests.json",
        "//services.json",
        "//discovery.json",
        f"//requests/{number}.json",
        f"/requests//{number}.json",
        "//service//hazard-fire.json",
    ):
        assert Client().get(BASE + path).status_code == 200, path


def test_a_form_body_without_charset_is_utf8(personas, key):
    raw = urlencode({**PETITION, "api_key": key}).encode("ascii")
    response = Client().post(
        f"{BASE}/requests.json", raw, content_type="application/x-www-form-urlencoded"
    )
    _created(response, "json")
    assert Petition.objects.get().content.startswith("工地拖欠工资三个月。")


def test_attribute_lists_in_both_spellings(personas, key):
    for spelling in ("attribute[contact_preference]", "attribute[contact_preference][]"):
        _created(post("json", key, **PETITION, **{spelling: ["letter", "portal"]}), "json")
    for petition in Petition.objects.all():
        assert "希望的答复方式：信件、在门户网站上凭查询码查看" in petition.content


def test_post_needs_no_csrf_token(personas, key):
    client = Client(enforce_csrf_checks=True)
    _created(client.post(f"{BASE}/requests.xml", {**PETITION, "api_key": key}), "xml")


def test_answers_are_in_chinese_whatever_the_client_asks(personas):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(f"{BASE}/requests.json", PETITION)
    assert error_list(response, "json") == [(403, "未提供 api_key。")]


# --- rate limit ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_is_rate_limited_in_open311_shape(personas, key, fmt, settings):
    from django.core.cache import caches

    settings.ANXIN_RATE_LIMITS = {**settings.ANXIN_RATE_LIMITS, "open311_post": "1/m"}
    caches[settings.ANXIN_RATE_LIMIT_CACHE].clear()
    assert post(fmt, key, **PETITION).status_code == 201
    refused = post(fmt, key, **PETITION)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    ((code, description),) = error_list(refused, fmt)
    assert code == 429
    assert description == (
        f"短时间内请求过于频繁，本次请求未被处理，请在 {refused['Retry-After']} 秒后重试。"
    )
    assert Petition.objects.count() == 1  # the refused request saved nothing
    caches[settings.ANXIN_RATE_LIMIT_CACHE].clear()
