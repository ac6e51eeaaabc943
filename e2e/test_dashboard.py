"""The city dashboard in a real browser: ECharts draws the rollups, and clicking a bar opens the
petitions ledger filtered to exactly the cases that bar counts (issue 5, "Done when").

Screenshots: var/e2e/dashboard-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Page, expect

from anxin.core.testing import PASSWORD, make_personas

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "e2e"

#: the centre of this month's bar of a series, relative to the chart, from the chart's own layout
BAR_CENTRE = """([key, series]) => {
  const chart = echarts.getInstanceByDom(document.getElementById(key));
  const last = chart.getOption().xAxis[0].data.length - 1;
  const bar = chart.getModel().getSeriesByIndex(series).getData().getItemLayout(last);
  return [bar.x + bar.width / 2, bar.y + bar.height / 2];
}"""


def _register(personas, channel: str, title: str):
    from anxin.petitions.models import Category
    from anxin.petitions.services import ComplainantIn, petition_register

    return petition_register(
        actor=personas.clerk,
        channel=channel,
        kind="claim",
        category=Category.objects.get(code="labour"),
        title=title,
        content="某建筑公司拖欠农民工工资三个月，多次讨要未果，请求协调解决。",
        unit=personas.city.C,
        complainants=[ComplainantIn(name="张三", phone="13812345678")],
        received_on=timezone.localdate(),
    ).petition


def test_a_bar_of_the_city_dashboard_opens_its_list(live_server, page: Page) -> None:
    from anxin.petitions.models import Category, DeclineReason
    from anxin.petitions.vocabularies import load_vocabularies

    with transaction.atomic():
        load_vocabularies(Category, DeclineReason)  # an earlier live-server test flushed them
        personas = make_personas()
        visits = [
            _register(personas, "visit", "工地拖欠工资（走访一）"),
            _register(personas, "visit", "工地拖欠工资（走访二）"),
        ]
        letter = _register(personas, "letter", "工地拖欠工资（来信）")

    page.goto(live_server.url + "/accounts/login/")
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill("viewer")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")

    page.get_by_role("link", name="统计看板").first.click()
    page.wait_for_url(live_server.url + "/dashboards/")
    chart = page.locator("#petitions_channel[data-ready='1']")
    expect(chart).to_be_visible()
    expect(chart.locator("canvas")).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-city.png"), full_page=True)

    # the "visit in person" bar (series 4) of this month holds 2 cases: click its middle
    x, y = page.evaluate(BAR_CENTRE, ["petitions_channel", 4])
    chart.click(position={"x": x, "y": y})  # Playwright scrolls the chart into view first
    page.wait_for_url(re.compile(r"/petitions/\?.*channel=visit"))
    expect(page.locator("h1")).to_have_text("信访台账")
    ledger = page.locator("table tbody")
    for p in visits:
        expect(ledger).to_contain_text(p.number)
    expect(ledger).not_to_contain_text(letter.number)
    expect(ledger.locator("tr")).to_have_count(2)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-drilldown.png"), full_page=True)
