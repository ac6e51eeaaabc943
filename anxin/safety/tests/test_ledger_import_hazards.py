"""The hazard ledger import: the site by credit code or exact name, scope, duplicates, all or
nothing; read from the engine's corpus where its ledgers are hazard ledgers."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anxin.core.choices import Role
from anxin.core.models import AuditEvent
from anxin.core.testing import make_person
from anxin.safety import hazards
from anxin.safety.ledgers import LedgerError, ledger_commit, ledger_preview
from anxin.safety.models import Hazard
from anxin.safety.tests.test_ledger_import_sites import xlsx

pytestmark = [pytest.mark.django_db]

CORPUS = Path(__file__).parents[2] / "core" / "tests" / "data" / "ledgers"


def corpus_code(n: int) -> str:
    """The credit codes the corpus script writes (make_corpus.credit_code)."""
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.credit_code(n))


@pytest.fixture
def corpus_sites(personas: Any, make_site: Any) -> dict[str, Any]:
    """The sites of 01_title_merged_header and 02_synonyms_variant_a (not 鑫源烟花店)."""
    made = {}
    for n, name in [(1, "青山化工有限公司"), (2, "兴旺超市"), (3, "红星建筑工地")]:
        made[name] = make_site(name=name, credit_code=corpus_code(n), unit=personas.city.V1)
    for n, name in [(11, "顺达物流"), (12, "金桥小学")]:
        made[name] = make_site(name=name, credit_code=corpus_code(n), unit=personas.city.T1)
    return made


@pytest.mark.smoke
def test_a_corpus_ledger_is_imported_once(personas: Any, corpus_sites: Any) -> None:
    path = CORPUS / "01_title_merged_header.xlsx"
    with CaptureQueriesContext(connection) as queries:
        preview = ledger_preview("hazards", path, user=None, unit=personas.city.T1)
    assert len(queries) <= 3  # the candidate sites once, their hazards once
    assert (preview.rows_read, len(preview.rows_ready), preview.errors) == (6, 6, [])
    assert Hazard.objects.count() == 0
    counts = ledger_commit("hazards", preview, actor=None)
    assert counts["created"] == 6
    qing = corpus_sites["青山化工有限公司"]
    major = Hazard.objects.get(description="危化品仓库未设置防爆灯具")
    assert (major.site, major.grade, major.status, major.deadline) == (
        qing,
        "major",
        "registered",
        dt.date(2026, 2, 8),
    )
    assert timezone.localdate(major.found_at) == dt.date(2026, 1, 8)
    assert major.events.filter(kind="registered").exists()  # through the service
    audit = AuditEvent.objects.get(action="ledger.import_hazards")
    assert audit.after["created"] == 6 and audit.after["file_sm3"] == preview.file_hash

    again = ledger_preview("hazards", path, user=None, unit=personas.city.T1)
    assert (len(again.rows_ready), again.existing, len(again.duplicates)) == (0, 6, 6)
    assert ledger_commit("hazards", again, actor=None)["created"] == 0
    assert Hazard.objects.count() == 6


def test_a_site_that_is_not_registered_is_an_error_of_its_row(
    personas: Any, corpus_sites: Any
) -> None:
    path = CORPUS / "02_synonyms_variant_a.xlsx"
    preview = ledger_preview("hazards", path, user=None, unit=None)
    assert len(preview.rows_ready) == 4
    assert [(e.row, e.column, e.code) for e in preview.errors] == [
        (6, "企业名称", "site_not_found")
    ]
    assert "鑫源烟花店" in preview.errors[0].message
    assert preview.rows_ready[1]["funds"] == 12000  # 1.2万元, read by the engine


def test_the_site_by_exact_name_and_an_ambiguous_name(personas: Any, make_site: Any) -> None:
    make_site(name="同名商店", credit_code="", unit=personas.city.V1)
    make_site(name="同名商店", credit_code="", unit=personas.city.T2)
    make_site(name="独家商店", credit_code="", unit=personas.city.T1)
    rows = [["单位名称", "隐患描述", "隐患等级", "发现日期", "整改期限"]]
    rows += [["同名商店", "灭火器过期", "一般", "2026年3月5日", "2026.3.20"]]
    rows += [["独家商店", "安全出口堵塞", "重大隐患", "2026/3/5", "2026-03-06"]]
    rows += [["独家商店", "电线私拉乱接", "一般", "2026年3月5日", "2026年3月1日"]]
    preview = ledger_preview("hazards", xlsx(rows, title=None), user=None, unit=None)
    assert [(e.row, e.code) for e in preview.errors] == [
        (2, "ambiguous_site"),
        (4, "deadline_before_found"),
    ]
    ready = preview.rows_ready[0]
    assert (ready["_site"].name, ready["grade"], ready["deadline"]) == (
        "独家商店",
        "major",
        dt.date(2026, 3, 6),
    )


def test_hazard_commit_is_all_or_nothing(
    personas: Any, corpus_sites: Any, monkeypatch: Any
) -> None:
    preview = ledger_preview(
        "hazards", CORPUS / "01_title_merged_header.xlsx", user=None, unit=None
    )
    original = hazards._import_one
    calls = {"n": 0}

    def failing(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ValidationError({"description": "boom"})
        return original(*args)

    monkeypatch.setattr(hazards, "_import_one", failing)
    with pytest.raises(LedgerError) as caught:
        ledger_commit("hazards", preview, actor=None)
    assert caught.value.row == 7
    assert caught.value.message == "第7行：boom 本次未导入任何数据。"
    assert Hazard.objects.count() == 0
    assert not AuditEvent.objects.filter(action="ledger.import_hazards").exists()


def test_a_township_inspector_imports_hazards_of_their_township_only(
    personas: Any, make_site: Any
) -> None:
    inspector = make_person("insp1", personas.city.T1, [(Role.INSPECTOR, personas.city.T1)])
    make_site(name="一街道工厂", credit_code="", unit=personas.city.V1)
    make_site(name="二街道工厂", credit_code="", unit=personas.city.T2)
    rows = [["单位名称", "存在问题", "检查日期", "完成时限"]]
    rows += [["一街道工厂", "配电箱无门", "2026-03-05", "2026-03-20"]]
    rows += [["二街道工厂", "配电箱无门", "2026-03-05", "2026-03-20"]]
    data = xlsx(rows, title=None)
    into_t2 = ledger_preview("hazards", data, user=inspector, unit=personas.city.T2)
    assert into_t2.rows_ready == []
    assert [e.code for e in into_t2.errors] == ["site_out_of_scope", "site_not_found"]
    into_t1 = ledger_preview("hazards", data, user=inspector, unit=personas.city.T1)
    assert [r["_row"] for r in into_t1.rows_ready] == [2]
    assert into_t1.errors[0].row == 3  # 二街道's site is not even visible to them
    assert ledger_commit("hazards", into_t1, actor=inspector)["created"] == 1
    assert Hazard.objects.get().created_by == inspector


def test_merged_site_cells_of_the_corpus(personas: Any, make_site: Any) -> None:
    """15_merged_data_cells: 单位名称 and the credit code merged down over a site's hazards."""
    preview = ledger_preview("hazards", CORPUS / "15_merged_data_cells.xlsx", user=None, unit=None)
    names = {str(e.message).split("“")[1].split("”")[0] for e in preview.errors}
    assert names and {e.code for e in preview.errors} == {"site_not_found"}
    for name in sorted(names):  # registered without a code: found by the exact name
        make_site(name=name, credit_code="", unit=personas.city.V1)
    preview = ledger_preview("hazards", CORPUS / "15_merged_data_cells.xlsx", user=None, unit=None)
    # every row found its site through the merged cells; as the ledger gives no day found,
    # the deadlines count from today (the rows of March 2026 are late)
    today = timezone.localdate()
    expired = {e.row for e in preview.errors if e.code == "deadline_passed"}
    assert {e.code for e in preview.errors} <= {"deadline_passed"}
    assert len(preview.rows_ready) + len(expired) == preview.rows_read == 5
    assert all(r["deadline"] >= today for r in preview.rows_ready)
    assert {r["_site"].name for r in preview.rows_ready} <= names


