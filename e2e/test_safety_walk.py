"""One hazard walked through the real pages, in Chinese (the pages' default language).

The issue: "walk a site through a signed checklist inspection with a photo, a failed item
becoming a major hazard, 五落实, the enterprise's evidence, a failed then passed verification,
the resumption approval and 销号".

People: the demo logins ``inspector`` (安全检查员 吴刚, 应急管理局, city-wide) and ``enterprise``
(企业联系人 郑伟, contact of the first demo site, in 城关街道 SFS-AP-01). Data: the core demo and
the safety demo at a small scale, see ``demo_city``. Screenshots: var/e2e/safety-NN-*.png.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import transaction
from faker import Faker
from playwright.sync_api import Browser, Page, expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "e2e"
DEMO_PASSWORD = os.environ.get("ANXIN_DEMO_PASSWORD", "anxin-demo-2026")

#: the hazard's status badge (#hazard-status), from anxin/locale/zh_Hans/LC_MESSAGES/django.po
REGISTERED = "已登记"
RECTIFYING = "整改中"
SUBMITTED = "已提交整改"
VERIFIED = "已验收"
CLOSED = "已销号"
MAJOR = "重大事故隐患"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"safety-{name}.png"), full_page=True)


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(base + "/")


def confirm(page: Page, action: str) -> None:
    with page.expect_navigation():
        page.locator(f"#act-{action}").get_by_role("button", name="确认").click()


def ok(page: Page) -> None:
    errors = page.locator(".alert-danger[role=alert]")
    if errors.count():
        raise AssertionError(errors.all_inner_texts())


def status(page: Page, text: str) -> None:
    expect(page.locator("#hazard-status")).to_have_text(text)


@pytest.fixture
def demo_city(settings, tmp_path) -> None:
    from anxin.core import demo as core_demo
    from anxin.core.demo import DemoContext
    from anxin.safety import demo as safety_demo

    settings.ANXIN_DEMO = True
    settings.MEDIA_ROOT = tmp_path / "media"
    faker = Faker("zh_CN")
    faker.seed_instance(1)
    ctx = DemoContext(seed=1, rng=random.Random(1), faker=faker, demo_logins=True, scale=0.05)
    for module in (core_demo, safety_demo):
        with transaction.atomic():
            module.seed(ctx)


@pytest.fixture
def people(
    browser: Browser, live_server, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Page]]:
    pages: dict[str, Page] = {}

    def person(username: str) -> Page:
        if username not in pages:
            context = browser.new_context(
                locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
            )
            context.set_default_timeout(15_000)
            pages[username] = context.new_page()
            sign_in(pages[username], live_server.url, username)
        return pages[username]

    yield person
    report = getattr(request.node, "_anxin_report_call", None)
    for key, page in pages.items():
        if report is not None and report.failed:
            with contextlib.suppress(Exception):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"FAILED-safety-{key}.png"), full_page=True)
        page.context.close()


@pytest.fixture
def photo(tmp_path) -> Path:
    from PIL import Image

    path = tmp_path / "配电箱.jpg"
    Image.new("RGB", (64, 48), (200, 60, 40)).save(path, "JPEG")
    return path


def test_a_site_walks_from_inspection_to_closure(
    live_server, demo_city: None, people: Callable[[str], Page], photo: Path
) -> None:
    from anxin.safety.models import Site

    base = live_server.url
    site = Site.objects.get(contact_user__username="enterprise")

    # 1. The inspector opens a new inspection of the enterprise's site.
    inspector = people("inspector")
    inspector.goto(base + "/safety/inspections/new/")
    form = inspector.locator("#inspection-form")
    form.locator("select[name=site]").select_option(str(site.uid))
    form.locator("[name=place]").fill("生产车间及配电房")
    form.locator("[name=content]").fill("日常安全检查（浏览器测试）")
    with inspector.expect_navigation():
        form.locator("button[type=submit]").click()
    inspector.wait_for_url("**/fill/")

    # 2. The checklist: the first item fails, with a photo; the others pass.
    items = inspector.locator("#checklist fieldset")
    count = items.count()
    assert count >= 2, "the site's sector needs a checklist"
    for k in range(count):
        pk = items.nth(k).get_attribute("id").removeprefix("item-")  # type: ignore[union-attr]
        grade = "fail" if k == 0 else "pass"
        inspector.locator(f"label[for=grade_{pk}_{grade}]").click()
        if k == 0:
            inspector.locator(f"#notes_{pk}").fill("配电箱未上锁，电缆破损裸露")
            inspector.locator(f"#photos_{pk}").set_input_files(str(photo))
    inspector.locator("#problems").fill("配电箱电缆破损")
    shot(inspector, "01-checklist")
    with inspector.expect_navigation():
        inspector.locator("#checklist button[type=submit]").click()
    ok(inspector)
    expect(inspector.locator("h1")).to_contain_text("检查记录")
    expect(inspector.locator("#results img.img-thumbnail")).to_have_count(1)  # the photo

    # 3. The inspector signs on the canvas.
    canvas = inspector.locator("canvas[data-signature-pad]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    inspector.mouse.move(box["x"] + 20, box["y"] + 30)
    inspector.mouse.down()
    for k in range(1, 20):
        inspector.mouse.move(box["x"] + 20 + k * 12, box["y"] + 30 + (k % 5) * 8)
    inspector.mouse.up()
    inspector.locator("#signer").select_option("inspector")
    with inspector.expect_navigation():
        inspector.locator("#sign-form button[type=submit]").click()
    expect(inspector.locator(".alert-success")).to_contain_text("签名已记录。")
    expect(inspector.locator("#signatures")).to_contain_text("手写签名")

    # 4. The failed item becomes a major hazard (no deadline yet).
    to_hazards = inspector.locator("#to-hazards")
    to_hazards.locator("select").first.select_option("major")
    with inspector.expect_navigation():
        to_hazards.locator("button[type=submit]").click()
    expect(inspector.locator(".alert-success")).to_contain_text("已登记 1 条隐患")
    shot(inspector, "02-inspection-signed")
    with inspector.expect_navigation():
        inspector.locator("#results a.badge").first.click()
    status(inspector, REGISTERED)
    expect(inspector.locator("#hazard-badges")).to_contain_text(MAJOR)
    hazard_url = inspector.url

    # 5. 五落实: starting with only two of five is refused, naming the missing ones.
    f = inspector.locator("#act-start_rectification")
    f.locator("#five-responsible").fill("车间主任 刘强")
    f.locator("#five-measures").fill("更换破损电缆，配电箱加锁并张贴警示标识")
    confirm(inspector, "start_rectification")
    error = inspector.locator(".alert-danger")
    expect(error).to_contain_text("重大事故隐患须先落实：资金、时限、应急预案")
    status(inspector, REGISTERED)
    shot(inspector, "03-five-missing")
    f = inspector.locator("#act-start_rectification")
    f.locator("#five-responsible").fill("车间主任 刘强")
    f.locator("#five-measures").fill("更换破损电缆，配电箱加锁并张贴警示标识")
    f.locator("#five-funds").fill("3000")
    f.locator("#five-deadline").fill((date.today() + timedelta(days=15)).isoformat())
    f.locator("#five-plan").fill("停电检修，设置警戒区，人员疏散")
    f.locator("#five-stopped").check()
    confirm(inspector, "start_rectification")
    ok(inspector)
    status(inspector, RECTIFYING)

    # 6. The enterprise contact submits the evidence.
    enterprise = people("enterprise")

    def submit_evidence(note: str) -> None:
        enterprise.goto(hazard_url)
        status(enterprise, RECTIFYING)
        f = enterprise.locator("#act-submit_rectification")
        f.locator("input[name=files]").set_input_files(str(photo))
        f.locator("#sub-note").fill(note)
        confirm(enterprise, "submit_rectification")
        ok(enterprise)
        status(enterprise, SUBMITTED)

    submit_evidence("已更换电缆并加锁")
    shot(enterprise, "04-evidence-submitted")

    # 7. The inspector's verification fails, with the reason: back to rectification.
    inspector.goto(hazard_url)
    status(inspector, SUBMITTED)
    f = inspector.locator("#act-verify")
    f.locator("label[for=ver-fail]").click()
    f.locator("#ver-notes").fill("警示标识未张贴")
    confirm(inspector, "verify")
    ok(inspector)
    status(inspector, RECTIFYING)
    expect(inspector.locator("main")).to_contain_text("警示标识未张贴")

    # 8. The enterprise submits again; this time it passes.
    submit_evidence("已张贴警示标识")
    inspector.goto(hazard_url)
    f = inspector.locator("#act-verify")
    f.locator("label[for=ver-pass]").click()
    f.locator("#ver-notes").fill("整改到位")
    confirm(inspector, "verify")
    ok(inspector)
    status(inspector, VERIFIED)

    # 9. The resumption is approved, then 销号.
    inspector.locator("#act-approve_resumption textarea[name=notes]").fill("经审查同意恢复生产")
    confirm(inspector, "approve_resumption")
    ok(inspector)
    status(inspector, VERIFIED)
    inspector.locator("#act-close textarea[name=notes]").fill("隐患已消除，予以销号")
    confirm(inspector, "close")
    ok(inspector)
    status(inspector, CLOSED)
    shot(inspector, "05-closed")
    enterprise.goto(hazard_url)
    status(enterprise, CLOSED)
