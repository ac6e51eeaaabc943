"""The first browser test: a demo clerk logs in and lands on the workbench."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management import call_command
from playwright.sync_api import Page, expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "e2e"
DEMO_PASSWORD = os.environ.get("ANXIN_DEMO_PASSWORD", "anxin-demo-2026")


def test_clerk_logs_in_and_sees_the_workbench(live_server, settings, page: Page) -> None:
    settings.ANXIN_DEMO = True
    call_command("seed_demo", "--seed", "1")

    page.goto(live_server.url + "/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.locator("body")).to_contain_text("登录")

    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill("clerk")
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()

    page.wait_for_url(live_server.url + "/")
    expect(page.locator("h1").first).to_contain_text("工作台")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "login.png"), full_page=True)
