"""Generate the corpus of messy ledgers that tests anxin.core.ledger_import.

    .venv/bin/python anxin/core/tests/data/ledgers/make_corpus.py [OUTDIR]

Writes, for every case below, ``<name>.xlsx`` and ``<name>.expected.json`` (into this folder by
default). The workbooks imitate ledgers as officials keep them; the expectations are written
here by hand, next to the data they describe — never computed by the engine under test.
Output is deterministic (fixed timestamps in the zip and in docProps/core.xml), so the
committed files can be checked against this script (test_corpus_matches_its_generator).

Expected JSON: ``spec`` ("hazards" or "sites", declared in test_ledger_import.py), optional
``options`` for read_ledger, optional ``sheet``/``header_rows``/``columns`` (field → header as
written), ``rows_read``, ``rows_ready``, ``duplicates`` [{row, key}], ``errors`` [{row, column,
code}] (the message code, not the Chinese text), and ``values``: {row: {field: str(value)}}
for some ready rows.
"""

# The cases are tables of sheet rows: kept one row a line, wider than the formatter's limit.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
FIXED_TIME = dt.datetime(2026, 3, 31, 9, 0, 0)
ZIP_TIME = (2026, 3, 31, 9, 0, 0)

# GB 32100-2015 check character (a copy, so that this script needs nothing but openpyxl)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

Case = Callable[[], tuple[Any, ...]]
CASES: list[Case] = []


def case(fn: Case) -> Case:
    CASES.append(fn)
    return fn


def credit_code(n: int) -> str:
    first17 = f"91310110{n:09d}"
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return first17 + ALPHABET[(31 - total % 31) % 31]


def serial(day: dt.date) -> int:
    """The Excel serial number of a day (1900 date system)."""
    return (day - dt.date(1899, 12, 30)).days


def new_book() -> tuple[Workbook, Worksheet]:
    wb = Workbook()
    wb.properties.creator = "anxin corpus"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    ws = wb.active
    assert ws is not None
    ws.title = "隐患台账"
    return wb, ws


def put(ws: Worksheet, row: int, values: list[Any] | tuple[Any, ...]) -> None:
    for col, value in enumerate(values, start=1):
        if value is not None:
            ws.cell(row=row, column=col, value=value)


def ok(rows: int, **more: Any) -> dict[str, Any]:
    """The expectation for a file whose rows are all ready."""
    return {"rows_read": rows, "rows_ready": rows, "duplicates": [], "errors": [], **more}


D = dt.datetime

# --- the cases -----------------------------------------------------------------------------
# fmt: off


