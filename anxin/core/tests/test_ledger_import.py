"""The ledger engine (anxin.core.ledger_import): every file of the messy corpus against its
expected result, each cell parser, whole-file errors, and the date parser's round trip.

The corpus lives in data/ledgers/ and is written by data/ledgers/make_corpus.py.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from anxin.core import ledger_import
from anxin.core.ledger_import import (
    DATE_MAX,
    DATE_MIN,
    Choice,
    Field,
    Integer,
    LedgerSpec,
    ParseContext,
    ParseError,
    Text,
    as_bool,
    as_credit_code,
    as_date,
    as_money,
    normalize_header,
    parse_bool,
    parse_date,
    parse_integer,
    parse_money,
    read_ledger,
)

pytestmark = pytest.mark.smoke

CORPUS = Path(__file__).parent / "data" / "ledgers"

# The two specs the corpus is read with: what the safety app's site and hazard imports declare.
HAZARDS = LedgerSpec(
    fields=[
        Field("site", ["单位名称", "企业名称", "检查对象", "被检查单位"], required=True),
        Field("credit_code", ["统一社会信用代码", "信用代码", "社会信用代码"], as_credit_code),
        Field("description", ["隐患描述", "存在问题", "隐患内容", "问题描述"], required=True),
        Field(
            "grade",
            ["隐患等级", "隐患级别", "隐患类别"],
            Choice({"general": ["一般", "一般隐患"], "major": ["重大", "重大隐患"]}),
            default="general",
        ),
        Field("found_on", ["检查日期", "排查日期", "发现日期", "检查时间"], as_date),
        Field("measures", ["整改措施"]),
        Field("deadline", ["整改期限", "完成时限", "整改时限"], as_date, required=True),
        Field(
            "status",
            ["完成情况", "整改完成情况", "是否完成"],
            Choice(
                {
                    "done": ["已整改", "已完成", "完成"],
                    "rectifying": ["整改中", "未完成", "正在整改"],
                }
            ),
        ),
        Field("funds", ["整改资金", "投入资金", "整改投入"], as_money),
        Field("responsible", ["责任人", "整改责任人"], Text(max_length=50)),
    ],
    key=("site", "description"),
)
RISK_LEVELS = Choice(
    {
        "red": ["重大风险", "重大", "红", "红色"],
        "orange": ["较大风险", "较大", "橙", "橙色"],
        "yellow": ["一般风险", "一般", "黄", "黄色"],
        "blue": ["低风险", "低", "蓝", "蓝色"],
    }
)
SITES = LedgerSpec(
    fields=[
        Field("name", ["单位名称", "企业名称", "场所名称"], required=True),
        Field("credit_code", ["统一社会信用代码", "信用代码"], as_credit_code, required=True),
        Field("sector", ["行业领域", "所属行业", "行业类别"]),
        Field("address", ["地址", "经营地址", "详细地址", "单位地址"]),
        Field("employees", ["从业人员数", "从业人数", "员工人数"], Integer(min_value=0)),
        Field("risk_level", ["风险等级", "风险级别"], RISK_LEVELS),
        Field("licence_expiry", ["许可证有效期", "有效期至", "证照有效期"], as_date),
        Field("has_plan", ["是否有应急预案", "应急预案"], as_bool),
    ],
    key=("credit_code",),
)
SPECS = {"hazards": HAZARDS, "sites": SITES}

EXPECTED = sorted(CORPUS.glob("*.expected.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _shown(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _read(name: str, **options: Any):
    expected = _load(CORPUS / f"{name}.expected.json")
    spec = SPECS[expected["spec"]]
    return read_ledger(
        CORPUS / expected["file"], spec, **{**expected.get("options", {}), **options}
    )


# --- the corpus ----------------------------------------------------------------------------


def test_the_corpus_has_at_least_ten_ledgers():
    assert len(EXPECTED) >= 10
    for path in EXPECTED:
        assert (CORPUS / _load(path)["file"]).exists(), path


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_each_ledger_gives_its_expected_result(path):
    expected = _load(path)
    preview = read_ledger(
        CORPUS / expected["file"], SPECS[expected["spec"]], **expected.get("options", {})
    )

    errors = [{"row": e.row, "column": e.column, "code": e.code} for e in preview.errors]
    assert errors == expected["errors"]
    assert [{"row": d.row, "key": d.key} for d in preview.duplicates] == expected["duplicates"]
    assert preview.rows_read == expected["rows_read"]
    assert len(preview.rows_ready) == expected["rows_ready"]
    if "sheet" in expected:
        assert preview.sheet == expected["sheet"]
    if "header_rows" in expected:
        assert list(preview.header_rows) == expected["header_rows"]
    for field, header in expected.get("columns", {}).items():
        assert preview.columns[field] == header, field

    ready = {str(record["_row"]): record for record in preview.rows_ready}
    for row, fields in expected.get("values", {}).items():
        assert row in ready, f"row {row} is not ready"
        assert {name: _shown(ready[row][name]) for name in fields} == fields, f"row {row}"

    as_json = preview.to_json()
    assert as_json["rows_ready"] == expected["rows_ready"]
    assert as_json["duplicates"] == expected["duplicates"]
    assert [{k: e[k] for k in ("row", "column")} for e in as_json["errors"]] == [
        {"row": e["row"], "column": e["column"]} for e in expected["errors"]
    ]


@pytest.mark.parametrize(
    "path",
    [p for p in EXPECTED if not p.name.startswith("14_formulas")],
    ids=lambda p: p.name.removesuffix(".expected.json"),
)
def test_the_xls_reader_gives_the_same_results(path, monkeypatch):
    """.xls goes through python-calamine; calamine reads .xlsx too, so the corpus checks it.
    (Not the formulas file: calamine reads a missing or failed result as an empty cell.)"""
    pytest.importorskip("python_calamine")
    monkeypatch.setattr(ledger_import, "_openpyxl_book", ledger_import._calamine_book)
    expected = _load(path)
    options = expected.get("options", {})
    preview = read_ledger(CORPUS / expected["file"], SPECS[expected["spec"]], **options)
    errors = [{"row": e.row, "column": e.column, "code": e.code} for e in preview.errors]
    assert errors == expected["errors"]
    assert [{"row": d.row, "key": d.key} for d in preview.duplicates] == expected["duplicates"]
    assert (preview.rows_read, len(preview.rows_ready)) == (
        expected["rows_read"],
        expected["rows_ready"],
    )
    ready = {str(record["_row"]): record for record in preview.rows_ready}
    for row, fields in expected.get("values", {}).items():
        assert {name: _shown(ready[row][name]) for name in fields} == fields, f"row {row}"


def test_the_committed_corpus_is_what_its_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = module.build(tmp_path)
    assert sorted(f"{n}.expected.json" for n in names) == [p.name for p in EXPECTED]
    for name in names:
        committed = CORPUS / f"{name}.expected.json"
        assert (tmp_path / committed.name).read_bytes() == committed.read_bytes(), committed.name
        # compare what the workbooks hold, not their compressed bytes (zlib versions differ)
        with (
            zipfile.ZipFile(tmp_path / f"{name}.xlsx") as new,
            zipfile.ZipFile(CORPUS / f"{name}.xlsx") as old,
        ):
            assert new.namelist() == old.namelist(), name
            for entry in new.namelist():
                assert new.read(entry) == old.read(entry), f"{name}.xlsx: {entry}"


def test_json_has_exactly_the_contract_keys():
    doc = _read("10_bad_values").to_json()
    assert set(doc) == {"rows_read", "rows_ready", "duplicates", "errors"}
    assert doc["rows_read"] == 10 and doc["rows_ready"] == 2
    assert all(set(e) == {"row", "column", "message"} for e in doc["errors"])
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
    dupes = _read("11_duplicates").to_json()["duplicates"]
    assert all(set(d) == {"row", "key"} for d in dupes)


def test_messages_are_in_chinese():
    preview = _read("10_bad_values")
    with translation.override("zh-hans"):
        messages = {(e.row, e.column): e.message for e in preview.errors}
        assert (
            messages[(4, "整改期限")]
            == "“2026年2月30日”不是有效日期（请写作2026年3月5日或2026-03-05）。"
        )
        assert messages[(5, "隐患等级")] == "“特大”不是可选值之一：一般、重大。"
        assert messages[(6, "整改期限")] == "“3月5日”没有写年份。"
        assert messages[(7, "隐患描述")] == "此项必填。"
        assert messages[(9, "整改资金")] == "-200小于0。"
        assert messages[(10, "整改期限")] == "“300”被读作1900-10-26，不在1950年至2100年之间。"
        missing = _read("09_missing_required_column").errors[0].message
        assert missing == "缺少必填列“隐患描述”（也可写作：存在问题、隐患内容、问题描述）。"
        formula = _read("14_formulas").to_json()["errors"]
        assert formula[0]["message"].startswith("该单元格的公式没有保存计算结果")
        assert formula[1]["message"] == "该单元格的公式结果为错误值#DIV/0!。"
    with translation.override("en"):
        assert preview.errors[0].message.startswith("“2026年2月30日” is not a date")


def test_progress_is_reported_every_thousand_rows() -> None:
    # Speed is measured in bench/, not asserted in tests (docs/ledger-import.md quotes it).
    calls: list[int] = []
    preview = _read("13_large_10k_rows", progress=calls.append)
    assert calls == [1000 * i for i in range(1, 11)] + [10_000]
    assert preview.rows_read == 10_000


def test_too_many_rows_is_a_whole_file_error():
    preview = _read("13_large_10k_rows", max_rows=100)
    assert preview.rows_read == 100
    assert preview.errors[-1].code == "too_many_rows" and preview.errors[-1].row is None


# --- sources, sheets and whole-file errors -------------------------------------------------


def test_a_path_bytes_or_an_open_upload_read_the_same():
    path = CORPUS / "01_title_merged_header.xlsx"
    by_path = read_ledger(path, HAZARDS).to_json()
    assert read_ledger(str(path), HAZARDS).to_json() == by_path
    assert read_ledger(path.read_bytes(), HAZARDS).to_json() == by_path
    with path.open("rb") as upload:
        upload.read(100)  # a caller that already sniffed the upload
        assert read_ledger(upload, HAZARDS).to_json() == by_path


def test_a_named_sheet_or_its_index_is_read():
    assert _read("12_cover_sheet_first", sheet="企业名单").rows_read == 3
    assert _read("12_cover_sheet_first", sheet=2).rows_read == 3
    cover = _read("12_cover_sheet_first", sheet="封面")  # read as asked: a header, no rows
    assert (cover.header_rows, cover.rows_read, cover.errors) == ((6,), 0, [])
    lists = read_ledger(CORPUS / "12_cover_sheet_first.xlsx", HAZARDS, sheet="选项")
    assert [(e.row, e.code) for e in lists.errors] == [(None, "no_header")]
    missing = _read("12_cover_sheet_first", sheet="汇总表")
    assert missing.errors[0].code == "sheet_not_found"
    assert missing.errors[0].params["sheets"] == "选项、封面、企业名单"


def _workbook_bytes(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "content,code",
    [
        (b"<html><table><tr><td>\xe5\x8d\x95\xe4\xbd\x8d</td></tr></table></html>", "not_excel"),
        (b"", "not_excel"),
        (b"PK\x03\x04 not really a zip", "unreadable_file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "unreadable_file"),
        (_workbook_bytes([["会议签到表"], ["姓名", "单位", "电话"]]), "no_header"),
    ],
)
def test_whole_file_errors(content, code):
    if code == "unreadable_file" and content.startswith(b"\xd0"):
        pytest.importorskip("python_calamine")
    preview = read_ledger(content, HAZARDS)
    assert [(e.row, e.column, e.code) for e in preview.errors] == [(None, None, code)]
    assert preview.rows_read == 0 and preview.rows_ready == []
    with translation.override("zh-hans"):
        assert preview.errors[0].message  # translated, no KeyError on parameters


def test_an_xls_without_calamine_asks_for_xlsx(monkeypatch):
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import fails
    preview = read_ledger(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, HAZARDS)
    assert [e.code for e in preview.errors] == ["xls_unsupported"]


def test_a_caller_can_reject_a_ready_row():
    preview = _read("01_title_merged_header")
    record = preview.rows_ready[2]
    preview.reject(record, "site", "找不到该单位", code="site_not_found")
    assert len(preview.rows_ready) == 5
    assert preview.to_json()["errors"] == [
        {"row": 7, "column": "单位名称", "message": "找不到该单位"}
    ]


def test_spec_mistakes_are_caught_when_declared():
    with pytest.raises(ValueError):
        LedgerSpec(fields=[Field("a", ["甲"]), Field("a", ["乙"])])
    with pytest.raises(ValueError):
        LedgerSpec(fields=[Field("a", [])])
    with pytest.raises(ValueError):
        LedgerSpec(fields=[Field("a", ["甲"])], key=("b",))
    with pytest.raises(ValueError):
        Choice({"x": ["一般"], "y": ["一般"]})


def test_a_key_function_and_rows_without_a_key():
    content = _workbook_bytes(
        [["单位名称", "隐患描述", "整改期限"]]
        + [["甲", "问题", "2026-03-01"], ["甲", "问题", "2026-03-02"], ["乙", "问题", "2026-03-01"]]
    )
    by_deadline = LedgerSpec(HAZARDS.fields, key=lambda r: r["deadline"])
    preview = read_ledger(content, by_deadline)
    assert [(d.row, d.key, d.first_row) for d in preview.duplicates] == [(4, "2026-03-01", 2)]
    assert len(read_ledger(content, LedgerSpec(HAZARDS.fields)).rows_ready) == 3


# --- parsers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2026年3月5日", dt.date(2026, 3, 5)),
        ("2026年03月05号", dt.date(2026, 3, 5)),
        ("2026 年 3 月 5 日", dt.date(2026, 3, 5)),
        ("2026.3.5", dt.date(2026, 3, 5)),
        ("2026.03.05.", dt.date(2026, 3, 5)),
        ("2026/3/5", dt.date(2026, 3, 5)),
        ("2026-03-05", dt.date(2026, 3, 5)),
        ("2026-03-05T08:30:00", dt.date(2026, 3, 5)),
        ("2026-03-05 8:30", dt.date(2026, 3, 5)),
        ("2026年3月5日14时", dt.date(2026, 3, 5)),
        ("20260305", dt.date(2026, 3, 5)),
        ("２０２６／３／５", dt.date(2026, 3, 5)),
        ("二〇二六年十二月三十一日", dt.date(2026, 12, 31)),
        ("3月5日", dt.date(2025, 3, 5)),
        ("12/31", dt.date(2025, 12, 31)),
        ("46086", dt.date(2026, 3, 5)),
        (46086, dt.date(2026, 3, 5)),
        (46086.99, dt.date(2026, 3, 5)),
        (Decimal("46086"), dt.date(2026, 3, 5)),
        (20260305, dt.date(2026, 3, 5)),
        (dt.datetime(2026, 3, 5, 23, 59), dt.date(2026, 3, 5)),
        (dt.date(2026, 3, 5), dt.date(2026, 3, 5)),
    ],
)
def test_parse_date_accepts(value, expected):
    assert parse_date(value, default_year=2025) == expected


@pytest.mark.parametrize(
    "value,code",
    [
        ("2026年2月29日", "bad_date"),
        ("2026-13-01", "bad_date"),
        ("下周", "bad_date"),
        ("立即整改", "bad_date"),
        ("2026年3月", "bad_date"),
        ("2026.3.5-2026.3.10", "bad_date"),
        (True, "bad_date"),
        (float("nan"), "bad_date"),
        (dt.time(8, 30), "bad_date"),
        ("3月5日", "date_without_year"),
        (300, "date_out_of_range"),
        ("2162-01-01", "date_out_of_range"),
        (10**12, "bad_date"),
    ],
)
def test_parse_date_refuses(value, code):
    with pytest.raises(ParseError) as refused:
        parse_date(value)
    assert refused.value.code == code


def test_a_1904_workbook_counts_serials_from_1904():
    assert parse_date(44624, epoch=dt.datetime(1904, 1, 1)) == dt.date(2026, 3, 5)


_DATE_FORMS = [
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: d.isoformat(),
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d.month}月{d.day}日",  # read in the default year, d.year below
    lambda d: (d - dt.date(1899, 12, 30)).days,  # an Excel serial
    lambda d: dt.datetime.combine(d, dt.time(15, 45)),
    lambda d: f"{d.year}年{d.month}月{d.day}日".translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}  # full-width digits
    ),
]


@given(
    st.dates(min_value=DATE_MIN, max_value=DATE_MAX),
    st.sampled_from(range(len(_DATE_FORMS))),
)
def test_a_written_date_reads_back_as_itself(day, form):
    assert parse_date(_DATE_FORMS[form](day), default_year=day.year) == day


@pytest.mark.parametrize(
    "value,expected",
    [
        (12, 12),
        (12.0, 12),
        (Decimal("12"), 12),
        ("12", 12),
        (" １２ ", 12),
        ("1,200", 1200),
        ("30人", 30),
        ("3处", 3),
        ("十二", 12),
        ("二十五家", 25),
        ("-3", -3),
    ],
)
def test_parse_integer_accepts(value, expected):
    assert parse_integer(value) == expected


@pytest.mark.parametrize("value", [12.5, "12.5", "3万", "abc", "12kg", True, "", "一百"])
def test_parse_integer_refuses(value):
    with pytest.raises(ParseError) as refused:
        parse_integer(value)
    assert refused.value.code == "bad_integer"


def test_integer_ranges():
    assert Integer(min_value=0)(0) == 0
    for value, bounds, code in [
        (-1, {"min_value": 0}, "too_small"),
        (11, {"max_value": 10}, "too_large"),
    ]:
        with pytest.raises(ParseError) as refused:
            Integer(**bounds)(value)
        assert refused.value.code == code


@pytest.mark.parametrize(
    "value,expected",
    [
        (1200, Decimal("1200")),
        (1200.5, Decimal("1200.50")),
        (0.1 + 0.2, Decimal("0.30")),
        ("1200", Decimal("1200")),
        ("1,200元", Decimal("1200")),
        ("1，200元", Decimal("1200")),
        ("1.2万元", Decimal(12000)),
        ("1.2万", Decimal(12000)),
        ("3千元", Decimal(3000)),
        ("0.5亿元", Decimal(50_000_000)),
        ("¥1,200.50", Decimal("1200.50")),
        ("￥800", Decimal(800)),
        ("人民币500元整", Decimal(500)),
        ("１２００元", Decimal(1200)),
        ("0", Decimal(0)),
        ("1.005", Decimal("1.01")),
    ],
)
def test_parse_money_accepts(value, expected):
    assert parse_money(value) == expected


@pytest.mark.parametrize(
    "value,code",
    [
        ("五百元", "bad_amount"),
        ("约1000元", "bad_amount"),
        ("1000美元", "bad_amount"),
        (True, "bad_amount"),
        (float("inf"), "bad_amount"),
        ("-200", "too_small"),
        (-0.01, "too_small"),
    ],
)
def test_parse_money_refuses(value, code):
    with pytest.raises(ParseError) as refused:
        parse_money(value)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "header,value,expected",
    [
        ("整改资金（万元）", 1.5, Decimal(15000)),
        ("整改资金（万元）", "1.5", Decimal(15000)),
        ("整改资金（万元）", "500元", Decimal(500)),  # a unit in the cell wins
        ("整改资金(千元)", 2, Decimal(2000)),
        ("整改资金（元）", 2, Decimal(2)),
        ("整改资金", "2万元", Decimal(20000)),
    ],
)
def test_a_money_column_may_count_in_ten_thousands(header, value, expected):
    assert as_money(value, ParseContext(header=header)) == expected


@pytest.mark.parametrize(
    "values,expected",
    [
        (["是", "√", "✓", "✔", "有", "Y", "yes", "TRUE", "1", 1, True, "是 "], True),
        (["否", "×", "✗", "✘", "x", "X", "无", "N", "no", "false", "0", 0, False], False),
    ],
)
def test_parse_bool(values, expected):
    for value in values:
        assert parse_bool(value) is expected, value


@pytest.mark.parametrize("value", ["也许", "2", 2, "已整改"])
def test_parse_bool_refuses(value):
    with pytest.raises(ParseError) as refused:
        parse_bool(value)
    assert refused.value.code == "bad_boolean"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("一般", "general"),
        ("一般隐患", "general"),
        (" 一般 隐患 ", "general"),
        ("重大", "major"),
        ("重大隐患", "major"),
        ("MAJOR", "major"),
        ("major", "major"),
    ],
)
def test_choice(value, expected):
    assert (
        Choice({"general": ["一般", "一般隐患"], "major": ["重大", "重大隐患"]})(value) == expected
    )


def test_choice_refuses_and_lists_the_labels():
    with pytest.raises(ParseError) as refused:
        Choice({"general": ["一般", "一般隐患"], "major": ["重大", "重大隐患"]})("特大")
    assert refused.value.code == "bad_choice"
    assert refused.value.params == {"value": "特大", "choices": "一般、重大"}


@pytest.mark.parametrize(
    "value,expected",
    [
        ("91310110666007217T", "91310110666007217T"),
        ("91310110666007217t", "91310110666007217T"),
        (" 913101 106660 07217T ", "91310110666007217T"),
        ("913101-10666007217T", "91310110666007217T"),
        ("９１３１０１１０６６６００７２１７Ｔ", "91310110666007217T"),
        ("91350100M0001TGQXM", "91350100M0001TGQXM"),  # fails its check character: a warning
        (913101106660072170, "913101106660072170"),
    ],
)
def test_credit_code(value, expected):
    assert as_credit_code(value) == expected


@pytest.mark.parametrize("value", ["91310110666007217I", "9131011066600721", 9.131e17, True])
def test_credit_code_refuses(value):
    with pytest.raises(ParseError) as refused:
        as_credit_code(value)
    assert refused.value.code == "bad_credit_code"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("  消防通道\r\n堵塞 ", "消防通道\n堵塞"),
        (12, "12"),
        (12.0, "12"),
        (12.5, "12.5"),
        (dt.datetime(2026, 3, 5), "2026-03-05"),
        (True, "是"),
    ],
)
def test_text(value, expected):
    assert Text()(value) == expected


def test_text_length():
    assert Text(max_length=3)("三个字") == "三个字"
    with pytest.raises(ParseError) as refused:
        Text(max_length=3)("四个汉字")
    assert refused.value.code == "too_long"


@pytest.mark.parametrize(
    "header,expected",
    [
        ("整改期限", "整改期限"),
        ("整改\n期限", "整改期限"),
        ("整改期限（天）", "整改期限"),
        ("整改期限(天)", "整改期限"),
        ("单位　名称", "单位名称"),
        ("*单位名称", "单位名称"),
        ("风险等级★", "风险等级"),
        ("单位名称：", "单位名称"),
        ("统一社会信用代码【18位】", "统一社会信用代码"),
        ("整改情况／整改期限", "整改情况/整改期限"),
        ("No.", "no."),
        (None, ""),
    ],
)
def test_normalize_header(header, expected):
    assert normalize_header(header) == expected


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_a_plain_xlsx_is_read_by_calamine_with_the_values_openpyxl_gives(path, monkeypatch):
    """A sheet without error values or formulas lacking a result is read with calamine; the
    preview is exactly the one of openpyxl's streaming parser (values and their types)."""
    pytest.importorskip("python_calamine")
    expected = _load(path)
    options = expected.get("options", {})
    used: list[str] = []
    real_calamine_rows = ledger_import._calamine_rows

    def spy(workbook, name):
        used.append(name)
        return real_calamine_rows(workbook, name)

    monkeypatch.setattr(ledger_import, "_calamine_rows", spy)
    fast = read_ledger(CORPUS / expected["file"], SPECS[expected["spec"]], **options)
    monkeypatch.setattr(
        ledger_import._OpenpyxlSheet, "rows", ledger_import._OpenpyxlSheet._openpyxl_rows
    )
    slow = read_ledger(CORPUS / expected["file"], SPECS[expected["spec"]], **options)
    assert fast == slow
    assert [type(v) for r in fast.rows_ready for v in r.values()] == [
        type(v) for r in slow.rows_ready for v in r.values()
    ]
    # formulas saved without a result (a 合计 by openpyxl) and error values need openpyxl
    needs_openpyxl = path.name.startswith(("07_total_row", "14_formulas"))
    assert bool(used) is not needs_openpyxl


