"""The site ledger import: references resolved set-based, scope, duplicates, all or nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from anxin.core.choices import Role
from anxin.core.models import AuditEvent
from anxin.core.testing import make_person
from anxin.safety import services
from anxin.safety.ledgers import LedgerError, ledger_commit, ledger_preview
from anxin.safety.models import Site
from anxin.safety.tests.conftest import VALID, VALID_2

pytestmark = [pytest.mark.django_db]

CORPUS = Path(__file__).parents[2] / "core" / "tests" / "data" / "ledgers"

HEADER = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属行业",
    "所在乡镇（街道）",
    "地址",
    "风险等级",
]
HEADER += ["联系人", "联系电话"]


def xlsx(rows: list[list[Any]], title: str | None = "2026年重点行业领域企业台账") -> bytes:
    """A workbook as officials keep it: a title row, the header, the rows, a footer."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    sheet.append([])
    sheet.append(["填表人：王芳", None, None, "审核人：刘强"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def site_rows() -> list[list[Any]]:
    return [
        HEADER,
        [
            1,
            "青山化工有限公司",
            VALID,
            "危险化学品",
            "一社区",
            "和平路1号",
            "重大",
            "陈明",
            "13800000001",
        ],
        [2, "兴旺超市", VALID_2, "人员密集场所", "一街道", "和平路2号", "一般风险", "", ""],
        [3, "火星商店", "", "火星产业", "一街道", "和平路3号", "低", "", ""],
        [4, "二街道机械厂", "", "工贸企业", "二街道", "建设路4号", "较大", "", ""],
        [5, "无名镇小卖部", "", "工贸企业", "不存在镇", "解放路5号", "低", "", ""],
        [
            6,
            "兴旺超市（分店）",
            VALID_2.lower(),
            "人员密集场所",
            "一街道",
            "和平路2号",
            "一般",
            "",
            "",
        ],
        [7, "一街道出租屋", "", "rental_housing", "", "和平路7号", "蓝", "", ""],
    ]


@pytest.fixture
def sectors(sector: Any) -> Any:  # the conftest fixture sets 工贸企业's department
    return sector


@pytest.mark.smoke
def test_the_preview_resolves_every_row_and_saves_nothing(personas: Any, sectors: Any) -> None:
    audits = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        preview = ledger_preview("sites", xlsx(site_rows()), user=None, unit=personas.city.T1)
    # sectors once, units once, candidate sites once: not one query per row
    assert len(queries) <= 4
    assert preview.rows_read == 7
    assert [r["_row"] for r in preview.rows_ready] == [3, 4, 9]
    assert {r["_row"]: r["_unit"].code for r in preview.rows_ready} == {3: "V1", 4: "T1", 9: "T1"}
    assert preview.rows_ready[0]["_sector"].code == "hazardous_chemicals"
    assert preview.rows_ready[2]["_sector"].code == "rental_housing"  # by code
    assert preview.rows_ready[0]["risk_level"] == "red"
    errors = {(e.row, e.column, e.code) for e in preview.errors}
    assert errors == {
        (5, "所属行业", "unknown_sector"),
        (6, "所在乡镇（街道）", "unit_out_of_scope"),
        (7, "所在乡镇（街道）", "unknown_unit"),
    }
    assert [(d.row, d.first_row) for d in preview.duplicates] == [(8, 4)]
    assert Site.objects.count() == 0
    assert AuditEvent.objects.count() == audits
    json = preview.to_json()
    assert set(json) == {"rows_read", "rows_ready", "duplicates", "errors"}
    assert json["rows_ready"] == 3


def test_commit_creates_through_the_service_audits_once_and_reimport_creates_nothing(
    personas: Any, sectors: Any
) -> None:
    data = xlsx(site_rows())
    preview = ledger_preview("sites", data, user=None, unit=personas.city.T1)
    counts = ledger_commit("sites", preview, actor=None)
    assert counts["created"] == 3
    site = Site.objects.get(credit_code=VALID)
    assert (site.name, site.unit.code, site.sector.code, site.risk_level) == (
        "青山化工有限公司",
        "V1",
        "hazardous_chemicals",
        "red",
    )
    assert site.contact_phone == "13800000001"
    assert site.events.filter(kind="created").count() == 1  # the service wrote the timeline
    event = AuditEvent.objects.get(action="ledger.import_sites")
    assert event.after["file_sm3"] == preview.file_hash and len(preview.file_hash) == 64
    assert event.after["created"] == 3 and event.after["rows_read"] == 7
    assert AuditEvent.objects.filter(action="site.create").count() == 3

    again = ledger_preview("sites", data, user=None, unit=personas.city.T1)
    assert again.rows_ready == []
    assert again.existing == 3
    assert {d.row for d in again.duplicates} == {3, 4, 8, 9}
    assert ledger_commit("sites", again, actor=None)["created"] == 0
    assert Site.objects.count() == 3


def test_a_site_of_the_same_name_in_the_same_unit_is_a_duplicate(
    personas: Any, sectors: Any, make_site: Any
) -> None:
    make_site(name="一街道出租屋", credit_code="", unit=personas.city.T1)
    rows: list[list[Any]] = [
        HEADER,
        [1, "一街道出租屋", "", "出租房屋", "一街道", "和平路7号", "低", "", ""],
    ]
    rows.append([2, "一街道出租屋", "", "出租房屋", "一社区", "和平路9号", "低", "", ""])
    preview = ledger_preview("sites", xlsx(rows), user=None, unit=personas.city.T1)
    assert [d.row for d in preview.duplicates] == [3]
    assert [r["_row"] for r in preview.rows_ready] == [4]  # same name, another village


def test_commit_is_all_or_nothing(personas: Any, sectors: Any, monkeypatch: Any) -> None:
    rows = [HEADER] + [
        [i, f"第{i}家工厂", "", "工贸企业", "一社区", f"和平路{i}号", "一般", "", ""]
        for i in range(1, 6)
    ]
    preview = ledger_preview("sites", xlsx(rows), user=None, unit=personas.city.T1)
    assert len(preview.rows_ready) == 5
    original = services.site_create
    calls = {"n": 0}

    def failing(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ValidationError({"name": "boom"})
        return original(**kwargs)

    monkeypatch.setattr(services, "site_create", failing)
    with pytest.raises(LedgerError) as caught:
        ledger_commit("sites", preview, actor=None)
    assert caught.value.row == 5  # the third ready row, as numbered in the sheet
    assert Site.objects.count() == 0
    assert not AuditEvent.objects.filter(action__in=["ledger.import_sites", "site.create"])


def test_a_township_inspector_cannot_import_into_another_township(
    personas: Any, sectors: Any
) -> None:
    inspector = make_person("insp1", personas.city.T1, [(Role.INSPECTOR, personas.city.T1)])
    rows: list[list[Any]] = [
        HEADER,
        [1, "二街道机械厂", "", "工贸企业", "二街道", "建设路4号", "较大", "", ""],
    ]
    rows.append([2, "一街道机械厂", "", "工贸企业", "一街道", "建设路5号", "较大", "", ""])
    into_t2 = ledger_preview("sites", xlsx(rows), user=inspector, unit=personas.city.T2)
    assert into_t2.rows_ready == []
    assert {(e.row, e.code) for e in into_t2.errors} == {
        (3, "unit_out_of_scope"),
        (4, "unit_out_of_scope"),
    }
    # in their own township only their own rows are ready
    into_t1 = ledger_preview("sites", xlsx(rows), user=inspector, unit=personas.city.T1)
    assert [r["_row"] for r in into_t1.rows_ready] == [4]
    assert ledger_commit("sites", into_t1, actor=inspector)["created"] == 1
    assert Site.objects.get().created_by == inspector


def test_without_a_unit_column_the_rows_go_into_the_chosen_township(
    personas: Any, sectors: Any
) -> None:
    rows = [
        ["单位名称", "行业", "地址", "风险等级"],
        ["兴旺超市", "人员密集场所", "和平路2号", "低"],
    ]
    preview = ledger_preview("sites", xlsx(rows, title=None), user=None, unit=personas.city.T2)
    assert preview.rows_ready[0]["_unit"] == personas.city.T2
    district = ledger_preview("sites", xlsx(rows, title=None), user=None, unit=personas.city.D1)
    assert [e.code for e in district.errors] == ["unit_required"]


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("11_duplicates", "风险等级"),
        ("08_fullwidth_headers", "地址"),
        ("12_cover_sheet_first", "地址"),
    ],
)
def test_corpus_site_ledgers_without_a_required_column_are_refused_whole(
    personas: Any, sectors: Any, name: str, missing: str
) -> None:
    """The corpus's site ledgers keep no address or no risk level, which a site needs."""
    preview = ledger_preview("sites", CORPUS / f"{name}.xlsx", user=None, unit=personas.city.T1)
    assert preview.rows_ready == []
    assert (missing, "missing_column") in [(e.column, e.code) for e in preview.errors]
    assert all(e.code == "missing_column" for e in preview.errors)
    assert Site.objects.count() == 0