@case
def title_merged_header():
    """A title and a 填报单位 line above a two-row header with merged cells; footer below."""
    wb, ws = new_book()
    put(ws, 1, ["2026年第一季度安全隐患排查整治台账"])
    ws.merge_cells("A1:J1")
    put(ws, 2, ["填报单位：青山镇人民政府（盖章）", None, None, None, None, None, "填报日期：2026年3月31日"])
    ws.merge_cells("A2:E2")
    put(ws, 3, ["序号", "单位名称", "统一社会信用代码", "隐患描述", "隐患等级", "检查日期", "整改情况", None, None, "责任人"])
    put(ws, 4, [None, None, None, None, None, None, "整改措施", "整改期限", "完成情况"])
    for col in "ABCDEFJ":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("G3:I3")
    rows = [
        ("青山化工有限公司", 1, "危化品仓库未设置防爆灯具", "重大隐患", D(2026, 1, 8), "更换防爆灯具", D(2026, 2, 8), "已整改", "陈明"),
        ("青山化工有限公司", 1, "应急预案未备案", "一般隐患", D(2026, 1, 8), "报应急局备案", D(2026, 1, 31), "已整改", "陈明"),
        ("兴旺超市", 2, "安全出口堆放杂物", "一般", D(2026, 1, 15), "清理杂物", D(2026, 1, 16), "已整改", "李娟"),
        ("兴旺超市", 2, "灭火器过期", "一般", D(2026, 1, 15), "更换灭火器", D(2026, 1, 25), "整改中", "李娟"),
        ("红星建筑工地", 3, "脚手架未设置连墙件", "重大", D(2026, 2, 3), "停工整改", D(2026, 3, 5), "整改中", "赵刚"),
        ("红星建筑工地", 3, "临边防护缺失", "一般", D(2026, 2, 3), "加装防护栏", D(2026, 2, 10), "已整改", "赵刚"),
    ]
    for i, (site, n, *rest) in enumerate(rows):
        put(ws, 5 + i, [i + 1, site, credit_code(n), *rest])
        ws[f"F{5 + i}"].number_format = ws[f"H{5 + i}"].number_format = "yyyy/m/d"
    put(ws, 11, ["填表人：王芳", None, None, None, None, "审核人：刘强"])
    put(ws, 12, ["制表日期：2026年3月31日"])
    expected = ok(6, spec="hazards", sheet="隐患台账", header_rows=[3, 4], columns={
        "site": "单位名称", "measures": "整改情况/整改措施", "deadline": "整改情况/整改期限",
        "status": "整改情况/完成情况", "responsible": "责任人",
    })
    values = {
        "5": {"site": "青山化工有限公司", "credit_code": credit_code(1), "grade": "major", "found_on": "2026-01-08",
              "deadline": "2026-02-08", "status": "done", "responsible": "陈明"},
        "9": {"grade": "major", "deadline": "2026-03-05", "status": "rectifying", "measures": "停工整改"},
    }
    return "01_title_merged_header", wb, expected, values


@case
def synonyms_a():
    """Header variant A: 企业名称 / 信用代码 / 存在问题 / 隐患级别 / 排查日期 / 完成时限 / 整改资金."""
    wb, ws = new_book()
    put(ws, 1, ["企业名称", "信用代码", "存在问题", "隐患级别", "排查日期", "完成时限", "整改资金"])
    put(ws, 2, ["顺达物流", credit_code(11), "车辆动态监控未接入", "一般", "2026-01-05", "2026-01-20", "1,200元"])
    put(ws, 3, ["顺达物流", credit_code(11), "驾驶员超时驾驶", "重大", "2026-01-05", "2026-01-10", "1.2万元"])
    put(ws, 4, ["金桥小学", credit_code(12), "校门口无防冲撞设施", "一般", "2026-01-06", "2026-02-28", 800])
    put(ws, 5, ["金桥小学", credit_code(12), "食堂燃气报警器失灵", "一般", "2026-01-06", "2026-01-08", "￥350.50"])
    put(ws, 6, ["鑫源烟花店", credit_code(13), "超量储存烟花爆竹", "重大", "2026-01-07", "2026-01-07", "0元"])
    expected = ok(5, spec="hazards", header_rows=[1], columns={"site": "企业名称", "description": "存在问题", "deadline": "完成时限"})
    values = {
        "2": {"funds": "1200.00", "deadline": "2026-01-20", "grade": "general"},
        "3": {"funds": "12000.00", "grade": "major"},
        "4": {"funds": "800.00"},
        "5": {"funds": "350.50"},
        "6": {"funds": "0.00"},
    }
    return "02_synonyms_variant_a", wb, expected, values


