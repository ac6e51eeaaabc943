"""Hazard reports from the public (issue 4, item 7): an anonymous citizen files a report with a
photo on the portal in Chinese and gets a tracking code; an inspector registers it at a site;
the citizen follows the report with the code and sees the new status."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from anxin.core.choices import Role
from anxin.core.testing import PASSWORD, make_person, make_personas
from anxin.safety import services
from anxin.safety.checklist_seed import seed_sectors
from anxin.safety.models import Sector
from anxin.safety.models_hazards import Hazard

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "e2e"
CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


def _photo(path: Path) -> Path:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def test_an_anonymous_report_is_registered_and_followed(
    live_server, page: Page, tmp_path: Path
) -> None:
    seed_sectors(Sector)  # a previous live-server test flushed the migration data
    personas = make_personas()
    make_person("insp", personas.city.T1, [(Role.INSPECTOR, personas.city.D1)])
    site = services.site_create(
        actor=None,
        name="和平路农贸市场",
        credit_code="91310110666007217T",
        sector=Sector.objects.get(code="industry_trade"),
        unit=personas.city.V1,
        address="和平路8号",
        risk_level="yellow",
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The citizen, in Chinese, from the portal's navigation bar.
    page.goto(live_server.url + "/portal/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.get_by_role("link", name="举报安全隐患").click()
    expect(page.locator("h1")).to_contain_text("举报安全隐患")
    form = page.locator("form", has=page.locator("textarea[name=description]"))
    form.locator("textarea[name=description]").fill("市场二楼消防通道被货物堵死，灭火器过期。")
    form.locator("select[name=unit]").select_option(personas.city.V1.code)
    form.locator("input[name=place_text]").fill("和平路农贸市场二楼")
    form.locator("input[name=photos]").set_input_files(str(_photo(tmp_path / "现场.jpg")))
    form.locator("input[name=anonymous]").check()
    form.locator("button[type=submit]").click()

    expect(page.locator("h1")).to_contain_text("举报已收到")
    code = page.locator("#tracking-code").inner_text().strip()
    assert CODE.fullmatch(code), code
    assert code not in page.url
    page.screenshot(path=str(SCREENSHOTS / "hazard-report-receipt.png"), full_page=True)
    hazard = Hazard.objects.get()
    assert hazard.status == "reported" and hazard.reporter_name == ""

    # The inspector registers the report at the site.
    page.goto(live_server.url + "/accounts/login/")
    login = page.locator("form", has=page.locator("input[name=password]"))
    login.locator("input[name=username]").fill("insp")
    login.locator("input[name=password]").fill(PASSWORD)
    login.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + f"/safety/hazards/{hazard.uid}/")
    register = page.locator("#act-register")
    register.locator("input[name=site]").fill(str(site.uid))
    register.locator("button[type=submit]").click()
    page.wait_for_load_state()
    hazard.refresh_from_db()
    assert hazard.status == "registered" and hazard.site == site

    # The citizen follows the report with the code.
    page.context.clear_cookies()
    page.goto(live_server.url + "/portal/hazards/track/")
    page.locator("input[name=code]").fill(code)
    page.locator("main form button[type=submit]").click()
    status = page.locator("#report-status")
    expect(status).to_have_attribute("data-status", "registered")
    expect(status).to_contain_text("已登记")
    expect(page.locator("main")).to_contain_text("和平路农贸市场")
    page.screenshot(path=str(SCREENSHOTS / "hazard-report-followed.png"), full_page=True)
