"""Dashboards: figures from the rollups, in scope, each element opening the list of exactly the
items it counts; the leader's page, hot spots and 我的待办."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anxin.petitions import selectors as petition_selectors
from anxin.petitions import services
from anxin.reports import dashboards, todo
from anxin.safety import selectors_hazards

pytestmark = pytest.mark.django_db


def _chart(response: Any, key: str) -> dict[str, Any]:
    for panel in response.context["panels"]:
        if panel["chart"]["key"] == key:
            return panel["chart"]
    raise AssertionError(key)


def _series(chart: dict[str, Any], index: int) -> dict[str, Any]:
    return chart["series"][index]


def _params(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query))


def test_the_overview_counts_petitions_by_channel_and_each_bar_opens_its_list(
    personas: Any, register: Any, client_for: Any
) -> None:
    today = timezone.localdate()
    register(received_on=today, channel="visit")
    register(received_on=today, channel="visit", title="另一件事情")
    register(received_on=today, channel="letter", title="第三件事情")
    response = client_for(personas.viewer).get(reverse("dashboard_city"))
    assert response.status_code == 200
    chart = _chart(response, "petitions_channel")
    visits = _series(chart, 4)  # Channel.VISIT
    assert visits["data"][-1] == 2 and sum(visits["data"]) == 2
    path, params = _params(visits["links"][-1])
    assert path == reverse("petition_list")
    assert params["channel"] == "visit"
    listed = petition_selectors.petition_list(user=personas.viewer, **params)
    assert listed.count() == 2
    # the page carries the chart as JSON for dashboard.js, never as an inline script
    assert b'id="data-petitions_channel" type="application/json"' in response.content
    assert b"<script>" not in response.content


def test_every_figure_of_the_overview_equals_its_list(
    personas: Any, register: Any, client_for: Any
) -> None:
    today = timezone.localdate()
    for i, (channel, kind) in enumerate(
        [("visit", "claim"), ("web", "suggestion"), ("letter", "claim")]
    ):
        register(
            received_on=today - dt.timedelta(days=40 * i),
            channel=channel,
            kind=kind,
            title=f"事项{i}",
        )
    response = client_for(personas.viewer).get(reverse("dashboard_city"))
    for key in ("petitions_channel", "petitions_kind", "petitions_category"):
        for series in _chart(response, key)["series"]:
            for n, link in zip(series["data"], series["links"], strict=True):
                _path, params = _params(link)
                assert petition_selectors.petition_list(user=personas.viewer, **params).count() == n


@pytest.mark.usefixtures("media")
def test_hazards_found_bar_opens_the_hazards_found_that_month(
    personas: Any, hazard_factory: Any, client_for: Any
) -> None:
    hazard_factory()
    hazard_factory(description="消防通道堵塞")
    response = client_for(personas.viewer).get(reverse("dashboard_city"))
    found = _series(_chart(response, "hazards_found_closed"), 0)
    assert found["data"][-1] == 2
    path, params = _params(found["links"][-1])
    assert path == reverse("hazard_list")
    assert selectors_hazards.hazard_list(user=personas.viewer, **params).count() == 2
    page = client_for(personas.viewer).get(found["links"][-1])
    assert page.status_code == 200 and len(page.context["page"].items) == 2


def test_figures_stay_within_scope(personas: Any, register: Any, client_for: Any) -> None:
    register(received_on=timezone.localdate(), channel="visit")
    response = client_for(personas.outsider).get(reverse("dashboard_city"))
    chart = _chart(response, "petitions_channel")
    assert all(n == 0 for s in chart["series"] for n in s["data"])


def test_the_unit_dashboard_is_for_units_in_scope(personas: Any, client_for: Any) -> None:
    c = personas.city
    client = client_for(personas.same)
    assert client.get(reverse("dashboard_unit")).context["root"] == c.T1
    assert client.get(reverse("dashboard_unit") + "?unit=V1").status_code == 200
    assert client.get(reverse("dashboard_unit") + "?unit=T2").status_code == 404
    assert client.get(reverse("dashboard_unit") + "?unit=NOPE").status_code == 404


def test_administrators_have_no_dashboards(personas: Any, client_for: Any) -> None:
    assert client_for(personas.auditor).get(reverse("dashboard_city")).status_code == 403


def test_the_overview_costs_the_same_queries_for_more_data(
    personas: Any, register: Any, client_for: Any
) -> None:
    client = client_for(personas.viewer)
    today = timezone.localdate()
    register(received_on=today)
    client.get(reverse("dashboard_city"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard_city"))
    for i in range(5):
        register(received_on=today - dt.timedelta(days=30 * i), channel="web", title=f"事项{i}")
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("dashboard_city"))
    assert len(more) == len(few)


def test_overdue_items_by_unit_come_from_the_clocks(
    personas: Any, register: Any, client_for: Any
) -> None:
    register(received_on=timezone.localdate() - dt.timedelta(days=60))
    chart = dashboards.overdue_by_unit(personas.viewer)
    petitions = _series(chart, 0)
    assert chart["categories"][-1] == personas.city.C.name  # the clock sits at the city itself
    assert petitions["data"][-1] == 1 and sum(petitions["data"]) == 1
    _path, params = _params(petitions["links"][-1])
    assert params == {"overdue": "1", "unit": personas.city.C.code}
    assert petition_selectors.petition_list(user=personas.viewer, **params).count() == 1


def test_the_leaders_page_lists_the_cases_they_lead(
    personas: Any, register: Any, client_for: Any
) -> None:
    p = register(received_on=timezone.localdate()).petition
    services.petition_accept(
        actor=personas.clerk, petition=p, lead_unit=personas.city.T1, leader=personas.same
    )
    page = client_for(personas.same).get(reverse("dashboard_leader"))
    assert [c.pk for c in page.context["cases"]] == [p.pk]
    assert client_for(personas.parent).get(reverse("dashboard_leader")).context["cases"] == []


def test_hot_spots_compare_this_month_with_the_last(personas: Any, register: Any) -> None:
    today = timezone.localdate()
    last = dashboards.add_months(dashboards.month_start(today), -1)
    register(received_on=today)
    register(received_on=today, title="另一件事情")
    register(received_on=last, title="上月的事情")
    spots = dashboards.hot_spots(personas.viewer, today=today)
    [row] = spots["categories"]
    assert (row["last"], row["this"]) == (1, 2)
    _path, params = _params(row["url"])
    assert petition_selectors.petition_list(user=personas.viewer, **params).count() == 2
    assert "people" not in json.dumps(spots, default=str)


def test_my_todo_lists_the_clocks_waiting_for_my_step_by_due_date(
    personas: Any, register: Any, client_for: Any
) -> None:
    today = timezone.localdate()
    late = register(received_on=today - dt.timedelta(days=30), title="较早的事情").petition
    soon = register(received_on=today).petition
    items = todo.todo_for(personas.clerk)
    assert [i.label for i in items] == [f"{late.number} 较早的事情", f"{soon.number} {soon.title}"]
    assert items[0].overdue and not items[1].overdue
    assert items[0].url == reverse("petition_detail", args=[late.uid])
    assert todo.todo_for(personas.outsider) == []
    home = client_for(personas.clerk).get(reverse("home"))
    assert late.number in home.content.decode()


def test_my_todo_holds_what_i_am_responsible_for(
    personas: Any, register: Any, client_for: Any
) -> None:
    p = register(received_on=timezone.localdate()).petition
    services.petition_accept(
        actor=personas.clerk, petition=p, lead_unit=personas.city.T1, leader=personas.same
    )
    [item] = todo.todo_for(personas.same)
    assert item.mine and item.label.startswith(p.number)
    assert todo.todo_for(personas.sibling) == []


def test_my_todo_holds_the_notices_my_unit_must_answer(personas: Any) -> None:
    from anxin.supervision.notices import notice_issue

    reply_by = timezone.localdate() + dt.timedelta(days=5)
    notice = notice_issue(
        actor=personas.parent,
        kind="letter",
        matters="请于期限内报告本单位逾期未办结信访事项的整改情况。",
        reply_by=reply_by,
        unit=personas.city.T1,
    )
    [item] = todo.todo_for(personas.member)
    assert (item.kind, item.label, item.clock) == ("督办通知", str(notice), "答复期限")
    assert item.url == reverse("notice_detail", args=[notice.uid])
    assert item.due_on == reply_by and not item.mine
    # the issuer's side and another township have nothing to answer
    assert todo.todo_for(personas.parent) == []
    assert todo.todo_for(personas.sibling) == []


def test_the_three_petition_charts_read_the_rollups_once(personas: Any, register: Any) -> None:
    """By channel, by kind and by category: one grouped read of the monthly rollup, none of
    the daily rows."""
    from anxin.reports.dashboards import city_charts

    today = timezone.localdate()
    register(received_on=today, channel="web")
    register(received_on=today - dt.timedelta(days=40), channel="phone")
    with CaptureQueriesContext(connection) as ctx:
        charts = city_charts(personas.viewer)
    reads = [q["sql"] for q in ctx.captured_queries if "reports_petitionmonthly" in q["sql"]]
    assert len(reads) == 1
    assert not any("reports_petitiondaily" in q["sql"] for q in ctx.captured_queries)
    by_key = {c["key"]: c for c in charts}
    for key in ("petitions_channel", "petitions_kind", "petitions_category"):
        assert sum(sum(s["data"]) for s in by_key[key]["series"]) == 2, key
    web = next(s for s in by_key["petitions_channel"]["series"] if s["name"] == "网上信访")
    assert web["data"][-1] == 1


@pytest.mark.usefixtures("media")
def test_city_wide_figures_read_the_rollups_by_day_alone(
    personas: Any, register: Any, hazard_factory: Any
) -> None:
    """City-wide staff see every rollup row: they are read with no join to the units (by day or
    month, through the covering index), with the same figures as a district's scoped read of its own
    part; a district head's read keeps its unit filter."""
    from anxin.core.scoping import covers_every_unit

    hazard_factory()
    hazard_factory(description="消防通道堵塞")
    register(received_on=timezone.localdate(), channel="visit")
    assert covers_every_unit(personas.viewer, "hazard.view")
    assert not covers_every_unit(personas.parent, "hazard.view")
    for user, joined in ((personas.viewer, False), (personas.parent, True)):
        with CaptureQueriesContext(connection) as ctx:
            charts = {c["key"]: c for c in dashboards.city_charts(user)}
        reads = [
            q["sql"]
            for q in ctx.captured_queries
            if "reports_hazarddaily" in q["sql"] or "reports_petitionmonthly" in q["sql"]
        ]
        assert len(reads) == 2
        assert all(('"core_unit"' in sql) is joined for sql in reads), user
        found = _series(charts["hazards_found_closed"], 0)["data"]
        assert sum(found) == found[-1] == 2, user
