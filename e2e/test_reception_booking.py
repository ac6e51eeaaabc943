"""Public reception days (item 12): a citizen books a place in Chinese on the portal and gets a
confirmation code; the receiving office's clerk then sees the booking on the session page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

from anxin.core.testing import PASSWORD, make_personas
from anxin.petitions import reception

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "e2e"
CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


def test_a_citizen_books_a_reception_day_and_the_clerk_sees_it(live_server, page: Page) -> None:
    personas = make_personas()
    start = timezone.localtime(timezone.now() + timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    session = reception.reception_session_create(
        actor=personas.same,
        leader=personas.same,
        leader_title="一街道党工委书记",
        unit=personas.city.T1,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        place="一街道便民服务中心二楼接待室",
        topics="征地拆迁、物业管理",
        capacity=5,
    )
    reception.reception_session_publish(actor=personas.same, session=session)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The citizen, in Chinese, from the portal's navigation bar.
    page.goto(live_server.url + "/portal/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.get_by_role("link", name="预约领导接访").click()
    expect(page.locator("h1")).to_contain_text("领导公开接访")
    card = page.locator("#sessions .card", has_text="一街道便民服务中心二楼接待室")
    expect(card).to_contain_text("一街道党工委书记")
    card.get_by_role("link", name="预约名额").click()

    form = page.locator("form", has=page.locator("textarea[name=topic]"))
    form.locator("input[name=name]").fill("王五")
    form.locator("input[name=phone]").fill("13912345678")
    form.locator("textarea[name=topic]").fill("小区拆迁安置房逾期两年未交付，过渡费已停发。")
    form.locator("button[type=submit]").click()

    expect(page.locator("h1")).to_contain_text("您已预约成功")
    code = page.locator("#confirmation-code").inner_text().strip()
    assert CODE.fullmatch(code), code
    assert code not in page.url
    expect(page.locator("main")).to_contain_text("确认码")
    page.screenshot(path=str(SCREENSHOTS / "reception-booked.png"), full_page=True)

    # The clerk of the receiving office (city-wide scope) signs in and opens the session.
    page.goto(live_server.url + "/accounts/login/")
    login = page.locator("form", has=page.locator("input[name=password]"))
    login.locator("input[name=username]").fill("clerk")
    login.locator("input[name=password]").fill(PASSWORD)
    login.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/petitions/reception/sessions/")
    expect(page.locator("h1")).to_contain_text("领导公开接访")
    page.get_by_role("link", name=re.compile(start.strftime("%Y-%m-%d %H:%M"))).click()
    bookings = page.locator("#bookings")
    expect(bookings).to_contain_text("王五")
    expect(bookings).to_contain_text("139****5678")
    expect(bookings).not_to_contain_text("13912345678")
    expect(page.locator("#booked")).to_contain_text("1 / 5")
    page.screenshot(path=str(SCREENSHOTS / "reception-staff.png"), full_page=True)