@case
def synonyms_b():
    """Header variant B, with a money column counted in 万元 and an empty grade (the default)."""
    wb, ws = new_book()
    put(ws, 1, ["重点行业领域安全隐患整改台账"])
    put(ws, 2, ["序号", "检查对象", "问题描述", "隐患类别", "发现日期", "整改时限", "整改完成情况", "整改资金（万元）"])
    put(ws, 3, [1, "东方旅馆", "消防喷淋系统故障", "重大隐患", "2026.2.1", "2026.3.1", "正在整改", 1.5])
    put(ws, 4, [2, "东方旅馆", "疏散指示标志损坏", "一般隐患", "2026.2.1", "2026.2.5", "已完成", "0.2"])
    put(ws, 5, [3, "阳光KTV", "包厢内使用易燃装修材料", None, "2026.2.2", "2026.2.20", "未完成", None])
    put(ws, 6, [4, "阳光KTV", "安全出口锁闭", "一般隐患", "2026.2.2", "2026.2.2", "已完成", "500元"])
    expected = ok(4, spec="hazards", header_rows=[2], columns={"site": "检查对象", "funds": "整改资金（万元）", "status": "整改完成情况"})
    values = {
        "3": {"funds": "15000.00", "grade": "major", "status": "rectifying", "found_on": "2026-02-01"},
        "4": {"funds": "2000.00", "status": "done"},
        "5": {"funds": "None", "grade": "general"},
        "6": {"funds": "500.00"},
    }
    return "03_synonyms_variant_b", wb, expected, values


@case
def date_formats():
    """One 整改期限 column, the same day written ten ways (3月5日 takes the default year)."""
    wb, ws = new_book()
    put(ws, 1, ["单位名称", "隐患描述", "整改期限"])
    forms: list[Any] = [
        "2026年3月5日", "2026.3.5", "2026/3/5", "2026-03-05", "3月5日", D(2026, 3, 5),
        "20260305", "２０２６年３月５日", "二〇二六年三月五日", "2026-03-05 14:30",
    ]
    for i, form in enumerate(forms):
        put(ws, 2 + i, [f"第{i + 1}家单位", "灭火器压力不足", form])
    expected = ok(10, spec="hazards", options={"default_year": 2026})
    values = {str(2 + i): {"deadline": "2026-03-05"} for i in range(len(forms))}
    return "04_date_formats", wb, expected, values


@case
def excel_serials():
    """Excel serial numbers: date-formatted, plain numbers, with a time of day, kept as text."""
    wb, ws = new_book()
    found, deadline = serial(dt.date(2026, 2, 3)), serial(dt.date(2026, 3, 5))
    put(ws, 1, ["单位名称", "隐患描述", "检查日期", "整改期限"])
    put(ws, 2, ["甲厂", "配电箱未接地", found, deadline])
    ws["C2"].number_format = ws["D2"].number_format = "yyyy-mm-dd"
    put(ws, 3, ["乙厂", "叉车司机无证", found, deadline])  # plain numbers, no date format
    put(ws, 4, ["丙厂", "粉尘未清扫", found + 0.375, deadline + 0.75])
    put(ws, 5, ["丁厂", "有限空间无警示", str(found), str(deadline)])
    put(ws, 6, ["戊厂", "危废暂存不规范", 20260204, 20260305])  # yyyymmdd typed as a number
    expected = ok(5, spec="hazards")
    values = {str(r): {"found_on": "2026-02-03", "deadline": "2026-03-05"} for r in range(2, 6)}
    values["6"] = {"found_on": "2026-02-04", "deadline": "2026-03-05"}
    return "05_excel_serials", wb, expected, values


@case
def blank_rows_footer():
    """Blank rows in the middle (one with only its 序号), section headings, a 填表人/审核人
    footer, and rows after the footer that are not read."""
    wb, ws = new_book()
    put(ws, 1, ["序号", "单位名称", "隐患描述", "整改期限"])
    put(ws, 2, ["一、住宿餐饮"])
    ws.merge_cells("A2:D2")
    put(ws, 3, [1, "福来酒店", "厨房排油烟管道未清洗", "2026-03-01"])
    put(ws, 4, [2, "福来酒店", "消控室无人值守", "2026-03-02"])
    put(ws, 6, [None, "二、驾驶培训机构"])
    put(ws, 7, [3])
    put(ws, 8, [4, "平安驾校", "教练车制动失灵", "2026-03-03"])
    put(ws, 9, [None, "  ", "/", "—"])
    put(ws, 10, [5, "平安驾校", "训练场无限速标志", "2026-03-04"])
    put(ws, 11, ["填表人：张三          审核人：李四          联系电话：0571-88888888"])
    ws.merge_cells("A11:D11")
    put(ws, 12, [6, "不应读入", "页脚以下的内容", "2026-03-05"])
    expected = ok(4, spec="hazards")
    return "06_blank_rows_and_footer", wb, expected, {"10": {"site": "平安驾校", "deadline": "2026-03-04"}}