@pytest.mark.parametrize(
    ("xml", "plain"),
    [
        (b'<c r="A2" t="s"><v>3</v></c>', True),
        (b'<c r="A2"><f>SUM(A1:A1)</f><v>5</v></c>', True),
        (b'<c r="A2"><f>SUM(A1:A1)</f></c>', False),
        (b'<c r="A2"><f>SUM(A1:A1)</f><v></v></c>', False),
        (b'<x:c r="A2"><x:f t="shared" si="0"/></x:c>', False),
        (b'<c r="A2" t="e"><v>#DIV/0!</v></c>', False),
        (b"<c r='A2' t='e'><v>#N/A</v></c>", False),
    ],
)
def test_what_only_openpyxl_tells_from_an_empty_cell(xml, plain):
    assert (ledger_import._NEEDS_OPENPYXL.search(xml) is None) is plain


def test_the_shared_strings_are_parsed_only_for_a_sheet_openpyxl_reads(monkeypatch):
    """A plain sheet is read by python-calamine: openpyxl's copy of the shared strings (the
    largest part of a big workbook) is never built; a sheet with formulas still gets it."""
    pytest.importorskip("python_calamine")
    parsed: list[str] = []
    original = ledger_import.read_string_table

    def counting(source):
        parsed.append("strings")
        return original(source)

    monkeypatch.setattr(ledger_import, "read_string_table", counting)
    for path in EXPECTED:
        expected = _load(path)
        if not expected["file"].endswith(".xlsx"):
            continue
        with zipfile.ZipFile(CORPUS / expected["file"]) as archive:
            sheets = [archive.read(n) for n in archive.namelist() if "worksheets/sheet" in n]
        formulas = any(b"<f" in xml or b't="e"' in xml for xml in sheets)
        parsed.clear()
        preview = read_ledger(CORPUS / expected["file"], SPECS[expected["spec"]])
        assert bool(parsed) == formulas, path.name
        assert preview.rows_read == expected["rows_read"], path.name
