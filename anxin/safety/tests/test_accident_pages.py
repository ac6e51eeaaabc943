"""The accident pages: list with filters, report form, the accident page and its steps."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone as dj_timezone

from anxin.core.choices import Role
from anxin.core.testing import make_person
from anxin.safety.accidents import accident_county_reported, accident_report
from anxin.safety.models_accidents import Accident

pytestmark = [pytest.mark.django_db]

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 9, 16, 8, 30, tzinfo=CST)


@pytest.fixture
def inspector(personas: Any) -> Any:
    return make_person("inspector", personas.city.T1, [(Role.INSPECTOR, personas.city.T1)])


@pytest.fixture
def accident(personas: Any, inspector: Any) -> Accident:
    return accident_report(
        actor=inspector,
        occurred_at=T0,
        place="一街道和平路8号机加工车间",
        kind="production",
        summary="冲压机作业时发生机械伤害。",
        unit=personas.city.T1,
        deaths=3,
        serious_injuries=2,
        direct_loss_yuan=Decimal("1200000"),
    )


@pytest.mark.smoke
def test_the_accident_page_shows_grade_criterion_clocks_and_steps(client_for, inspector, accident):
    accident_county_reported(
        actor=inspector, accident=accident, at=T0 + timedelta(minutes=40), reporter="厂长 王五"
    )
    page = client_for(inspector).get(f"/safety/accidents/{accident.uid}/").content.decode()
    assert 'data-grade="relatively_large"' in page
    assert "较大事故" in page and "493号令 Art. 3(3)" in page
    grading = page[page.index('id="grading"') : page.index('id="grading"') + 3000]
    assert "死亡" in grading and "<strong>3</strong>" in grading  # the deciding criterion
    # hours clocks as date and time; date clocks as dates
    assert 'id="clock-county_report_by"' in page and "2026-09-16 09:30" in page
    assert "2026-09-16 11:10" in page  # city within 2 hours of the county report
    assert "2026-10-16" in page and "2026-11-16" in page
    assert 'id="reports"' in page and "厂长 王五" in page
    for step in ("reported_up", "extend_investigation", "pause", "report_received"):
        assert f'id="act-{step}"' in page, step
    # the supplementary window (2026-10-16) is over; the county report is recorded
    assert 'id="act-supplement"' not in page and 'id="act-county_reported"' not in page
    assert "<script" not in page.split("</main>")[0].split("<main")[1]
    assert "style=" not in page


def test_readers_see_no_steps_and_outsiders_nothing(client_for, personas, accident):
    page = client_for(personas.viewer).get(f"/safety/accidents/{accident.uid}/").content.decode()
    assert 'data-grade="relatively_large"' in page and 'id="act-' not in page
    assert client_for(personas.sibling).get(f"/safety/accidents/{accident.uid}/").status_code == 404
    assert client_for(personas.member).get("/safety/accidents/").status_code == 403
    r = client_for(personas.viewer).post(
        f"/safety/accidents/{accident.uid}/act/county_reported/", {"at": "2026-09-16T09:00"}
    )
    assert r.status_code == 403


def test_the_list_filters_and_costs_fixed_queries(client_for, personas, inspector, accident):
    accident_report(
        actor=inspector,
        occurred_at=T0 + timedelta(days=2),
        place="二号仓库",
        kind="fire",
        summary="仓库起火。",
        unit=personas.city.V1,
    )
    client = client_for(personas.parent)
    page = client.get("/safety/accidents/").content.decode()
    assert page.count('data-grade="') == 2 and "二号仓库" in page
    page = client.get("/safety/accidents/?grade=relatively_large").content.decode()
    assert page.count('data-grade="') == 1 and "二号仓库" not in page
    page = client.get("/safety/accidents/?kind=fire&unit=V1").content.decode()
    assert page.count('data-grade="') == 1 and "二号仓库" in page
    page = client.get("/safety/accidents/?date_from=2026-09-17").content.decode()
    assert page.count('data-grade="') == 1
    page = client.get("/safety/accidents/?unit=T2").content.decode()
    assert page.count('data-grade="') == 0
    with CaptureQueriesContext(connection) as two:
        client.get("/safety/accidents/")
    for day in range(3, 7):
        accident_report(
            actor=inspector,
            occurred_at=T0 + timedelta(days=day),
            place=f"车间{day}",
            kind="other",
            summary="。",
            unit=personas.city.T1,
        )
    with CaptureQueriesContext(connection) as six:
        client.get("/safety/accidents/")
    assert len(six.captured_queries) == len(two.captured_queries)


def test_report_form_records_and_redirects(client_for, personas, inspector):
    client = client_for(inspector)
    assert client.get("/safety/accidents/new/").status_code == 200
    r = client.post(
        "/safety/accidents/new/",
        {
            "occurred_at": "2026-09-20T14:05",
            "unit_informed_at": "",
            "place": "一社区老旧厂房",
            "kind": "fire",
            "summary": "厂房电气线路老化引发火灾。",
            "deaths": "0",
            "serious_injuries": "10",
            "missing": "1",
            "direct_loss_yuan": "350000",
            "unit": "V1",
            "site": "",
            "reported_to_county_at": "2026-09-20T14:50",
            "reporter": "社区主任",
        },
    )
    a = Accident.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/safety/accidents/{a.uid}/"
    assert (a.grade, a.unit, a.highest_level) == ("relatively_large", personas.city.V1, "county")
    assert a.occurred_at == datetime(2026, 9, 20, 14, 5, tzinfo=CST)
    # an error from the service lands on the form
    r = client.post(
        "/safety/accidents/new/",
        {
            "occurred_at": "2026-09-20T14:05",
            "unit_informed_at": "2026-09-20T13:00",
            "place": "x",
            "kind": "fire",
            "summary": "x",
            "deaths": "0",
            "serious_injuries": "0",
            "missing": "0",
            "direct_loss_yuan": "0",
            "unit": "T2",
        },
    )
    assert r.status_code == 200 and Accident.objects.count() == 1
    assert "invalid-feedback" in r.content.decode()


def test_a_step_from_the_page(client_for, inspector, accident):
    client = client_for(inspector)
    r = client.post(
        f"/safety/accidents/{accident.uid}/act/county_reported/",
        {"version": "1", "at": "2026-09-16T09:00", "reporter": "厂长"},
    )
    assert r.status_code == 302
    accident.refresh_from_db()
    assert accident.highest_level == "county" and accident.version == 2
    # a stale form is refused with a message, nothing changes
    r = client.post(
        f"/safety/accidents/{accident.uid}/act/reported_up/",
        {"version": "1", "at": "2026-09-16T10:00", "level": "city"},
        follow=True,
    )
    assert "alert-danger" in r.content.decode() or "alert-error" in r.content.decode()
    accident.refresh_from_db()
    assert accident.highest_level == "county"
    assert client.post(f"/safety/accidents/{accident.uid}/act/fly/").status_code == 404


def test_a_recent_accident_offers_the_county_report_and_supplements(
    client_for, personas, inspector
):
    a = accident_report(
        actor=inspector,
        occurred_at=dj_timezone.now() - timedelta(hours=1),
        place="仓库",
        kind="fire",
        summary="起火。",
        unit=personas.city.T1,
    )
    page = client_for(inspector).get(f"/safety/accidents/{a.uid}/").content.decode()
    assert 'id="act-county_reported"' in page and 'id="act-supplement"' in page
    assert 'id="act-reported_up"' not in page
