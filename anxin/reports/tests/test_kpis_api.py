"""GET /api/v1/kpis and /api/v1/kpis/{key}/items — the contract of issue 5."""

from __future__ import annotations

from typing import Any

import pytest

from anxin.reports.indicators import CONTRACT_KEYS, all_indicators

pytest_plugins = ["anxin.reports.tests.kpi_data"]

NOV = "from=2026-11-01&to=2026-11-30"


def _count(client: Any, url: str) -> int:
    """The ``count`` of a list URL, checked against the items of every page."""
    response = client.get(url + "&limit=2")
    assert response.status_code == 200, response.content
    body = response.json()
    listed = len(body["items"])
    while body["next"]:
        body = client.get(body["next"]).json()
        listed += len(body["items"])
    assert listed == response.json()["count"]
    return int(response.json()["count"])


@pytest.mark.parametrize("unit", ["C", "D1", "DEP", "T3"])
def test_every_url_counts_its_figure(seeded: Any, personas: Any, client_for: Any, unit: str):
    client = client_for(personas.viewer)
    response = client.get(f"/api/v1/kpis?unit={unit}&{NOV}")
    assert response.status_code == 200
    figures = response.json()["indicators"]
    assert [f["key"] for f in figures] == [i.key for i in all_indicators()]
    for f in figures:
        assert set(f) == {
            "key",
            "label",
            "numerator",
            "denominator",
            "value",
            "numerator_url",
            "denominator_url",
        }
        assert _count(client, f["numerator_url"]) == f["numerator"], f["key"]
        if f["denominator_url"] is None:
            assert f["denominator"] is None
        else:
            assert _count(client, f["denominator_url"]) == f["denominator"], f["key"]


def test_the_contract_keys_and_labels(seeded: Any, personas: Any, client_for: Any) -> None:
    body = client_for(personas.viewer).get(f"/api/v1/kpis?unit=D1&{NOV}").json()
    by_key = {f["key"]: f for f in body["indicators"]}
    assert set(CONTRACT_KEYS) <= set(by_key)
    assert by_key["timely_acceptance_rate"]["label"] == "及时受理率"
    assert by_key["timely_acceptance_rate"]["value"] == 0.5
    assert by_key["overdue_hazards"]["denominator"] is None
    assert by_key["overdue_hazards"]["denominator_url"] is None
    assert by_key["overdue_hazards"]["value"] == 2.0
    assert body["unit"] == "D1" and body["from"] == "2026-11-01" and body["to"] == "2026-11-30"


def test_petitions_are_listed_by_number_status_and_due_date_only(
    seeded: Any, personas: Any, client_for: Any
) -> None:
    url = f"/api/v1/kpis/on_time_reply_rate/items?part=denominator&unit=D1&{NOV}"
    items = client_for(personas.viewer).get(url).json()["items"]
    p1 = seeded.petitions["P1"]
    row = next(i for i in items if i["number"] == p1.number)
    assert row == {
        "type": "petition",
        "id": str(p1.uid),
        "number": p1.number,
        "status": "registered",
        "status_label": "已登记",
        "due_on": "2026-11-19",
        "name": None,
        "grade": None,
        "unit": None,
        "date": None,
        "url": f"/petitions/{p1.uid}/",
    }


def test_hazard_items_link_to_the_hazard(seeded: Any, personas: Any, client_for: Any) -> None:
    url = f"/api/v1/kpis/overdue_hazards/items?part=numerator&unit=DEP&{NOV}"
    items = client_for(personas.viewer).get(url).json()["items"]
    h2 = seeded.hazards["H2"]
    assert {i["id"] for i in items} == {str(h2.uid), str(seeded.hazards["H6"].uid)}
    assert next(i for i in items if i["id"] == str(h2.uid))["url"] == f"/safety/hazards/{h2.uid}/"


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (f"unit=NOPE&{NOV}", 404, "您的范围内没有代码为 NOPE 的单位。"),
        ("unit=D1&from=2026-13-01", 400, "请按 YYYY-MM-DD 格式填写日期。"),
        ("unit=D1&from=2026-11-30&to=2026-11-01", 400, "开始日期不能晚于结束日期。"),
    ],
)
def test_errors_in_the_project_shape(
    seeded: Any, personas: Any, client_for: Any, query: str, status: int, message: str
) -> None:
    client = client_for(personas.viewer)
    for path in ("/api/v1/kpis", "/api/v1/kpis/overdue_hazards/items"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == status
        assert response.json()["message"] == message


def test_a_unit_outside_the_scope_is_not_found(personas: Any, client_for: Any) -> None:
    response = client_for(personas.outsider).get(f"/api/v1/kpis?unit=D1&{NOV}")
    assert response.status_code == 404
    assert response.json() == {
        "message": "您的范围内没有代码为 D1 的单位。",
        "code": "not_found",
        "extra": {},
    }
    assert client_for(personas.outsider).get(f"/api/v1/kpis?unit=T3&{NOV}").status_code == 200


def test_a_count_has_no_denominator_list(personas: Any, client_for: Any) -> None:
    client = client_for(personas.viewer)
    response = client.get(f"/api/v1/kpis/overdue_hazards/items?part=denominator&unit=C&{NOV}")
    assert response.status_code == 400
    assert response.json()["message"] == "该指标是计数，没有分母。"
    response = client.get(f"/api/v1/kpis/overdue_hazards/items?part=both&unit=C&{NOV}")
    assert response.json()["message"] == "请选择分子或分母。"
    response = client.get(f"/api/v1/kpis/no_such_rate/items?unit=C&{NOV}")
    assert response.status_code == 404


@pytest.mark.parametrize("key", ["repeat_petition_rate", "hazard_rectification_rate"])
def test_the_list_query_count_does_not_grow_with_the_page(
    seeded: Any, personas: Any, client_for: Any, key: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(personas.viewer)
    url = f"/api/v1/kpis/{key}/items?part=denominator&unit=C&{NOV}"
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url + "&limit=1").json()["items"]) == 1
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(url + "&limit=50").json()["items"]) > 2
    assert len(large.captured_queries) == len(small.captured_queries)