@case
def total_row():
    """A 小计 row inside the data (skipped) and a merged 合计 row (reading stops there)."""
    wb, ws = new_book()
    put(ws, 1, ["序号", "单位名称", "隐患描述", "隐患等级", "整改期限", "整改资金"])
    put(ws, 2, [1, "华宇纺织", "车间电线私拉乱接", "一般", "2026-03-10", 300])
    put(ws, 3, [2, "华宇纺织", "消防水池缺水", "一般", "2026-03-10", 500])
    put(ws, 4, ["小计", None, None, None, None, "=F2+F3"])
    put(ws, 5, [3, "恒通机械", "冲床无防护罩", "重大", "2026-03-20", 2000])
    put(ws, 6, [4, "恒通机械", "行车限位失效", "一般", "2026-03-15", 800])
    put(ws, 7, [5, "恒通机械", "未开展安全培训", "一般", "2026-03-30", 0])
    put(ws, 8, ["合计", None, "共5处", None, None, "=SUM(F2:F3,F5:F7)"])
    ws.merge_cells("A8:B8")
    put(ws, 9, [6, "表外备注", "不应读入", "一般", "2026-03-30", 0])
    expected = ok(5, spec="hazards")
    return "07_total_row", wb, expected, {"5": {"grade": "major", "funds": "2000.00"}, "7": {"funds": "0.00"}}


@case
def fullwidth_headers():
    """Headers with an ideographic space, line breaks, a ★ and notes in brackets; full-width
    digits, a lower-case and a spaced credit code, Chinese numerals in the data."""
    wb, ws = new_book()
    ws.title = "企业名单"
    spaced = " ".join([credit_code(23)[:6], credit_code(23)[6:12], credit_code(23)[12:]])
    put(ws, 1, ["单位　名称", "统一社会\n信用代码", "所属\r\n行业", "从业人数（人）", "风险等级★", "许可证有效期（至）", "是否有应急预案"])
    put(ws, 2, ["富民加油站", credit_code(21), "危险化学品", "１２", "较大风险", "２０２７年１２月３１日", "是"])
    put(ws, 3, ["安康养老院", credit_code(22).lower(), "人员密集场所", "３０人", "一般", "2028.6.30", "√"])
    put(ws, 4, ["城西出租屋", spaced, "出租房屋", 3, "低风险", None, "否"])
    put(ws, 5, ["金辉矿业", credit_code(24), "非煤矿山", "二十五", "红色", "2026/12/1", "×"])
    expected = ok(4, spec="sites", columns={"name": "单位　名称", "credit_code": "统一社会信用代码", "sector": "所属行业", "employees": "从业人数（人）"})
    values = {
        "2": {"employees": "12", "risk_level": "orange", "licence_expiry": "2027-12-31", "has_plan": "True"},
        "3": {"credit_code": credit_code(22), "employees": "30", "risk_level": "yellow", "has_plan": "True"},
        "4": {"credit_code": credit_code(23), "employees": "3", "licence_expiry": "None", "has_plan": "False"},
        "5": {"employees": "25", "risk_level": "red", "has_plan": "False"},
    }
    return "08_fullwidth_headers", wb, expected, values


@case
def missing_required_column():
    """No 隐患描述 column under any of its names: one whole-file error naming it."""
    wb, ws = new_book()
    put(ws, 1, ["2026年3月隐患排查台账"])
    put(ws, 2, ["序号", "单位名称", "检查日期", "整改期限", "备注"])
    put(ws, 3, [1, "长江造纸厂", "2026-03-01", "2026-03-15", "复查"])
    put(ws, 4, [2, "长江造纸厂", "2026-03-01", "2026-03-20", None])
    expected = {
        "spec": "hazards", "header_rows": [2], "rows_read": 0, "rows_ready": 0, "duplicates": [],
        "errors": [{"row": 2, "column": "隐患描述", "code": "missing_column"}],
    }
    return "09_missing_required_column", wb, expected, {}


