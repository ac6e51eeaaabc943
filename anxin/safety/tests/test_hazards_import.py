"""``hazards_import``: the ledger import's set-based save creates exactly what one
``hazard_create`` per row creates, refuses all or nothing, in a number of queries that does not
depend on the number of rows."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anxin.core.choices import Role
from anxin.core.models import AuditEvent
from anxin.core.testing import make_person
from anxin.reports.models_rollups import HazardDaily
from anxin.safety import hazards
from anxin.safety.hazards import HazardRowRefused, hazards_import
from anxin.safety.ledgers import LedgerError, _save_hazard, ledger_commit, ledger_preview
from anxin.safety.models import Hazard, HazardEvent, SiteEvent
from anxin.safety.tests.test_ledger_import_sites import xlsx
from anxin.supervision.models import Clock

pytestmark = [pytest.mark.django_db]

HEADER = ["单位名称", "隐患描述", "隐患部位", "隐患等级", "发现日期", "整改期限"]
HEADER += ["整改责任人", "整改措施", "整改资金"]


def ledger_rows(names: list[str], n: int, day: dt.date) -> list[list[Any]]:
    rows: list[list[Any]] = [HEADER]
    for i in range(n):
        deadline = "" if i % 3 == 2 else (day + dt.timedelta(days=10 + i)).isoformat()
        rows.append(
            [
                names[i % len(names)],
                f"灭火器过期（第{i + 1}项）",
                "一楼仓库" if i % 2 else "",
                "重大隐患" if i % 4 == 1 else "一般",
                f"{day.year}年{day.month}月{day.day}日",
                deadline,
                "张伟" if i % 2 else "",
                "更换灭火器",
                "1.2万元" if i % 2 else "",
            ]
        )
    return rows


@pytest.fixture
def sites(personas: Any, make_site: Any) -> list[Any]:
    return [
        make_site(name="一街道工厂", credit_code="", unit=personas.city.V1),
        make_site(name="二街道商店", credit_code="", unit=personas.city.T2),
    ]


def snapshot() -> dict[str, Any]:
    """What an import wrote, with keys and moments replaced by the hazard's description."""
    names = {h.pk: h.description for h in Hazard.objects.all()}
    numbers = {h.number: h.description for h in Hazard.objects.all()}
    fields = [
        "site_id", "unit_id", "description", "place", "grade", "status", "source", "found_at",
        "deadline", "production_stopped", "responsible", "measures", "funds", "created_by_id",
        "version", "supervision_unit_id", "closed_at",
    ]  # fmt: skip

    def named(text: str) -> str:
        return re.sub(r"YH\d{4}-\d{6}", lambda m: numbers.get(m.group(), m.group()), text)

    return {
        "hazards": sorted(Hazard.objects.values_list(*fields)),
        "clocks": sorted(
            (
                names[c.subject_id],
                c.name,
                c.unit_id,
                c.rule,
                c.start_on,
                c.days,
                c.due_on,
                c.state,
                c.responsible_id,
            )
            for c in Clock.objects.filter(subject_type="safety.hazard")
        ),  # fmt: skip
        "events": sorted(
            (e.hazard.description, e.kind, e.at, e.actor_id, e.actor_label, sorted(e.data.items()))
            for e in HazardEvent.objects.select_related("hazard")
        ),
        "site_events": sorted(
            (e.site_id, e.kind, e.at, e.actor_id, e.actor_label, named(e.data["hazard"]))
            for e in SiteEvent.objects.filter(kind="hazard_registered")
        ),
        "audit": sorted(
            (
                e.action,
                e.object_type,
                names[int(e.object_id)],
                named(e.object_repr),
                e.actor_id,
                e.actor_label,
                sorted((k, v) for k, v in e.after.items() if k != "subject_id"),
            )
            for e in AuditEvent.objects.filter(action__in=["hazard.registered", "clock.start"])
        ),
        "rollups": sorted(
            HazardDaily.objects.values_list(
                "day", "unit_id", "regulating_unit_id", "grade", "sector_id", "found", "closed"
            )
        ),
    }


