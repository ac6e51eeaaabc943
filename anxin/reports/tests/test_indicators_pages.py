"""The indicator pages: the figures of a unit and the list behind each figure."""

from __future__ import annotations

import re
from typing import Any

pytest_plugins = ["anxin.reports.tests.kpi_data"]

NOV = "from=2026-11-01&to=2026-11-30"


def test_the_figures_link_to_their_lists(seeded: Any, personas: Any, client_for: Any) -> None:
    client = client_for(personas.viewer)
    response = client.get(f"/reports/indicators/?unit=D1&{NOV}")
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr data-key="timely_acceptance_rate">(.*?)</tr>', html, re.S)
    assert row is not None
    assert ">2</a>" in row.group(1) and ">4</a>" in row.group(1) and "50%" in row.group(1)
    link = re.search(r'href="([^"]*timely_acceptance_rate[^"]*part=numerator[^"]*)"', html)
    assert link is not None
    listed = client.get(link.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    page = listed.content.decode()
    # P1 and P7 (accepted in time), each linking to its case; never a title or a name
    for name in ("P1", "P7"):
        p = seeded.petitions[name]
        assert f'href="/petitions/{p.uid}/"' in page and p.number in page
    assert "案件P1" not in page
    assert seeded.petitions["P2"].number not in page


def test_the_list_pages_and_its_errors(seeded: Any, personas: Any, client_for: Any) -> None:
    client = client_for(personas.viewer)
    page = client.get(f"/reports/indicators/overdue_hazards/?unit=C&{NOV}&part=numerator")
    assert page.status_code == 200
    assert seeded.hazards["H2"].number in page.content.decode()
    bad = client.get(f"/reports/indicators/overdue_hazards/?unit=C&{NOV}&part=denominator")
    assert bad.status_code == 400
    assert "该指标是计数，没有分母。" in bad.content.decode()
    assert client.get(f"/reports/indicators/no_such/?unit=C&{NOV}").status_code == 404
    wrong = client.get("/reports/indicators/?unit=D1&from=2026-11-30&to=2026-11-01")
    assert wrong.status_code == 400
    assert "开始日期不能晚于结束日期。" in wrong.content.decode()


def test_outsiders_get_404_and_others_403(personas: Any, client_for: Any) -> None:
    assert client_for(personas.outsider).get("/reports/indicators/?unit=D1").status_code == 404
    assert client_for(personas.enterprise).get("/reports/indicators/").status_code == 403
    assert client_for(personas.outsider).get("/reports/indicators/").status_code == 200