@case
def bad_values():
    """Bad dates and enumerations, an empty required cell, a bad credit code, a negative amount,
    an amount in words and a count read as a date: each reported on its own sheet row."""
    wb, ws = new_book()
    put(ws, 1, ["隐患排查整改台账（读取时不给默认年份）"])
    put(ws, 2, ["单位名称", "统一社会信用代码", "隐患描述", "隐患等级", "整改期限", "整改资金"])
    put(ws, 3, ["大华商场", credit_code(31), "防火卷帘下堆物", "一般", "2026-04-01", 100])
    put(ws, 4, ["大华商场", credit_code(31), "自动报警系统故障", "一般", "2026年2月30日", 100])
    put(ws, 5, ["大华商场", credit_code(31), "电梯维保过期", "特大", "下周", 100])
    put(ws, 6, ["宏发五金", credit_code(32), "仓库无通风", "一般", "3月5日", 100])
    put(ws, 7, ["宏发五金", credit_code(32), None, "一般", "2026-04-01", 100])
    put(ws, 8, ["宏发五金", "91310110666007217I", "配电房无绝缘垫", "一般", "2026-04-01", 100])
    put(ws, 9, ["宏发五金", credit_code(32), "货架超载", "一般", "2026-04-01", "-200"])
    put(ws, 10, ["宏发五金", credit_code(32), "员工未戴安全帽", "一般", 300, 100])
    put(ws, 11, ["宏发五金", credit_code(32), "消防栓被遮挡", "重大", "2026-04-10", "五百"])
    put(ws, 12, ["宏发五金", credit_code(32), "叉车无年检", "重大", "2026-04-10", None])
    expected = {
        "spec": "hazards", "header_rows": [2], "rows_read": 10, "rows_ready": 2, "duplicates": [],
        "errors": [
            {"row": 4, "column": "整改期限", "code": "bad_date"},
            {"row": 5, "column": "隐患等级", "code": "bad_choice"},
            {"row": 5, "column": "整改期限", "code": "bad_date"},
            {"row": 6, "column": "整改期限", "code": "date_without_year"},
            {"row": 7, "column": "隐患描述", "code": "required"},
            {"row": 8, "column": "统一社会信用代码", "code": "bad_credit_code"},
            {"row": 9, "column": "整改资金", "code": "too_small"},
            {"row": 10, "column": "整改期限", "code": "date_out_of_range"},
            {"row": 11, "column": "整改资金", "code": "bad_amount"},
        ],
    }
    return "10_bad_values", wb, expected, {"3": {"deadline": "2026-04-01"}, "12": {"grade": "major", "funds": "None"}}


@case
def duplicates():
    """The same site two or three times (by credit code, written differently)."""
    wb, ws = new_book()
    ws.title = "企业名单"
    put(ws, 1, ["单位名称", "统一社会信用代码", "行业领域", "地址"])
    put(ws, 2, ["宏图印刷厂", credit_code(41), "工贸企业", "工业路1号"])
    put(ws, 3, ["好再来饭店", credit_code(42), "人员密集场所", "人民路8号"])
    put(ws, 4, ["宏图印刷厂（重复）", credit_code(41).lower(), "工贸企业", "工业路1号"])
    put(ws, 5, ["新华书店", credit_code(43), "人员密集场所", "解放路3号"])
    put(ws, 6, ["明珠宾馆", credit_code(44), "旅馆", "滨江路5号"])
    put(ws, 7, ["好再来饭店", " " + credit_code(42) + " ", "人员密集场所", "人民路8号"])
    put(ws, 8, ["宏图印刷厂", credit_code(41), "工贸企业", "工业路1号"])
    expected = {
        "spec": "sites", "rows_read": 7, "rows_ready": 4, "errors": [],
        "duplicates": [
            {"row": 4, "key": credit_code(41)},
            {"row": 7, "key": credit_code(42)},
            {"row": 8, "key": credit_code(41)},
        ],
    }
    return "11_duplicates", wb, expected, {"2": {"name": "宏图印刷厂"}}