def test_the_bulk_save_creates_what_one_hazard_create_per_row_creates(
    personas: Any, sites: Any
) -> None:
    inspector = make_person("insp1", personas.city.C, [(Role.INSPECTOR, personas.city.C)])
    day = timezone.localdate() - dt.timedelta(days=5)
    data = xlsx(ledger_rows(["一街道工厂", "二街道商店"], 9, day), title=None)
    preview = ledger_preview("hazards", data, user=inspector, unit=None)
    assert (preview.errors, len(preview.rows_ready)) == ([], 9)
    with transaction.atomic():
        mark = transaction.savepoint()
        for record in preview.rows_ready:
            _save_hazard(record, inspector)
        one_by_one = snapshot()
        transaction.savepoint_rollback(mark)
    assert not Hazard.objects.exists() and not HazardDaily.objects.exists()
    assert ledger_commit("hazards", preview, actor=inspector)["created"] == 9
    at_once = snapshot()
    assert len(at_once["hazards"]) == 9 and len(at_once["clocks"]) == 6
    assert len(at_once["audit"]) == 15 and len(at_once["site_events"]) == 9
    assert sum(r[5] for r in at_once["rollups"]) == 9
    assert at_once == one_by_one
    planned = Hazard.objects.get(description="灭火器过期（第2项）")
    assert (planned.grade, planned.funds, planned.responsible) == ("major", Decimal(12000), "张伟")


def test_a_refused_row_refuses_the_whole_ledger(personas: Any, sites: Any) -> None:
    """As before: all the rows or none; the message names the sheet row."""
    day = timezone.localdate() - dt.timedelta(days=5)
    data = xlsx(ledger_rows(["一街道工厂", "二街道商店"], 4, day), title=None)
    preview = ledger_preview("hazards", data, user=None, unit=None)
    preview.rows_ready[2]["funds"] = Decimal("-1")  # the preview cannot give this
    with pytest.raises(LedgerError) as caught:
        ledger_commit("hazards", preview, actor=None)
    assert caught.value.row == 4
    assert caught.value.message == "第4行：整改资金不能为负数。 本次未导入任何数据。"
    assert not Hazard.objects.exists()
    assert not Clock.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="hazard.").exists()
    assert not HazardDaily.objects.exists()


def test_a_site_outside_the_actors_scope_is_refused(personas: Any, sites: Any) -> None:
    inspector = make_person("insp1", personas.city.T1, [(Role.INSPECTOR, personas.city.T1)])
    rows = [
        {"site": sites[0], "description": "配电箱无门", "deadline": None},
        {"site": sites[1], "description": "配电箱无门", "deadline": None},
    ]
    with pytest.raises(HazardRowRefused) as caught:
        hazards_import(actor=inspector, rows=rows)
    assert caught.value.index == 1 and isinstance(caught.value.error, PermissionDenied)
    assert not Hazard.objects.exists()


def test_a_deadline_before_the_day_found_has_the_message_of_hazard_create(
    personas: Any, sites: Any
) -> None:
    found = timezone.now() - dt.timedelta(days=3)
    rows = [
        {"site": sites[0], "description": "配电箱无门", "found_at": found,
         "deadline": timezone.localdate(found) - dt.timedelta(days=1)},
    ]  # fmt: skip
    with pytest.raises(HazardRowRefused) as caught:
        hazards_import(actor=None, rows=rows)
    assert caught.value.error.message_dict == {  # type: ignore[attr-defined]
        "deadline": ["整改期限不能早于隐患发现日期。"]
    }


