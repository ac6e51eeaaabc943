"""The streamed .xlsx ledger continues on a new sheet, header repeated, when a sheet is full
(an .xlsx sheet holds at most 1,048,576 rows); patched here to 10 rows a sheet."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from anxin.petitions import exports
from anxin.petitions.models import Petition
from anxin.safety import ledgers
from anxin.safety.models_hazards import Hazard

pytestmark = [pytest.mark.django_db, pytest.mark.dbdep]


@pytest.fixture
def bulk() -> None:
    call_command("load_units", verbosity=0)
    call_command(
        "seed_bulk", "--petitions", "25", "--hazards", "23", "--seed", "5", stdout=io.StringIO()
    )


def sheets(handle: Any) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(handle, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_the_petition_ledger_continues_on_new_sheets(bulk: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "SHEET_ROWS", 10)
    qs = Petition.objects.all()
    written = sheets(exports.write_ledger(qs))
    assert list(written) == ["台账", "台账 2", "台账 3"]
    header = exports._header()
    assert all(rows[0] == tuple(header) for rows in written.values())
    assert [len(rows) - 1 for rows in written.values()] == [10, 10, 5]
    numbers = [row[0] for rows in written.values() for row in rows[1:]]
    expected = qs.order_by("-received_on", "-id").values_list("number", flat=True)
    assert numbers == list(expected)


def test_a_ledger_that_fills_a_sheet_exactly_has_no_empty_sheet(
    bulk: None, monkeypatch: Any
) -> None:
    monkeypatch.setattr(exports, "SHEET_ROWS", 25)
    assert [
        len(rows) for rows in sheets(exports.write_ledger(Petition.objects.all())).values()
    ] == [26]


def test_the_hazard_ledger_continues_on_new_sheets(bulk: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(ledgers, "SHEET_ROWS", 10)
    written = sheets(ledgers.write_hazard_ledger(Hazard.objects.all()))
    assert list(written) == ["隐患台账", "隐患台账 2", "隐患台账 3"]
    assert [len(rows) - 1 for rows in written.values()] == [10, 10, 3]
    header = tuple(str(h) for h in ledgers.EXPORT_HEADER)
    assert all(rows[0] == header for rows in written.values())