@case
def cover_sheet():
    """A hidden sheet of drop-down lists, a cover page whose form looks like a header (but has
    no rows under it), then the ledger on the third sheet."""
    wb, ws = new_book()
    ws.title = "选项"
    put(ws, 1, ["风险等级", "行业领域"])
    put(ws, 2, ["重大风险", "危险化学品"])
    put(ws, 3, ["较大风险", "人员密集场所"])
    ws.sheet_state = "hidden"
    cover = wb.create_sheet("封面")
    put(cover, 3, ["重点行业领域企业基本信息台账"])
    cover.merge_cells("A3:F3")
    put(cover, 6, ["单位名称", "青山镇应急管理办公室", "统一社会信用代码", "11330100MB0000001X"])  # looks like a header
    put(cover, 7, ["填报人", "王芳"])
    put(cover, 9, ["填报说明：1. 请逐家填写；2. 统一社会信用代码为18位。"])
    data = wb.create_sheet("企业名单")
    put(data, 1, ["附件2"])
    put(data, 2, ["序号", "企业名称", "统一社会信用代码", "行业类别", "风险等级", "从业人员数", "有效期至"])
    put(data, 3, [1, "青山化工有限公司", credit_code(1), "危险化学品", "重大风险", 120, D(2027, 5, 1)])
    put(data, 4, [2, "兴旺超市", credit_code(2), "人员密集场所", "一般风险", 35, None])
    put(data, 5, [3, "红星建筑工地", credit_code(3), "建筑施工", "较大风险", 80, "2026年12月31日"])
    data["G3"].number_format = "yyyy年m月d日"
    expected = ok(3, spec="sites", sheet="企业名单", header_rows=[2])
    values = {
        "3": {"name": "青山化工有限公司", "risk_level": "red", "employees": "120", "licence_expiry": "2027-05-01"},
        "5": {"risk_level": "orange", "licence_expiry": "2026-12-31"},
    }
    return "12_cover_sheet_first", wb, expected, values


LARGE_ROWS = 10_000