def test_the_plan_columns_are_saved_with_the_hazard(personas: Any, make_site: Any) -> None:
    make_site(name="独家商店", credit_code="", unit=personas.city.T1)
    rows = [
        [
            "单位名称",
            "隐患描述",
            "隐患等级",
            "发现日期",
            "整改期限",
            "整改责任人",
            "整改措施",
            "整改资金",
        ]
    ]
    rows += [
        [
            "独家商店",
            "安全出口堵塞",
            "一般",
            "2026年3月5日",
            "2026.3.20",
            "李四",
            "清理通道",
            "1.2万元",
        ]
    ]
    rows += [["独家商店", "灭火器过期", "一般", "2026年3月5日", "2026.3.20", "", "", ""]]
    preview = ledger_preview("hazards", xlsx(rows, title=None), user=None, unit=None)
    assert preview.errors == []
    assert ledger_commit("hazards", preview, actor=None)["created"] == 2
    planned = Hazard.objects.get(description="安全出口堵塞")
    assert (planned.responsible, planned.measures, planned.funds) == ("李四", "清理通道", 12000)
    bare = Hazard.objects.get(description="灭火器过期")
    assert (bare.responsible, bare.measures, bare.funds) == ("", "", None)


def test_a_negative_plan_fund_is_refused(personas: Any, make_site: Any) -> None:
    from decimal import Decimal

    site = make_site(name="独家商店", credit_code="", unit=personas.city.T1)
    with pytest.raises(ValidationError) as caught:
        hazards.hazard_create(
            actor=None, site=site, description="安全出口堵塞", funds=Decimal("-1")
        )
    assert caught.value.message_dict == {"funds": ["整改资金不能为负数。"]}
    assert not Hazard.objects.exists()
