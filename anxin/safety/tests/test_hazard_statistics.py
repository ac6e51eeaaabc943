"""Periodic hazard statistics (16号令 Art. 14): the figures on a small known data set made
through the hazard services, the rollup of subtrees, scope, the filing deadlines, the .xlsx and
a query count that does not depend on the number of hazards or units."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from anxin.safety import hazards
from anxin.safety.models import Sector
from anxin.safety.statistics import (
    filing_deadline,
    hazard_statistics,
    period_bounds,
    statistics_xlsx,
)
from anxin.safety.tests.hazard_fixtures import file_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]

Y = timezone.localdate().year - 1


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(Y, month, day, hour))


def _close(hazard, contact, inspector, when):
    h = hazards.hazard_start_rectification(
        actor=inspector, hazard=hazard, deadline=hazard.deadline, at=when
    )
    h = hazards.hazard_submit_rectification(
        actor=contact, hazard=h, note="已整改", files=[file_upload()], at=when
    )
    h = hazards.hazard_verify(actor=inspector, hazard=h, passed=True, at=when)
    return hazards.hazard_close(actor=inspector, hazard=h, at=when)


@pytest.fixture
def data(personas, site, other_site, make_site, hazard_factory, inspector):
    hotel = make_site(
        name="二街道宾馆",
        credit_code="",
        sector=Sector.objects.get(code="hotels"),
        unit=personas.city.T2,
    )
    h1 = hazard_factory(found_at=at(4, 10), deadline=dt.date(Y, 4, 30))
    _close(h1, personas.enterprise, inspector, at(4, 25))
    h2 = hazard_factory(grade="major", found_at=at(5, 5), deadline=dt.date(Y, 9, 30))
    hazards.hazard_list_for_supervision(actor=None, hazard=h2, unit=personas.city.D1, at=at(5, 6))
    h3 = hazard_factory(site=other_site, found_at=at(6, 1), deadline=dt.date(Y, 6, 10))
    h4 = hazard_factory(site=hotel, found_at=at(5, 20), deadline=dt.date(Y, 7, 20))
    h5 = hazard_factory(found_at=at(7, 5), deadline=dt.date(Y, 7, 31))
    _close(h5, personas.enterprise, inspector, at(7, 10))
    # neither a voided hazard nor a report awaiting registration counts
    void = hazard_factory(found_at=at(5, 1))
    hazards.hazard_void(actor=None, hazard=void, reason="重复登记")
    hazards.hazard_create(
        actor=None,
        unit=personas.city.V1,
        description="群众举报：仓库堆放易燃物",
        status="reported",
        found_at=at(5, 2),
    )
    return {"h1": h1, "h2": h2, "h3": h3, "h4": h4, "h5": h5}


def _by_code(rows):
    return {("total" if r["is_total"] else r["unit_code"]): r for r in rows}


def _figures(row, *keys):
    return tuple(row[k] for k in keys)


KEYS = (
    "found_general",
    "found_major",
    "closed_general",
    "closed_major",
    "open_at_end",
    "overdue_at_end",
    "supervised",
)


def test_quarter_figures_and_rollup(personas, data):
    rows = hazard_statistics(user=personas.parent, unit=personas.city.D1, year=Y, quarter=2)
    assert [r["unit_code"] for r in rows] == ["T1", "T2", "D1", "D1"]
    assert [r["is_total"] for r in rows] == [False, False, False, True]
    by = _by_code(rows)
    # T1's row covers V1's sites (h1, h2, h3 found in Q2; h1 closed; h3 overdue on 30 June)
    assert _figures(by["T1"], *KEYS) == (2, 1, 1, 0, 2, 1, 1)
    assert by["T1"]["rate_general"] == 0.5 and by["T1"]["rate_major"] == 0.0
    assert _figures(by["T2"], *KEYS) == (1, 0, 0, 0, 1, 0, 0)
    assert by["T2"]["rate_major"] is None
    assert _figures(by["D1"], *KEYS) == (0,) * 7
    assert _figures(by["total"], *KEYS) == (3, 1, 1, 0, 3, 1, 1)
    assert by["total"]["rate_general"] == pytest.approx(1 / 3)


def test_year_figures(personas, data):
    by = _by_code(hazard_statistics(user=personas.parent, unit=personas.city.D1, year=Y))
    # h5 found and closed in Q3; by 31 December h2 and h3 are open and past their deadlines
    assert _figures(by["T1"], *KEYS) == (3, 1, 2, 0, 2, 2, 1)
    assert _figures(by["T2"], *KEYS) == (1, 0, 0, 0, 1, 1, 0)
    assert _figures(by["total"], *KEYS) == (4, 1, 2, 0, 3, 3, 1)
    q3 = _by_code(hazard_statistics(user=personas.parent, unit=personas.city.D1, year=Y, quarter=3))
    assert _figures(q3["T1"], "found_general", "closed_general") == (1, 1)
    assert q3["T1"]["rate_general"] == 1.0


def test_a_township_rolls_up_its_villages(personas, data):
    rows = hazard_statistics(user=personas.parent, unit=personas.city.T1, year=Y, quarter=2)
    by = _by_code(rows)
    assert by["V1"]["found_general"] == 2 and by["V1"]["found_major"] == 1
    assert by["total"]["found_general"] == 2  # T2's hotel is not under T1


def test_a_sibling_township_sees_only_its_own(personas, data):
    by = _by_code(
        hazard_statistics(user=personas.sibling, unit=personas.city.D1, year=Y, quarter=2)
    )
    assert _figures(by["T1"], *KEYS) == (0,) * 7
    assert by["T2"]["found_general"] == 1
    assert by["total"]["found_general"] == 1
    own = _by_code(
        hazard_statistics(user=personas.sibling, unit=personas.city.T2, year=Y, quarter=2)
    )
    assert own["total"]["found_general"] == 1 and own["total"]["open_at_end"] == 1


def test_the_page_keeps_to_scope(personas, client_for, data):
    client = client_for(personas.sibling)
    assert client.get("/safety/statistics/", {"unit": "T1", "year": Y}).status_code == 404
    r = client.get("/safety/statistics/", {"unit": "T2", "year": Y, "quarter": "2"})
    assert r.status_code == 200
    assert client_for(personas.outsider).get(
        "/safety/statistics/", {"unit": "T2", "year": Y}
    ).status_code in (403, 404)
    assert client_for(personas.enterprise).get("/safety/statistics/").status_code == 403


def test_filing_deadlines():
    assert filing_deadline(2026, 1) == dt.date(2026, 4, 15)
    assert filing_deadline(2026, 2) == dt.date(2026, 7, 15)
    assert filing_deadline(2026, 3) == dt.date(2026, 10, 15)
    assert filing_deadline(2026, 4) == dt.date(2027, 1, 15)
    assert filing_deadline(2026) == dt.date(2027, 1, 31)
    assert period_bounds(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert period_bounds(2026) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(ValueError):
        filing_deadline(2026, 5)


def test_the_page_in_chinese(personas, client_for, data):
    page = (
        client_for(personas.parent)
        .get("/safety/statistics/", {"unit": "D1", "year": Y, "quarter": "2"})
        .content.decode()
    )
    assert "隐患统计" in page and "合计" in page
    assert f"{Y}-07-15" in page  # Q2's statistics are filed before 15 July
    page = (
        client_for(personas.parent)
        .get("/safety/statistics/", {"unit": "D1", "year": Y, "quarter": ""})
        .content.decode()
    )
    assert f"{Y + 1}-01-31" in page


def test_the_xlsx(personas, client_for, data):
    r = client_for(personas.parent).get(
        "/safety/statistics/hazards.xlsx", {"unit": "D1", "year": Y, "quarter": "2"}
    )
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert "隐患排查治理统计" in rows[0][0] and "一区" in rows[0][0]
    assert rows[1][:2] == ["期间", f"{Y}年第2季度"]
    assert rows[2][:2] == ["单位", "一区"]
    header = rows[4]
    assert header[0] == "单位" and "一般隐患" in header[1] and "整改率" in header[5]
    total = next(row for row in rows if row[0] == "合计")
    assert total[1:5] == [3, 1, 1, 0] and total[7:10] == [3, 1, 1]
    assert total[5] == pytest.approx(1 / 3)
    assert header[9] == "挂牌督办"
    footer = rows[-1]
    assert "填报单位" in footer[0] and "主要负责人" in footer[2] and "填报日期" in footer[4]
    from anxin.core.models import AuditEvent

    event = AuditEvent.objects.get(action="hazard.statistics_export")
    assert event.actor == personas.parent and event.after == {"year": Y, "quarter": 2}


def test_xlsx_text_cells_are_safe(personas, data):
    rows = hazard_statistics(user=personas.parent, unit=personas.city.D1, year=Y, quarter=2)
    rows[0]["unit_name"] = "=HYPERLINK(1)"
    sheet = load_workbook(io.BytesIO(statistics_xlsx(rows, "=title", "Q2"))).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "'=title" in values and "'=HYPERLINK(1)" in values


def test_a_constant_query_count(personas, data, make_site, hazard_factory):
    def count() -> int:
        user = type(personas.parent).objects.get(pk=personas.parent.pk)
        from anxin.core.scoping import forget_grants, grants_of

        forget_grants(user)
        grants_of(user)  # the grants are loaded once per request, not counted here
        with CaptureQueriesContext(connection) as ctx:
            hazard_statistics(user=user, unit=personas.city.D1, year=Y, quarter=2)
        return len(ctx.captured_queries)

    before = count()
    hotel = make_site(
        name="三号宾馆",
        credit_code="",
        sector=Sector.objects.get(code="hotels"),
        unit=personas.city.T2,
    )
    for _ in range(3):
        hazard_factory(site=hotel, found_at=at(5, 21), deadline=dt.date(Y, 8, 1))
    assert count() == before == 2