@case
def large():
    """10,000 generated rows under a title; every 1000th has a bad date, five repeat a row."""
    wb, ws = new_book()
    ws.append(["2026年度隐患排查整治台账（全县汇总）"])
    ws.append(["序号", "单位名称", "统一社会信用代码", "隐患描述", "隐患等级", "检查日期", "整改期限", "整改资金", "责任人"])
    grades = ["一般", "一般隐患", "重大", "一般"]
    errors, dupes = [], []
    for i in range(LARGE_ROWS):
        row, n = 3 + i, i
        if i % 2000 == 1999:  # repeats the row above it
            n = i - 1
            dupes.append({"row": row, "key": f"企业{n // 4:05d} / 隐患{n:05d}：安全管理制度不健全"})
        month, day = 1 + i % 12, 1 + i % 28
        deadline: Any = [f"2026年{month}月{day}日", f"2026.{month}.{day}", D(2026, month, day)][i % 3]
        if i % 1000 == 500:
            deadline = "待定"
            errors.append({"row": row, "column": "整改期限", "code": "bad_date"})
        ws.append([i + 1, f"企业{n // 4:05d}", credit_code(n // 4), f"隐患{n:05d}：安全管理制度不健全",
                   grades[i % 4], D(2026, 1, 1 + i % 28), deadline, (i % 50) * 100, "负责人"])
    ws.append(["填表人：统计员", None, None, "审核人：科长"])
    expected = {
        "spec": "hazards", "header_rows": [2], "rows_read": LARGE_ROWS,
        "rows_ready": LARGE_ROWS - len(errors) - len(dupes), "duplicates": dupes, "errors": errors,
    }
    values = {"3": {"deadline": "2026-01-01", "grade": "general"}, "10001": {"funds": "4800.00", "deadline": "2026-03-03"}}
    return "13_large_10k_rows", wb, expected, values


@case
def formulas():
    """Formulas with saved results are read as their values; one saved without a result and one
    whose result is #DIV/0! are errors of their own rows."""
    wb, ws = new_book()
    put(ws, 1, ["单位名称", "隐患描述", "检查日期", "整改天数", "整改期限", "整改资金"])
    put(ws, 2, ["前进机械厂", "砂轮机无防护罩", D(2026, 3, 1), 4, "=C2+D2", "=2*600"])
    put(ws, 3, ["前进机械厂", "气瓶混放", D(2026, 3, 1), 10, "=C3+D3", 1000])
    put(ws, 4, ["前进机械厂", "车间通道被占", D(2026, 3, 1), 2, "=C4+D4", 0])
    put(ws, 5, ["前进机械厂", "未建立隐患台账", D(2026, 3, 1), 0, "=C5+D5", "=1/D5"])
    for r in range(2, 6):
        ws[f"C{r}"].number_format = ws[f"E{r}"].number_format = "yyyy-mm-dd"
    expected = {
        "spec": "hazards", "rows_read": 4, "rows_ready": 2, "duplicates": [],
        "errors": [
            {"row": 4, "column": "整改期限", "code": "formula_without_value"},
            {"row": 5, "column": "整改资金", "code": "formula_error"},
        ],
    }
    values = {"2": {"deadline": "2026-03-05", "funds": "1200.00"}, "3": {"deadline": "2026-03-11"}}
    # the results Excel saves with its formulas (openpyxl saves none): E4 is left without one
    day = serial(dt.date(2026, 3, 1))
    cached = {"E2": (day + 4, None), "F2": (1200, None), "E3": (day + 10, None), "E5": (day, None), "F5": ("#DIV/0!", "e")}
    return "14_formulas", wb, expected, values, cached


@case
def merged_data_cells():
    """单位名称 and its credit code merged down over each site's hazards, as officials do."""
    wb, ws = new_book()
    put(ws, 1, ["序号", "单位名称", "统一社会信用代码", "隐患描述", "整改期限"])
    put(ws, 2, [1, "永安砖厂", credit_code(51), "窑炉测温仪损坏", "2026-03-10"])
    put(ws, 3, [2, None, None, "皮带机无急停装置", "2026-03-12"])
    put(ws, 4, [3, None, None, "粉尘作业未配口罩", "2026-03-05"])
    put(ws, 5, [4, "平安加油站", credit_code(52), "卸油区静电接地失效", "2026-03-02"])
    put(ws, 6, [5, None, None, "夜间无人巡查记录", "2026-03-09"])
    for col in "BC":
        ws.merge_cells(f"{col}2:{col}4")
        ws.merge_cells(f"{col}5:{col}6")
    expected = ok(5, spec="hazards")
    values = {
        "3": {"site": "永安砖厂", "credit_code": credit_code(51)},
        "4": {"site": "永安砖厂", "description": "粉尘作业未配口罩"},
        "6": {"site": "平安加油站", "credit_code": credit_code(52)},
    }
    return "15_merged_data_cells", wb, expected, values


@case
def centre_across_header():
    """A two-row header typed without merges: the group label sits above its first column only."""
    wb, ws = new_book()
    put(ws, 1, ["单位名称", "隐患描述", "整改情况", None, None, "备注"])
    put(ws, 2, [None, None, "整改措施", "整改期限", "完成情况"])
    put(ws, 3, ["光明眼镜店", "电动车室内充电", "清出室外", "2026-03-01", "已整改", None])
    put(ws, 4, ["光明眼镜店", "灭火器数量不足", "增配2具", "2026-03-03", "已整改", "复查合格"])
    put(ws, 5, ["幸福小吃", "液化气瓶无减压阀", "加装减压阀", "3/8", "整改中", None])
    expected = ok(3, spec="hazards", options={"default_year": 2026}, header_rows=[1, 2], columns={
        "measures": "整改情况/整改措施", "deadline": "整改情况/整改期限", "status": "整改情况/完成情况",
    })
    return "16_centre_across_header", wb, expected, {"5": {"deadline": "2026-03-08", "status": "rectifying", "measures": "加装减压阀"}}


# fmt: on
# --- writing -------------------------------------------------------------------------------

_STAMPS = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
_STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()


def _with_results(xml: bytes, cached: dict[str, tuple[Any, str | None]]) -> bytes:
    """Give formula cells the results Excel would have saved with them."""
    for ref, (value, kind) in cached.items():
        pattern = re.compile(
            rb'<c r="' + ref.encode() + rb'"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?</c>'
        )
        attrs = f' t="{kind}"'.encode() if kind else b""
        replacement = rb'<c r="%s"\1%s><f>\2</f><v>%s</v></c>' % (
            ref.encode(),
            attrs,
            str(value).encode(),
        )
        xml, count = pattern.subn(replacement, xml)
        assert count == 1, f"formula cell {ref} not found"
    return xml


_INLINE = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"([^>]*?) t="inlineStr"([^>]*)><is><t([^>]*)>(.*?)</t></is></c>', re.S
)
_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SST_TYPE = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_SST_CONTENT = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _share_strings(parts: dict[str, bytes]) -> None:
    """Move text into xl/sharedStrings.xml, as Excel and WPS save it (openpyxl writes it inline)."""
    table: dict[tuple[bytes, bytes], int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        ref, before, after, t_attrs, text = match.groups()
        index = table.setdefault((t_attrs, text), len(table))
        return b'<c r="%s"%s t="s"%s><v>%d</v></c>' % (ref, before, after, index)

    for name in parts:
        if name.startswith("xl/worksheets/sheet"):
            parts[name] = _INLINE.sub(shared, parts[name])
    items = b"".join(b"<si><t%s>%s</t></si>" % key for key in table)
    count = len(table)
    parts["xl/sharedStrings.xml"] = b'<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>' % (
        _MAIN,
        count,
        count,
        items,
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/></Types>' % _SST_CONTENT,
    )
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        b'<Relationship Type="%s" Target="sharedStrings.xml" Id="rIdSst"/></Relationships>'
        % _SST_TYPE,
    )


