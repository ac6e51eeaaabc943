"""Spreadsheet formula injection (issue 8): EVERY .xlsx and .csv export neutralises text that a
spreadsheet would run — cells starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return
or a line feed (and their full-width forms, which WPS reads as formulas): the cell is stored as
text, never as a formula, and shows the original text behind one apostrophe, as
:func:`anxin.core.exports.safe_cell` does. Control characters that an .xlsx cannot hold are
dropped rather than failing the export.

``EXPORTS`` lists every export of the project. ``test_every_export_is_listed`` fails when a module
writes a workbook or a CSV and is not in that list: a new export must come with its test here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from anxin.core.tests.hostile_corpus import BY_NAME, FORMULA, FORMULA_STARTS

pytestmark = [pytest.mark.django_db]

#: the module of each export → the test below that covers it
EXPORTS: dict[str, str] = {
    "anxin/petitions/exports.py": "test_the_petition_ledger",
    "anxin/safety/ledgers.py": "test_the_hazard_ledger",
    "anxin/safety/statistics.py": "test_the_hazard_statistics",
    "anxin/reports/documents.py": "test_the_ranking",
    "anxin/reports/monthly.py": "test_the_monthly_tables",
    "anxin/core/views/pages.py": "test_the_audit_trail_csv",
}

#: what writes a spreadsheet or a CSV (reading one, as the ledger import does, is not an export)
WRITERS = re.compile(r"\b(?:Workbook\(|xlsxwriter\.|csv\.writer\(|csv\.DictWriter\()")

ROOT = Path(__file__).resolve().parents[3]

#: the texts tried in every export: each formula start, and control characters
TEXTS = [p.text for p in FORMULA] + [BY_NAME["c0_controls"].text, "普通文本 - 不是公式"]
ILLEGAL_IN_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def shown(text: str) -> str:
    """What a person must see in the cell: the text, after one apostrophe if a spreadsheet
    would read it as a formula; without the characters an .xlsx cannot hold (the CSV drops
    them too, so that both files say the same)."""
    text = ILLEGAL_IN_XLSX.sub("", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cells(data: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_neutralised(data: bytes, texts: list[str]) -> None:
    cells = _cells(data)
    formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert not formulas, formulas
    values = {c.value for c in cells if isinstance(c.value, str)}
    for text in texts:
        assert shown(text) in values, (text, shown(text))
    for value in values:  # and no other cell starts a formula either
        assert not value.startswith(("=", "+", "@", "＝", "＋", "＠")), value


def test_every_export_is_listed() -> None:
    found = set()
    for path in (ROOT / "anxin").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in rel or "/migrations/" in rel:
            continue
        if WRITERS.search(path.read_text(encoding="utf-8")):
            found.add(rel)
    assert found == set(EXPORTS), (
        "an export is not covered by test_export_injection.py",
        found ^ set(EXPORTS),
    )
    tests = {name for name, value in globals().items() if name.startswith("test_")}
    assert set(EXPORTS.values()) <= tests


def test_the_petition_ledger(personas: Any, client_for: Any) -> None:
    from anxin.petitions.models import Category
    from anxin.petitions.services import petition_register

    category = Category.objects.get(code="labour")
    for text in TEXTS:
        petition_register(
            actor=personas.clerk,
            channel="letter",
            kind="claim",
            category=category,
            title=text,
            content=text,
            unit=personas.city.C,
            anonymous=True,
        )
    from anxin.petitions.models import Petition

    stored = list(Petition.objects.values_list("title", flat=True))  # as the service keeps them
    assert "=1+1" in stored and len(stored) == len(TEXTS)
    response = client_for(personas.clerk).get("/petitions/export.xlsx")
    assert response.status_code == 200
    assert_neutralised(b"".join(response.streaming_content), stored)


@pytest.fixture
def site(personas: Any) -> Any:
    from anxin.safety import services
    from anxin.safety.models import Sector

    return services.site_create(
        actor=None,
        name='=HYPERLINK("http://evil.example")',
        credit_code="",
        sector=Sector.objects.get(code="industry_trade"),
        unit=personas.city.V1,
        address="一街道和平路8号",
        risk_level="yellow",
        contact_name="李四",
        contact_phone="13812345678",
    )


def test_the_hazard_ledger(personas: Any, client_for: Any, site: Any) -> None:
    from anxin.safety import hazards

    for text in TEXTS:
        hazards.hazard_create(
            actor=None, site=site, description=text, place=text, measures=text, grade="major"
        )
    from anxin.safety.models_hazards import Hazard

    stored = [
        v for row in Hazard.objects.values_list("description", "place", "measures") for v in row
    ]
    assert len(stored) == 3 * len(TEXTS)
    response = client_for(personas.same).get("/safety/ledgers/hazards.xlsx")
    assert response.status_code == 200
    assert_neutralised(
        b"".join(response.streaming_content), [*stored, '=HYPERLINK("http://evil.example")']
    )


def test_the_hazard_statistics() -> None:
    from anxin.safety.statistics import FIGURES, statistics_xlsx

    rows = [{**dict.fromkeys(FIGURES, 0), "unit_name": text, "is_total": False} for text in TEXTS]
    rows.append({**dict.fromkeys(FIGURES, 0), "unit_name": "+总计", "is_total": True})
    assert_neutralised(statistics_xlsx(rows, "=title", "-2026"), [*TEXTS, "=title", "-2026"])


def _rename_units(personas: Any) -> list[str]:
    """The units of the test city renamed, each after one hostile text (as many as there are)."""
    from anxin.core.services import unit_update

    city = personas.city
    units = [city.D1, city.D2, city.T1, city.T2, city.T3, city.V1]
    texts = [t for t in TEXTS if ILLEGAL_IN_XLSX.sub("", t) == t][: len(units)]
    for unit, text in zip(units, texts, strict=False):
        unit_update(actor=None, unit=unit, version=None, name=text)
    return texts


def test_the_ranking(personas: Any, client_for: Any) -> None:
    texts = _rename_units(personas)
    period = timezone.localdate().strftime("%Y-%m")
    response = client_for(personas.viewer).get(
        f"/reports/rankings/export.xlsx?period={period}&kind=township&parent=D1"
    )
    assert response.status_code == 200, response.content[:300]
    data = response.content
    cells = {c.value for c in _cells(data) if isinstance(c.value, str)}
    # the townships of 一区 ranked (T1, T2): their names neutralised
    assert_neutralised(data, [t for t in texts[2:4]])
    assert not any(v.startswith(("=", "+", "@")) for v in cells)


def test_the_monthly_tables(personas: Any) -> None:
    from anxin.petitions.models import Category
    from anxin.reports.monthly import build_xlsx, collect

    texts = _rename_units(personas)
    category = Category.objects.get(code="labour")
    Category.objects.filter(pk=category.pk).update(name="@SUM(1+1)")
    from anxin.petitions.services import petition_register

    petition_register(
        actor=personas.clerk,
        channel="letter",
        kind="claim",
        category=Category.objects.get(pk=category.pk),
        title="拖欠工资",
        content="拖欠工资三个月",
        unit=personas.city.T1,
        anonymous=True,
    )
    from anxin.core.models import Unit

    figures = collect(Unit.objects.get(code="D1"), timezone.localdate())
    data = build_xlsx(figures)
    # 一区 itself, its townships T1 and T2 among the subordinate units, and the category
    assert_neutralised(data, [texts[0], texts[2], texts[3], "@SUM(1+1)"])


def test_the_audit_trail_csv(personas: Any, client_for: Any) -> None:
    from anxin.core.audit import audit_record

    for text in TEXTS:
        audit_record(
            actor=None,
            action="test.hostile",
            object_type="core.unit",
            object_id="1",
            object_repr=text,
        )
    response = client_for(personas.auditor).get("/audit/export.csv?action=test.hostile")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    column = 6  # Object
    values = [row[column] for row in rows[1:]]
    for text in TEXTS:
        assert shown(text) in values, text
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(FORMULA_STARTS), value


def test_safe_cell_leaves_numbers_dates_and_plain_text_alone() -> None:
    from anxin.core.exports import safe_cell

    day = dt.date(2026, 11, 27)
    assert safe_cell(-3) == -3 and safe_cell(2.5) == 2.5 and safe_cell(day) == day
    assert safe_cell(None) == ""
    assert safe_cell("一般隐患 - 已整改") == "一般隐患 - 已整改"
    assert safe_cell("-3") == "'-3"
    assert safe_cell({"a": "=1"}) == '{"a": "=1"}'
