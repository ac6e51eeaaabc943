"""The hazard ledger import at scale (issue 7: ".xlsx import of a 100k-row ledger, rows/s").

``make_hazard_ledger`` writes a ledger as a township keeps it: a title line and a 填报单位 line
above a two-row header with merged cells (``整改情况`` over 整改措施 | 整改期限 | 整改责任人 |
整改资金), Chinese text, dates written five ways (date cells, 2026年3月5日, 2026.3.5, 2026-03-05,
20260305), amounts as 1.2万元 or plain numbers, a few bad rows (an unreadable date, an unknown
site, a deadline before the day found, a duplicate) and a 填表人/审核人 footer. The sites are
existing ones (by credit code, some by name only).

``measure_import`` times the whole user path the import page takes (``views_ledgers``):
upload → ``ledger_preview`` (read, check every row against the database) → confirm →
``ledger_preview`` again on the stored file (the page re-reads it and compares digests) →
``ledger_commit`` (every ready row saved in one transaction). Rows per second are the rows read
divided by the whole time.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: 1 row in N is bad in each way (a bad date, an unknown site, a deadline before the day found)
BAD_EVERY = 2_000

PROBLEMS = [
    "灭火器过期未更换",
    "安全出口堵塞",
    "疏散通道堆放杂物",
    "电线私拉乱接",
    "配电箱无门无锁",
    "应急照明灯损坏",
    "消防栓被遮挡",
    "液化气瓶未设置防倾倒装置",
    "员工未经安全培训上岗",
    "危化品存放不规范",
    "高处作业未系安全带",
    "特种设备未定期检验",
]
PLACES = ["一楼仓库", "二楼车间", "厨房", "配电房", "楼梯间", "办公区", "停车场", "屋顶"]
MEASURES = ["立即整改", "更换设备", "清理通道", "组织培训", "加装防护装置", "委托检验"]
PEOPLE = ["张伟", "王芳", "李强", "刘洋", "陈静", "杨帆", "赵磊", "黄丽"]


def _date_cell(day: dt.date, style: int) -> Any:
    """One date written in one of five ways officials use."""
    if style == 0:
        return day  # a date cell
    if style == 1:
        return f"{day.year}年{day.month}月{day.day}日"
    if style == 2:
        return f"{day.year}.{day.month}.{day.day}"
    if style == 3:
        return day.isoformat()
    return day.year * 10000 + day.month * 100 + day.day  # 20260305 typed as a number


def make_hazard_ledger(
    path: Path, sites: list[tuple[str, str]], rows: int, *, seed: int = 1, today: dt.date
) -> dict[str, int]:
    """Write ``rows`` hazard rows on ``sites`` ((name, credit code) pairs; a row names its site
    by code, one in ten by name only) to ``path``. Returns the bad rows written, by kind."""
    import xlsxwriter

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = book.add_worksheet("隐患台账")
    date_format = book.add_format({"num_format": "yyyy年m月d日"})
    centred = book.add_format({"align": "center", "valign": "vcenter", "bold": True})
    sheet.merge_range(0, 0, 0, 11, f"{today.year}年安全隐患排查整治台账", centred)
    sheet.merge_range(1, 0, 1, 11, "填报单位：（盖章）", None)
    single = [
        "序号",
        "单位名称",
        "统一社会信用代码",
        "隐患描述",
        "隐患部位",
        "隐患等级",
        "发现日期",
    ]
    for col, label in enumerate(single):
        sheet.merge_range(2, col, 3, col, label, centred)
    sheet.merge_range(2, 7, 2, 10, "整改情况", centred)
    for col, label in enumerate(["整改措施", "整改期限", "整改责任人", "整改资金"], start=7):
        sheet.write(3, col, label, centred)
    sheet.merge_range(2, 11, 3, 11, "备注", centred)
    bad = {"bad_date": 0, "site_not_found": 0, "deadline_before_found": 0, "duplicate": 0}
    previous: list[Any] | None = None
    for i in range(rows):
        name, code = sites[i % len(sites)]
        found = today - dt.timedelta(days=rng.randrange(1, 360))
        deadline = found + dt.timedelta(days=rng.choice([7, 15, 30, 60]))
        style = rng.randrange(5)
        by_name = i % 10 == 9 or not code
        line: list[Any] = [
            i + 1,
            name,
            "" if by_name else code,
            f"{rng.choice(PROBLEMS)}（第{i + 1}项）",
            rng.choice(PLACES),
            "重大隐患" if rng.random() < 0.05 else "一般",
            _date_cell(found, style),
            rng.choice(MEASURES),
            _date_cell(deadline, (style + 1) % 5),
            rng.choice(PEOPLE),
            rng.choice(["", "1200", "1.2万元", "3,500元", "800"]),
            "",
        ]
        kind = i % BAD_EVERY
        if kind == 1:
            line[6] = f"{found.year}年2月30日"
            bad["bad_date"] += 1
        elif kind == 2:
            line[1], line[2] = f"不存在的单位{i}", ""
            bad["site_not_found"] += 1
        elif kind == 3:
            line[8] = (found - dt.timedelta(days=3)).isoformat()
            bad["deadline_before_found"] += 1
        elif kind == 4 and previous is not None:
            line = [i + 1, *previous[1:]]
            bad["duplicate"] += 1
        previous = line
        for col, value in enumerate(line):
            if isinstance(value, dt.date):
                sheet.write_datetime(4 + i, col, value, date_format)
            elif value != "":
                sheet.write(4 + i, col, value)
    foot = 4 + rows + 1
    sheet.write(foot, 0, "填表人：王芳")
    sheet.write(foot, 4, "审核人：李强")
    sheet.write(foot, 8, f"填表日期：{today.year}年{today.month}月{today.day}日")
    book.close()
    return bad


def importer() -> Any:
    """An inspector of the city (``ledger.import`` and ``hazard.manage`` over every unit)."""
    from anxin.core.choices import Role, UnitKind
    from anxin.core.models import Unit, User
    from anxin.core.services import role_assign, user_create

    user = User.objects.filter(username="bench_inspector").first()
    if user is None:
        city = Unit.objects.filter(kind=UnitKind.CITY).order_by("pk").first()
        assert city is not None, "load_units first"
        user, _password = user_create(
            actor=None,
            username="bench_inspector",
            name="bench_inspector",
            unit=city,
            password="Bench-2026-pass",
            must_change_password=False,
        )
        role_assign(actor=None, user=user, role=Role.INSPECTOR, unit=city)
    return user


def ledger_sites(limit: int) -> list[tuple[str, str]]:
    """Existing sites with a unique name (a row naming its site by name only must find one)."""
    from django.db.models import Count

    from anxin.safety.models import Site

    unique = Site.objects.values("name").annotate(n=Count("id")).filter(n=1).values_list("name")
    return list(
        Site.objects.filter(name__in=unique)
        .order_by("pk")
        .values_list("name", "credit_code")[:limit]
    )


def measure_import(
    add: Callable[..., None], rows: int, workdir: Path, *, target: float = 5000
) -> dict[str, Any]:
    """Generate the ledger, then time the import page's path; report through ``add``."""
    from django.utils import timezone

    from anxin.safety.hazard_scoping import site_in_scope  # noqa: F401  (warm the imports)
    from anxin.safety.ledgers import (
        ledger_commit,
        ledger_parsed_drop,
        ledger_parsed_keep,
        ledger_parsed_load,
        ledger_preview,
    )
    from anxin.safety.models import Hazard

    user = importer()
    city = user.unit
    sites = ledger_sites(5_000)
    assert sites, "seed_bulk --hazards first: the ledger names existing sites"
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"hazard-ledger-{rows}.xlsx"
    bad = make_hazard_ledger(path, sites, rows, today=timezone.localdate())
    data = path.read_bytes()
    before = Hazard.objects.count()
    progress: list[int] = []
    start, cpu = time.perf_counter(), time.process_time()
    kept: list[str] = []
    preview = ledger_preview(
        "hazards",
        data,
        user=user,
        unit=city,
        progress=progress.append,
        keep=lambda file_hash, parsed: kept.append(
            ledger_parsed_keep(file_hash, parsed, user=user)
        ),
    )
    previewed = time.perf_counter()
    digest = preview.digest
    # as the page does: the rows kept at upload, checked against the database again
    parsed = ledger_parsed_load(kept[0], user=user)
    assert parsed is not None, "the parsed preview was not kept"
    confirm = ledger_preview("hazards", data, user=user, unit=city, parsed=parsed)
    assert confirm.digest == digest, "the preview changed between upload and confirmation"
    confirmed = time.perf_counter()
    counts = ledger_commit("hazards", confirm, actor=user)
    ledger_parsed_drop(kept[0])
    saved = time.perf_counter()
    cpu = time.process_time() - cpu  # this process only (the database server's work is not in it)
    created = Hazard.objects.count() - before
    assert created == counts["created"] == len(confirm.rows_ready)
    total = saved - start
    figure = {
        "rows_read": preview.rows_read,
        "created": created,
        "errors": len(preview.errors),
        "duplicates": len(preview.duplicates),
        "bad_written": bad,
        "preview_s": previewed - start,
        "digest_and_confirm_s": confirmed - previewed,
        "commit_s": saved - confirmed,
        "total_s": total,
        "cpu_s": cpu,
        "progress_calls": len(progress),
        "file_mb": len(data) / 1e6,
    }
    add("ledger import rows/s", preview.rows_read / total, "rows/s", target, True, rows)
    # on a shared machine the wall time depends on the load; the CPU time of this process less so
    add("ledger import rows per CPU second", preview.rows_read / cpu, "rows/s", None, False, rows)
    add("ledger import preview (read and check)", previewed - start, "s", None, False, rows)
    add(
        "ledger import confirm (kept rows checked again)",
        confirmed - previewed,
        "s",
        None,
        False,
        rows,
    )
    add("ledger import save of the ready rows", saved - confirmed, "s", None, False, created)
    return figure
