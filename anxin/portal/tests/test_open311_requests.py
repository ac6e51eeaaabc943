"""Open311 GeoReport v2: reading requests — filters, the 90-day window, privacy, tokens."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anxin.petitions import services
from anxin.petitions.models import Category, DeclineReason, Petition
from anxin.portal.open311 import selectors
from anxin.safety import hazards as hazard_services
from anxin.safety import public_reports
from anxin.safety.models_hazards import Hazard

pytestmark = [pytest.mark.django_db]

BASE = "/open311/v2"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
PUBLIC = [
    "service_request_id",
    "status",
    "service_code",
    "service_name",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "agency_responsible",
]
FULL = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
IDENTITY = ["孙八", "13700000000", "李四", "13900000000", "11010519491231002X", "sun@example.org"]

PETITION = {
    "service_code": "petition-labour",
    "attribute[kind]": "claim",
    "attribute[anonymous]": "no",
    "attribute[id_number]": "11010519491231002X",
    "last_name": "孙",
    "first_name": "八",
    "phone": "13700000000",
    "email": "sun@example.org",
    "description": "工地拖欠工资三个月。",
    "address_string": "和平路1号",
    "lat": "30.25",
    "long": "120.1",
    "media_url": "https://example.org/photo.jpg",
}
HAZARD = {
    "service_code": "hazard-fire",
    "attribute[anonymous]": "no",
    "last_name": "李",
    "first_name": "四",
    "phone": "13900000000",
    "attribute[unit]": "T1",
    "description": "楼道堆满杂物，堵塞消防通道。",
    "address_string": "和平路2号3单元",
}


def key_for(user: Any) -> str:
    from anxin.core.services import api_key_create

    return api_key_create(actor=None, user=user, name="open311 client")[1]


def create(key: str, data: dict[str, Any]) -> str:
    response = Client().post(f"{BASE}/requests.json", {**data, "api_key": key})
    assert response.status_code == 201, response.content.decode()
    return response.json()[0]["service_request_id"]


def rows(response: Any, fmt: str = "json") -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content.decode()
    if fmt == "json":
        return response.json()
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    return [{c.tag: c.text for c in r} for r in root.findall("request")]


def get(path: str = "requests", fmt: str = "json", key: str = "", **params: Any) -> Any:
    if key:
        params["api_key"] = key
    return Client().get(f"{BASE}/{path}.{fmt}", params)


def errors(response: Any, fmt: str = "json") -> list[tuple[int, str]]:
    if fmt == "json":
        return [(e["code"], e["description"]) for e in response.json()]
    root = ET.fromstring(response.content)
    return [
        (int(e.findtext("code") or 0), e.findtext("description") or "")
        for e in root.findall("error")
    ]


@pytest.fixture
def world(personas: Any, register: Any) -> dict[str, Any]:
    """A web petition (registered at the city: the clerk sees it), a public hazard report in T1
    (``same`` sees it), and an accusation against T1 handled by D1 (``parent`` sees it, T1's
    ``same`` never does)."""
    clerk_key = key_for(personas.clerk)
    petition = create(clerk_key, PETITION)
    hazard = create(clerk_key, HAZARD)
    accusation = register(
        kind="accusation",
        title="举报某街道干部",
        category=Category.objects.get(code="discipline"),
        accused_unit=personas.city.T1,
        accused_person="某干部",
    ).petition
    services.petition_accept(actor=personas.clerk, petition=accusation, lead_unit=personas.city.D1)
    return {
        "petition": petition,
        "hazard": hazard,
        "accusation": accusation.number,
        "clerk": clerk_key,
    }


# --- privacy ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_without_a_key_only_the_public_fields(world, fmt):
    found = rows(get(fmt=fmt), fmt)
    assert [r["service_request_id"] for r in found] == [world["hazard"], world["petition"]]
    for row in found:
        assert list(row) == PUBLIC
        assert W3C.match(row["requested_datetime"]) and W3C.match(row["updated_datetime"])
    petition = found[1]
    assert petition["status"] == "open" and petition["service_code"] == "petition-labour"
    assert petition["service_name"] == "劳动社保" and petition["agency_responsible"] == "测试市"
    assert W3C.match(petition["expected_datetime"])  # the accept_by clock
    assert found[0]["service_code"] == "hazard-fire" and found[0]["service_name"] == "消防安全"
    assert found[0]["agency_responsible"] == "一街道"


def test_an_accusation_is_never_listed(personas, world):
    parent = key_for(personas.parent)
    for key in ("", world["clerk"], parent):
        listed = [r["service_request_id"] for r in rows(get(key=key))]
        assert world["accusation"] not in listed
        by_id = rows(get(key=key, service_request_id=world["accusation"]))
        assert by_id == []
    # one by one: only to a key whose user sees it through the shield
    response = get(f"requests/{world['accusation']}")
    assert response.status_code == 404
    same = key_for(personas.same)  # T1, the accused unit
    assert get(f"requests/{world['accusation']}", key=same).status_code == 404
    (row,) = rows(get(f"requests/{world['accusation']}", key=parent))
    assert list(row) == FULL and row["description"].startswith("某建筑公司")


def test_a_confidential_petition_is_not_public(personas, world, register):
    secret = register(confidential=True).petition
    for key in ("", world["clerk"]):
        assert secret.number not in [r["service_request_id"] for r in rows(get(key=key))]
    assert get(f"requests/{secret.number}").status_code == 404
    (row,) = rows(get(f"requests/{secret.number}", key=world["clerk"]))
    assert row["service_request_id"] == secret.number


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_key_in_scope_reads_description_address_and_media(personas, world, fmt):
    found = {r["service_request_id"]: r for r in rows(get(fmt=fmt, key=world["clerk"]), fmt)}
    petition = found[world["petition"]]
    assert list(petition) == FULL
    assert petition["description"].startswith("工地拖欠工资三个月。\n地点：和平路1号")
    assert petition["address"] == "和平路1号"
    assert petition["media_url"] == "https://example.org/photo.jpg"
    assert str(petition["lat"]) == "30.25" and str(petition["long"]) == "120.1"
    assert petition["status_notes"] == "已登记"
    # outside the hazard's scope (T1): public fields only
    (hazard,) = rows(get(f"requests/{world['hazard']}", fmt, key=key_for(personas.outsider)), fmt)
    assert list(hazard) == PUBLIC
    (hazard,) = rows(get(f"requests/{world['hazard']}", fmt, key=key_for(personas.same)), fmt)
    assert list(hazard) == FULL
    assert hazard["description"] == "楼道堆满杂物，堵塞消防通道。"
    assert hazard["address"] == "和平路2号3单元" and hazard["address_id"] == "T1"
    assert hazard["status_notes"] == "已收到，等待核查"


def test_a_key_out_of_scope_sees_the_public_fields_only(personas, world):
    outsider = key_for(personas.outsider)
    for row in rows(get(key=outsider)):
        assert list(row) == PUBLIC
    (row,) = rows(get(f"requests/{world['petition']}", key=outsider))
    assert list(row) == PUBLIC


def test_the_reporters_identity_never_appears(personas, world):
    keys = ["", world["clerk"], key_for(personas.same), key_for(personas.parent)]
    for key in keys:
        for fmt in ("xml", "json"):
            pages = [
                get(fmt=fmt, key=key),
                get(f"requests/{world['petition']}", fmt, key=key),
                get(f"requests/{world['hazard']}", fmt, key=key),
            ]
            for page in pages:
                text = page.content.decode("utf-8")
                if fmt == "json":
                    text = json.dumps(json.loads(text), ensure_ascii=False)
                for value in IDENTITY:
                    assert value not in text, (key, fmt, value)


def test_a_bad_key_on_get_is_403(world):
    response = get(key="ax_bogus")
    assert response.status_code == 403 and errors(response) == [(403, "api_key 无效。")]


# --- filters ------------------------------------------------------------------------------------


def test_status_open_and_closed(personas, world, register):
    declined = register(title="诉讼事项").petition
    services.petition_decline(
        actor=personas.clerk, petition=declined, reason=DeclineReason.objects.get(code="litigation")
    )
    merged = register(title="重复").petition
    target = Petition.objects.get(number=world["petition"])
    services.petition_merge(actor=personas.clerk, petition=merged, into=target)
    hazard = Hazard.objects.get()
    hazard_services.hazard_void(actor=personas.same, hazard=hazard, reason="重复举报")

    closed = {r["service_request_id"]: r for r in rows(get(status="closed"))}
    assert set(closed) == {declined.number, merged.number, world["hazard"]}
    assert all(r["status"] == "closed" for r in closed.values())
    opened = [r["service_request_id"] for r in rows(get(status="open"))]
    assert opened == [world["petition"]]
    both = [r["service_request_id"] for r in rows(get(status="open,closed"))]
    assert len(both) == 4
    response = get(status="pending")
    assert response.status_code == 400
    assert errors(response) == [(400, "status 应为 open 或 closed。")]
    # notes for a key in scope: the reason and the channel to use instead; the void reason
    (row,) = rows(get(f"requests/{declined.number}", key=world["clerk"]))
    assert row["status_notes"] == "属于诉讼程序解决的事项；依法向人民法院提起诉讼"
    (row,) = rows(get(f"requests/{world['hazard']}", key=key_for(personas.same)))
    assert row["status_notes"] == "重复举报" and row["expected_datetime"] is None


def test_the_default_window_is_the_last_90_days(personas, world):
    old = timezone.now() - dt.timedelta(days=100)
    Petition.objects.filter(number=world["petition"]).update(
        registered_at=old, received_on=timezone.localdate(old)
    )
    assert [r["service_request_id"] for r in rows(get())] == [world["hazard"]]
    start = (old - dt.timedelta(days=1)).isoformat()
    end = (old + dt.timedelta(days=89)).isoformat()
    found = [r["service_request_id"] for r in rows(get(start_date=start, end_date=end))]
    assert found == [world["petition"]]
    # a start alone opens a 90-day window after it
    found = [r["service_request_id"] for r in rows(get(start_date=start))]
    assert found == [world["petition"]]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_date_windows_are_400(world, fmt):
    cases = [
        (
            {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-04-02T00:00:00+08:00"},
            "start_date 与 end_date 相隔不得超过 90 天。",
        ),
        (
            {"start_date": "2026-03-01T00:00:00+08:00", "end_date": "2026-02-01T00:00:00+08:00"},
            "end_date 早于 start_date。",
        ),
        (
            {"start_date": "last week"},
            "start_date 应为 W3C 日期时间，例如 2026-11-27T12:00:00+08:00。",
        ),
    ]
    for params, message in cases:
        response = get(fmt=fmt, **params)
        assert response.status_code == 400
        assert errors(response, fmt) == [(400, message)]


def test_a_plus_sign_lost_in_the_query_string_is_tolerated(world):
    today = timezone.localdate()
    start = f"{today - dt.timedelta(days=1)}T00:00:00 08:00"  # "+08:00" sent unencoded
    found = rows(get(start_date=start))
    assert len(found) == 2


def test_service_code_filter(personas, world):
    public_reports.hazard_report_public(
        description="路边井盖缺失", place_text="人民路", unit=personas.city.T1
    )
    assert [r["service_request_id"] for r in rows(get(service_code="petition-labour"))] == [
        world["petition"]
    ]
    assert [r["service_request_id"] for r in rows(get(service_code="hazard-fire"))] == [
        world["hazard"]
    ]
    (other,) = rows(get(service_code="hazard-other"))
    assert other["service_code"] == "hazard-other" and other["service_name"] == "其他安全隐患"
    assert rows(get(service_code="petition-land")) == []
    response = get(service_code="petition-nothing")
    assert response.status_code == 404
    assert errors(response) == [(404, "未找到服务代码 petition-nothing。")]


def test_service_request_ids_override_the_other_filters(world):
    ids = f"{world['petition']}, {world['hazard']},XF20260009999,YH1999-000001"
    found = rows(get(service_request_id=ids, status="closed", service_code="petition-land"))
    assert {r["service_request_id"] for r in found} == {world["petition"], world["hazard"]}


def test_the_list_is_capped(monkeypatch, world):
    monkeypatch.setattr(selectors, "LIMIT", 1)
    assert [r["service_request_id"] for r in rows(get())] == [world["hazard"]]


def test_the_list_is_a_fixed_number_of_queries(personas, world):
    clerk = world["clerk"]

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert get(key=clerk).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    create(clerk, PETITION)
    create(clerk, HAZARD)
    create(clerk, {**PETITION, "service_code": "petition-land"})
    assert count() == before


# --- one request, tokens ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_one_request(world, fmt):
    (row,) = rows(get(f"requests/{world['petition']}", fmt), fmt)
    assert row["service_request_id"] == world["petition"] and list(row) == PUBLIC
    (row,) = rows(get(f"requests/{world['hazard']}", fmt), fmt)
    assert row["service_request_id"] == world["hazard"]
    for unknown in ("XF20260009999", "YH1999-000001", world["hazard"].replace("YH2", "YH1")):
        response = get(f"requests/{unknown}", fmt)
        assert response.status_code == 404
        assert errors(response, fmt) == [(404, f"未找到 service_request_id {unknown}。")]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_tokens(personas, fmt):
    key = key_for(personas.clerk)
    response = Client().post(f"{BASE}/requests.json", {**PETITION, "api_key": key})
    created = response.json()[0]
    (row,) = rows(get(f"tokens/{created['token']}", fmt), fmt)
    assert row == {"service_request_id": created["service_request_id"], "token": created["token"]}
    for token in ("not-a-token", "00000000-0000-0000-0000-000000000000"):
        response = get(f"tokens/{token}", fmt)
        assert response.status_code == 404
        assert errors(response, fmt) == [(404, f"未找到 token {token}。")]


def test_xml_escapes_what_people_write(personas):
    text = "<script>alert(1)</script> & \"引号\" 'x' ]]>"
    create(key_for(personas.clerk), {**HAZARD, "description": text})
    same = key_for(personas.same)
    (row,) = rows(get(fmt="xml", key=same), "xml")
    assert row["description"] == text
    (row,) = rows(get(fmt="json", key=same))
    assert row["description"] == text