def test_the_number_of_queries_does_not_depend_on_the_number_of_rows(
    personas: Any, sites: Any
) -> None:
    def run(n: int, days_ago: int) -> int:
        found = timezone.now() - dt.timedelta(days=days_ago)
        rows = [
            {
                "site": sites[i % 2],
                "description": f"隐患{days_ago}-{i}",
                "found_at": found,
                "deadline": timezone.localdate(found) + dt.timedelta(days=30),
            }
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            made = hazards_import(actor=None, rows=rows)
        assert len(made) == n
        return len(queries)

    run(2, 40)  # warm: the webhooks' endpoints
    assert run(3, 30) == run(40, 20)
    assert Hazard.objects.count() == 45


def test_the_import_goes_through_the_bulk_service(
    personas: Any, sites: Any, monkeypatch: Any
) -> None:
    def refused(**kwargs: Any) -> Any:
        raise AssertionError("one hazard_create per row")

    monkeypatch.setattr(hazards, "hazard_create", refused)
    day = timezone.localdate() - dt.timedelta(days=5)
    preview = ledger_preview(
        "hazards", xlsx(ledger_rows(["一街道工厂"], 3, day), title=None), user=None, unit=None
    )
    assert ledger_commit("hazards", preview, actor=None)["created"] == 3


def test_the_rollups_add_a_batch_to_the_rows_that_exist(personas: Any, sites: Any) -> None:
    found = timezone.now() - dt.timedelta(days=2)

    def rows(n: int, tag: str) -> list[dict[str, Any]]:
        return [{"site": sites[0], "description": f"{tag}{i}", "found_at": found} for i in range(n)]

    hazards_import(actor=None, rows=rows(2, "甲"))
    hazards_import(actor=None, rows=rows(3, "乙"))
    hazards.hazard_create(actor=None, site=sites[0], description="丙", found_at=found)
    assert list(HazardDaily.objects.values_list("day", "unit_id", "found")) == [
        (timezone.localdate(found), sites[0].unit_id, 6)
    ]


def test_the_fast_save_equals_the_per_row_save_on_a_ledger_with_edge_cases(
    personas: Any, sites: Any
) -> None:
    """Blank optional cells, dates written four ways, major hazards, a repeat in the file, a
    row already registered and a refused row: the preview reports the same rows, and what the
    import stores is what one ``hazard_create`` per ready row stores."""
    inspector = make_person("insp1", personas.city.C, [(Role.INSPECTOR, personas.city.C)])
    day = timezone.localdate() - dt.timedelta(days=5)
    later = day + dt.timedelta(days=20)
    hazards.hazard_create(
        actor=inspector,
        site=sites[1],
        description="已登记的隐患",
        found_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0))),
    )
    rows: list[list[Any]] = [
        HEADER,
        ["一街道工厂", "甲：可选的全空", "", "", day.isoformat(), "", "", "", ""],
        ["一街道工厂", "乙：日期格", "仓库", "重大事故隐患", day, later, "张伟", "整改", "800"],
        ["二街道商店", "丙：中文日期", "", "重大", f"{day.year}年{day.month}月{day.day}日",
         f"{later.year}.{later.month}.{later.day}", "", "", "1.2万元"],
        ["二街道商店", "丁：数字日期", "厨房", "一般", day.year * 10000 + day.month * 100 + day.day,
         later.isoformat(), "王芳", "", "3,500元"],
        ["一街道工厂", "乙：日期格", "仓库", "重大事故隐患", day, later, "张伟", "整改", "800"],
        ["二街道商店", "已登记的隐患", "", "", day.isoformat(), "", "", "", ""],
        ["一街道工厂", "戊：期限早于发现", "", "", day.isoformat(),
         (day - dt.timedelta(days=1)).isoformat(), "", "", ""],
    ]  # fmt: skip
    data = xlsx(rows, title=None)
    preview = ledger_preview("hazards", data, user=inspector, unit=None)
    assert [(e.row, e.message) for e in preview.errors] == [(8, "整改期限不能早于隐患发现日期。")]
    assert [(d.row, d.first_row) for d in preview.duplicates] == [(6, 3), (7, 0)]
    assert preview.existing == 1
    assert [r["_row"] for r in preview.rows_ready] == [2, 3, 4, 5]
    with transaction.atomic():
        mark = transaction.savepoint()
        for record in preview.rows_ready:
            _save_hazard(record, inspector)
        one_by_one = snapshot()
        transaction.savepoint_rollback(mark)
    assert ledger_commit("hazards", preview, actor=inspector)["created"] == 4
    at_once = snapshot()
    assert at_once == one_by_one
    assert len(at_once["hazards"]) == 5 and len(at_once["clocks"]) == 3
    blank = Hazard.objects.get(description="甲：可选的全空")
    assert (blank.place, blank.grade, blank.deadline, blank.funds, blank.responsible) == (
        "",
        "general",
        None,
        None,
        "",
    )
    assert Hazard.objects.filter(grade="major").count() == 2
