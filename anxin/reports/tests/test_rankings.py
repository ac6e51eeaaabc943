"""Rankings (考核排名): periods, peers, weights, score, ties, the API, the pages and the files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from anxin.core.models import AuditEvent
from anxin.reports import rankings
from anxin.reports.services_rankings import indicator_weight_set

pytest_plugins = ["anxin.reports.tests.kpi_data"]

TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2026-11", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        ("2028-02", dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
        ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    ],
)
def test_periods(code: str, start: dt.date, end: dt.date) -> None:
    period = rankings.parse_period(code)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("code", ["2026-13", "2026-Q5", "2026/11", "", "Q4-2026"])
def test_a_bad_period_is_refused(code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        rankings.parse_period(code)
    assert exc.value.message_dict == {
        "period": ["期间请填写月份（如 2026-11）或季度（如 2026-Q4）。"]
    }


def test_default_weights_are_the_district_scheme_with_repeat_control_at_zero(db: None) -> None:
    assert rankings.weights() == {
        "timely_acceptance_rate": Decimal("5"),
        "on_time_reply_rate": Decimal("10"),
        "repeat_petition_rate": Decimal("0"),
        "satisfaction_rate": Decimal("10"),
        "participation_rate": Decimal("5"),
        "hazard_rectification_rate": Decimal("0"),
        "major_hazard_rectification_rate": Decimal("0"),
        "inspection_coverage_rate": Decimal("0"),
    }


def test_scores_ranks_and_formula(seeded: Any, personas: Any) -> None:
    result = rankings.ranking(personas.viewer, period="2026-11", today=TODAY)
    assert [(r.unit.code, r.rank, r.score) for r in result.rows] == [
        # D2: P6 accepted in time, nothing else due → full marks 30
        ("D2", 1, Decimal("30.00")),
        # D1: 5×2/4 + 10×1/3 + 10×1/2 + 5×2/3 = 14.1667
        ("D1", 2, Decimal("14.17")),
    ]
    d1 = result.rows[1]
    cells = {c.indicator.key: c for c in d1.cells}
    assert cells["timely_acceptance_rate"].points == Decimal("2.5000")
    assert cells["repeat_petition_rate"].points == Decimal("0")
    assert (
        cells["repeat_petition_rate"].figure.numerator,
        cells["repeat_petition_rate"].figure.denominator,
    ) == (1, 8)
    assert result.full_marks == Decimal("30")


def test_repeat_control_scores_one_minus_the_rate_when_weighted(seeded: Any, personas: Any) -> None:
    indicator_weight_set(actor=personas.sysadmin, key="repeat_petition_rate", weight="10")
    result = rankings.ranking(personas.viewer, period="2026-11", today=TODAY)
    d1 = next(r for r in result.rows if r.unit.code == "D1")
    cells = {c.indicator.key: c for c in d1.cells}
    assert cells["repeat_petition_rate"].points == Decimal("8.7500")  # 10 × (1 − 1/8)
    assert d1.score == Decimal("22.92")


def test_equal_scores_share_a_rank_in_code_order(personas: Any, frozen_today: Any) -> None:
    result = rankings.ranking(personas.viewer, period="2026-11", kind="township", parent="D1")
    assert [(r.unit.code, r.rank, r.score) for r in result.rows] == [
        ("T1", 1, Decimal("30.00")),
        ("T2", 1, Decimal("30.00")),
    ]


def test_peers_are_one_level_in_the_persons_scope(personas: Any) -> None:
    # the townships at the highest level: T1, T2 (under D1) and T3 (under D2) are all level 2
    assert [u.code for u in rankings.peers(personas.viewer, kind="township", parent=None)] == [
        "T1",
        "T2",
        "T3",
    ]
    # the head of D1 ranks only what is in their scope
    assert [u.code for u in rankings.peers(personas.parent, kind="township", parent=None)] == [
        "T1",
        "T2",
    ]
    assert rankings.peers(personas.outsider, kind="district", parent=None) == []


def test_ranking_queries_do_not_grow_with_the_peers(
    personas: Any, frozen_today: Any, django_assert_num_queries: Any
) -> None:
    rankings.ranking(personas.viewer, period="2026-11")  # grants cached
    # peers, weights, then one query per ranked indicator
    with django_assert_num_queries(2 + len(rankings.RANKED_KEYS)):
        rankings.ranking(personas.viewer, period="2026-11", kind="township")


def test_only_the_system_administrator_sets_weights_and_it_is_audited(personas: Any) -> None:
    with pytest.raises(PermissionDenied):
        indicator_weight_set(actor=personas.viewer, key="on_time_reply_rate", weight="20")
    row = indicator_weight_set(
        actor=personas.sysadmin, key="on_time_reply_rate", weight="20", note="市考核办法"
    )
    assert rankings.weights()["on_time_reply_rate"] == Decimal("20.00")
    event = AuditEvent.objects.filter(action="ranking.weight_set").get()
    assert event.before == {"weight": "10"} and event.after == {
        "weight": "20.00",
        "note": "市考核办法",
    }
    indicator_weight_set(actor=personas.sysadmin, key="on_time_reply_rate", weight="15", version=1)
    row.refresh_from_db()
    assert (row.weight, row.version) == (Decimal("15.00"), 2)


@pytest.mark.parametrize(
    ("key", "weight", "errors"),
    [
        ("on_time_reply_rate", "-1", {"weight": ["请填写 0 至 100 之间的权重。"]}),
        ("on_time_reply_rate", "abc", {"weight": ["请填写 0 至 100 之间的权重。"]}),
        ("on_time_reply_rate", "101", {"weight": ["请填写 0 至 100 之间的权重。"]}),
        ("overdue_hazards", "5", {"key": ["该指标不参加排名。"]}),
    ],
)
def test_weights_are_validated(personas: Any, key: str, weight: str, errors: dict) -> None:
    with pytest.raises(ValidationError) as exc:
        indicator_weight_set(actor=personas.sysadmin, key=key, weight=weight)
    assert exc.value.message_dict == errors


def test_rankings_api(seeded: Any, personas: Any, client_for: Any) -> None:
    client = client_for(personas.viewer)
    body = client.get("/api/v1/rankings?period=2026-11").json()
    assert body["period"] == "2026-11" and body["kind"] == "district"
    assert body["weights"]["repeat_petition_rate"] == 0.0
    assert [(u["unit"], u["rank"], u["score"]) for u in body["units"]] == [
        ("D2", 1, 30.0),
        ("D1", 2, 14.17),
    ]
    d1 = body["units"][1]
    cell = next(c for c in d1["indicators"] if c["key"] == "timely_acceptance_rate")
    assert (cell["numerator"], cell["denominator"], cell["weight"], cell["points"]) == (
        2,
        4,
        5.0,
        2.5,
    )
    for c in d1["indicators"]:
        listed = client.get(c["numerator_url"]).json()["count"]
        assert listed == c["numerator"]
        assert client.get(c["denominator_url"]).json()["count"] == c["denominator"]
    quarter = client.get("/api/v1/rankings?period=2026-Q4&kind=township&parent=D1").json()
    assert sorted(u["unit"] for u in quarter["units"]) == ["T1", "T2"]
    bad = client.get("/api/v1/rankings?period=2026-11-01")
    assert bad.status_code == 400
    assert bad.json()["message"] == "期间请填写月份（如 2026-11）或季度（如 2026-Q4）。"
    assert client.get("/api/v1/rankings?period=2026-11&parent=NOPE").status_code == 404
    assert client_for(personas.enterprise).get("/api/v1/rankings").status_code == 403


def test_ranking_page_explains_the_weights_and_links_every_figure(
    seeded: Any, personas: Any, client_for: Any
) -> None:
    response = client_for(personas.viewer).get("/reports/rankings/?period=2026-11")
    assert response.status_code == 200
    html = response.content.decode()
    assert "群众再次信访就扣减单位得分，正是拦截、压制信访人的诱因" in html
    assert str(rankings.FORMULA) in html
    assert "/reports/indicators/timely_acceptance_rate/?part=denominator&amp;unit=D1" in html


def test_xlsx_export_is_audited_and_neutralises_formulas(
    seeded: Any, personas: Any, client_for: Any
) -> None:
    from anxin.core.services import unit_update

    unit_update(actor=None, unit=personas.city.D2, version=None, name="=HYPERLINK(1)")
    response = client_for(personas.viewer).get("/reports/rankings/export.xlsx?period=2026-11")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:3] == (1, "D2", "'=HYPERLINK(1)")
    assert rows[1][-1] == 30.0
    assert AuditEvent.objects.filter(action="ranking.export").count() == 1


def test_the_circular_is_a_docx(seeded: Any, personas: Any, client_for: Any) -> None:
    response = client_for(personas.viewer).get("/reports/rankings/notice.docx?period=2026-Q4")
    assert response.status_code == 200
    xml = zipfile.ZipFile(io.BytesIO(response.content)).read("word/document.xml").decode()
    assert "关于2026年第4季度考核排名情况的通报" in xml
    assert "重复信访控制的权重为0" in xml
    assert "测试市" in xml  # issued by the peers' parent


def test_weights_page(personas: Any, client_for: Any) -> None:
    admin = client_for(personas.sysadmin)
    response = admin.post(
        "/reports/rankings/weights/", {"key": "satisfaction_rate", "weight": "12", "note": ""}
    )
    assert response.status_code == 302
    assert rankings.weights()["satisfaction_rate"] == Decimal("12.00")
    page = admin.get("/reports/rankings/weights/").content.decode()
    assert 'name="weight" value="12.00"' in page and "sysadmin" in page
    response = admin.post("/reports/rankings/weights/", {"key": "satisfaction_rate", "weight": "x"})
    assert response.status_code == 400
    assert "请填写 0 至 100 之间的权重。" in response.content.decode()
    viewer = client_for(personas.viewer)
    assert viewer.get("/reports/rankings/weights/").status_code == 200
    assert (
        viewer.post(
            "/reports/rankings/weights/", {"key": "satisfaction_rate", "weight": "1"}
        ).status_code
        == 403
    )


def test_the_administrator_without_figures_lands_on_the_weights(
    personas: Any, client_for: Any
) -> None:
    response = client_for(personas.sysadmin).get("/reports/rankings/")
    assert response.status_code == 302 and response["Location"] == "/reports/rankings/weights/"
    assert client_for(personas.auditor).get("/reports/rankings/").status_code == 403


def test_the_circular_states_a_changed_repeat_weight(personas: Any, client_for: Any) -> None:
    indicator_weight_set(actor=personas.sysadmin, key="repeat_petition_rate", weight="10")
    response = client_for(personas.viewer).get("/reports/rankings/notice.docx?period=2026-11")
    xml = zipfile.ZipFile(io.BytesIO(response.content)).read("word/document.xml").decode()
    assert "重复信访控制的权重为10分" in xml
    assert "重复信访控制的权重为0" not in xml
    assert "重复信访率10分" in xml  # now in the scheme of the scored indicators


def test_a_bad_period_on_the_page(personas: Any, client_for: Any) -> None:
    response = client_for(personas.viewer).get("/reports/rankings/?period=2026-13")
    assert response.status_code == 400
    assert "期间请填写月份（如 2026-11）或季度（如 2026-Q4）。" in response.content.decode()