def save(wb: Workbook, path: Path, cached: dict[str, tuple[Any, str | None]] | None = None) -> None:
    """Save as Excel would (shared strings, saved formula results) with fixed timestamps, so
    that the same script always writes the same files."""
    raw = io.BytesIO()
    wb.save(raw)
    with zipfile.ZipFile(raw) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    parts["docProps/core.xml"] = _STAMPS.sub(
        rb"\g<1>" + _STAMP + rb"\g<2>", parts["docProps/core.xml"]
    )
    if cached:
        parts["xl/worksheets/sheet1.xml"] = _with_results(parts["xl/worksheets/sheet1.xml"], cached)
    _share_strings(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data, compresslevel=6)
    path.write_bytes(out.getvalue())


def build(outdir: Path = HERE) -> list[str]:
    """Write every case into ``outdir``; returns the names written."""
    outdir.mkdir(parents=True, exist_ok=True)
    names = []
    for make in CASES:
        name, wb, expected, values, *cached = make()
        save(wb, outdir / f"{name}.xlsx", cached[0] if cached else None)
        doc = {"file": f"{name}.xlsx", "about": " ".join((make.__doc__ or "").split()), **expected}
        if values:
            doc["values"] = values
        text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        (outdir / f"{name}.expected.json").write_text(text, encoding="utf-8")
        names.append(name)
    return names


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for written in build(target):
        print(target / f"{written}.xlsx")
