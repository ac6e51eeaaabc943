"""The inspection record on a 390px phone: the checklist and the record fit the screen, and a
signature drawn with a finger on the canvas (static/anxin/signature.js, no inline script) is
recorded (安全生产法 Art. 68). Screenshots: var/e2e/inspection-*.png."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from anxin.core.choices import Role
from anxin.core.testing import PASSWORD, make_person, make_personas

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "e2e"
PHONE = {"width": 390, "height": 844}


def fits_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def test_an_inspector_signs_on_a_phone(browser: Browser, live_server, settings, tmp_path) -> None:
    from anxin.safety import inspections, services
    from anxin.safety.checklist_seed import seed_checklists, seed_sectors
    from anxin.safety.models import ChecklistItem, ChecklistTemplate, Sector
    from anxin.safety.models_inspections import Inspection

    settings.MEDIA_ROOT = tmp_path
    with transaction.atomic():
        # an earlier live-server test may have flushed the migrations' data
        seed_sectors(Sector)
        seed_checklists(Sector, ChecklistTemplate, ChecklistItem, published_at=timezone.now())
        p = make_personas()
        inspector = make_person("insp", p.city.T1, [(Role.INSPECTOR, p.city.D1)])
        sector = Sector.objects.get(code="industry_trade")
        site = services.site_create(
            actor=None,
            name="一街道机械厂",
            sector=sector,
            unit=p.city.V1,
            address="和平路8号",
            risk_level="yellow",
        )
        items = ChecklistItem.objects.filter(template__sector=sector, template__is_current=True)
        record = inspections.inspection_create(
            actor=inspector,
            site=site,
            content="日常检查",
            results=[inspections.ResultIn(i.pk, "fail" if i.order == 1 else "pass") for i in items],
        )
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/accounts/login/")
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill("insp")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(base + "/")

    page.goto(f"{base}/safety/inspections/{record.uid}/fill/")
    expect(page.locator("#checklist")).to_contain_text("不适用")
    fits_phone(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inspection-01-checklist.png"), full_page=True)

    page.goto(f"{base}/safety/inspections/{record.uid}/")
    fits_phone(page)
    canvas = page.locator("canvas[data-signature-pad]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + 30)
    page.mouse.down()
    for k in range(1, 20):
        page.mouse.move(box["x"] + 20 + k * 12, box["y"] + 30 + (k % 5) * 8)
    page.mouse.up()
    page.locator("#signer").select_option("inspector")
    with page.expect_navigation():
        page.locator("#sign-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("签名已记录。")
    expect(page.locator("#signatures")).to_contain_text("手写签名")
    page.screenshot(path=str(SCREENSHOTS / "inspection-02-signed.png"), full_page=True)
    assert Inspection.objects.get(pk=record.pk).signatures.get().method == "drawn"
    context.close()
