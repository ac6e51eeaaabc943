"""One claim walked through the real pages, in Chinese (the pages' default language).

The issue: "A browser test in Chinese walks one claim from portal submission through forwarding,
an upheld objection, acceptance, an extension, sign-off and delivery of the decision, a
dissatisfied rating, 复查, 复核 and the 不再受理 flag on re-submission."

Every person has a browser context of their own and signs in through /accounts/login/; the
citizen uses the portal with the query code only. The same walk done through the services is
anxin/petitions/tests/test_claim_path.py. The 城关街道 head signs off and delivers from a 390px
phone, and the clerk reads the flagged case on one: the case page must fit (no horizontal
scrolling). Data: the demo city and its logins (ANXIN_DEMO), see ``demo_city``.

Screenshots: var/e2e/claim-NN-*.png.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import transaction
from faker import Faker
from playwright.sync_api import Browser, Locator, Page, expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "e2e"
DEMO_PASSWORD = os.environ.get("ANXIN_DEMO_PASSWORD", "anxin-demo-2026")
PHONE = {"width": 390, "height": 844}

#: the status badge (#status) in Chinese, from anxin/locale/zh_Hans/LC_MESSAGES/django.po
REGISTERED = "已登记"
HANDLING = "办理中"
DECIDED = "已出具处理意见"
REVIEW = "复查中"
REVIEWED = "已复查"
RECHECK = "复核中"
RECHECKED = "已复核"

#: the red alert of a `no_reacceptance` case (petitions/detail.html, in Chinese)
NO_REACCEPTANCE = "同一事实和理由的申诉求决类事项已经复核办结，依照第三十六条不再受理。"

TITLE = "示范劳务公司拖欠三个月工资（浏览器测试）"
CONTENT = (
    "本人在示范劳务公司城关街道项目部从事装修工作，2026年7月至9月共三个月工资"
    "合计人民币两万四千元至今未发放，多次找项目经理讨要均被推脱。请求督促公司足额支付拖欠工资。"
)


# --- helpers ----------------------------------------------------------------------------------


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"claim-{name}.png"), full_page=True)


def fits_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(base + "/")
    expect(page.locator("h1").first).to_contain_text("工作台")


def open_case(page: Page, base: str, number: str) -> None:
    """From the ledger (/petitions/), the way staff reach a case: the number links to it."""
    page.goto(base + "/petitions/")
    expect(page.locator("h1")).to_have_text("信访台账")
    page.locator("table").get_by_role("link", name=number, exact=True).click()
    page.wait_for_url("**/petitions/*/")
    expect(page.locator(".breadcrumb-item.active")).to_have_text(number)


def act(page: Page, action: str, fill: Callable[[Locator], None] | None = None) -> None:
    """Fill and confirm the step's form (#act-<action>) on the case page; it must succeed."""
    form = page.locator(f"#act-{action}")
    expect(form).to_be_visible()
    if fill is not None:
        fill(form)
    with page.expect_navigation():
        form.get_by_role("button", name="确认").click()
    errors = page.locator(".alert-danger[role=alert]")
    if errors.count():
        raise AssertionError(f"{action}: {errors.all_inner_texts()}")
    expect(page.locator(".alert-success[role=alert]")).to_contain_text("已完成：")


def portal_submit(page: Page, base: str) -> tuple[str, str]:
    page.goto(base + "/portal/petitions/new/")
    expect(page.locator("h1")).to_have_text("提交信访事项")
    page.locator("#id_kind").select_option("claim")
    expect(page.locator("#id_kind option:checked")).to_have_text("申诉求决类")
    page.locator("#id_category").select_option("labour")
    expect(page.locator("#id_category option:checked")).to_have_text("劳动社保")
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_content").fill(CONTENT)
    page.locator("#id_name").fill("李建国")
    page.locator("#id_phone").fill("13800138000")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("h1")).to_have_text("您的信访事项已登记")
    number = page.locator("#number").inner_text().strip()
    code = page.locator("#query-code").inner_text().strip()
    assert number.startswith("XF") and len(number) == 13
    assert len(code) == 14
    return number, code


def portal_track(page: Page, base: str, code: str) -> None:
    page.goto(base + "/portal/track/")
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#status")).to_be_visible()


@pytest.fixture
def demo_city(settings) -> None:
    """The demo city with its logins, and a few demo cases around ours in the ledger.

    ``seed_demo --seed 1`` makes 300 cases and takes ~25 s; the walk needs only the units and
    the logins (anxin.core.demo), so the petitions' demo runs at a small scale (15 cases).
    """
    from anxin.core import demo as core_demo
    from anxin.core.demo import DemoContext
    from anxin.petitions import demo as petitions_demo

    settings.ANXIN_DEMO = True
    faker = Faker("zh_CN")
    faker.seed_instance(1)
    ctx = DemoContext(seed=1, rng=random.Random(1), faker=faker, demo_logins=True, scale=0.05)
    for module in (core_demo, petitions_demo):
        with transaction.atomic():
            module.seed(ctx)


@pytest.fixture
def people(
    browser: Browser, live_server, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """``people("clerk")`` → a signed-in page in a context of its own (``phone=True``: 390px)."""
    pages: dict[str, Page] = {}

    def person(username: str, *, phone: bool = False) -> Page:
        key = f"{username}-phone" if phone else username
        if key not in pages:
            context = browser.new_context(
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                viewport=PHONE if phone else {"width": 1280, "height": 800},
                is_mobile=phone,
                has_touch=phone,
                device_scale_factor=2 if phone else 1,
            )
            context.set_default_timeout(15_000)
            pages[key] = context.new_page()
            sign_in(pages[key], live_server.url, username)
        return pages[key]

    yield person
    report = getattr(request.node, "_anxin_report_call", None)
    for key, page in pages.items():
        if report is not None and report.failed:
            with contextlib.suppress(Exception):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"FAILED-claim-{key}.png"), full_page=True)
        page.context.close()


# --- the walk ---------------------------------------------------------------------------------


def test_a_claim_walks_from_the_portal_to_no_reacceptance(
    live_server, demo_city: None, page: Page, people: Callable[..., Page]
) -> None:
    base = live_server.url
    citizen = page  # the portal needs no account

    # 1. The citizen submits a claim on the portal and keeps the number and the query code.
    number, code = portal_submit(citizen, base)
    assert citizen.locator("html").get_attribute("lang") == "zh-hans"
    shot(citizen, "01-portal-receipt")

    # 2. The city bureau's clerk finds it in the ledger and forwards it to 城关街道.
    clerk = people("clerk")
    open_case(clerk, base, number)
    expect(clerk.locator("#status")).to_have_text(REGISTERED)
    expect(clerk.locator("h1")).to_have_text(TITLE)
    act(clerk, "forward", lambda f: f.locator("select[name=to_unit]").select_option("SFS-AP-01"))
    expect(clerk.locator("#status")).to_have_text(REGISTERED)
    expect(clerk.locator("dl")).to_contain_text("城关街道")
    expect(clerk.locator("#act-settle_objection")).to_have_count(0)  # nothing to settle yet
    shot(clerk, "02-clerk-forwarded")

    # 3. The 城关街道 head objects: not the township's matter.
    leader = people("leader")
    open_case(leader, base, number)
    expect(leader.locator("main")).to_contain_text("异议期限")
    act(
        leader,
        "object",
        lambda f: f.locator("textarea[name=reason]").fill(
            "用人单位注册地不在本街道，应由市人社局处理"
        ),
    )
    expect(leader.locator("main")).to_contain_text("接收单位对转送提出了异议")

    # 4. The clerk upholds the objection: the case returns to the dispatching unit.
    clerk.reload()
    expect(clerk.locator("#act-settle_objection")).to_be_visible()

    def settle(f: Locator) -> None:
        f.locator("select[name=upheld]").select_option("1")
        f.locator("select[name=to_unit]").select_option("")

    act(clerk, "settle_objection", settle)
    expect(clerk.locator("#status")).to_have_text(REGISTERED)
    expect(clerk.locator("#act-object")).to_have_count(0)  # back home: nothing to object to
    expect(clerk.locator("dl")).to_contain_text("示范市")

    # 5. The clerk accepts it: lead unit 城关街道, owned by its head.
    def accept(f: Locator) -> None:
        f.locator("select[name=lead_unit]").select_option("SFS-AP-01")
        f.locator("input[name=leader]").fill("leader")

    act(clerk, "accept", accept)
    expect(clerk.locator("#status")).to_have_text(HANDLING)
    expect(clerk.locator("dl")).to_contain_text("城关街道负责人 王强")
    shot(clerk, "03-clerk-accepted")

    # 6. The 城关街道 head extends the time limit by 10 days.
    open_case(leader, base, number)
    expect(leader.locator("#status")).to_have_text(HANDLING)

    def extend(f: Locator) -> None:
        f.locator("input[name=days]").fill("10")
        f.locator("input[name=reason]").fill("需调取工资发放记录并现场核实")

    act(leader, "extend", extend)
    expect(leader.locator("#timeline")).to_contain_text("延期办理")
    expect(leader.locator("#timeline")).to_contain_text("需调取工资发放记录并现场核实")
    expect(leader.locator("main")).to_contain_text("办理期限")
    expect(leader.locator("main")).not_to_contain_text("handle_by")

    # 7. The handler drafts the written answer (信访处理意见书).
    handler = people("handler")
    open_case(handler, base, number)
    expect(handler.locator("#act-sign_off")).to_have_count(0)  # only the head signs off

    def decide(f: Locator) -> None:
        f.locator("select[name=outcome]").select_option("explain")
        f.locator("textarea[name=facts]").fill(
            "经核实，示范劳务公司已于十月补发七月工资，八、九月工资正在核算。"
        )
        f.locator("textarea[name=reasons]").fill(
            "公司承诺于十二月底前结清，街道劳动保障所将跟踪督促。"
        )
        f.locator("textarea[name=legal_basis]").fill("《保障农民工工资支付条例》第十一条")

    act(handler, "decide", decide)
    draft = handler.locator("div.card", has=handler.locator("h2", has_text="处理意见 · 城关街道"))
    expect(draft).to_contain_text("草稿")
    expect(handler.locator("#status")).to_have_text(HANDLING)
    shot(handler, "04-handler-drafted")

    # 8. The head signs off and records delivery by post — from a phone (390px).
    phone = people("leader", phone=True)
    open_case(phone, base, number)
    fits_phone(phone)
    act(phone, "sign_off")
    expect(phone.locator("#status")).to_have_text(DECIDED)

    def deliver_decision(f: Locator) -> None:
        f.locator("select[name=document]").select_option("decision")
        f.locator("select[name=method]").select_option("post")

    act(phone, "deliver", deliver_decision)
    expect(phone.locator("main")).to_contain_text("信访事项处理意见书 · 邮寄送达")
    fits_phone(phone)
    shot(phone, "05-leader-phone-delivered")

    # 9. The citizen reads the answer, rates it 不满意 and asks for 复查.
    portal_track(citizen, base, code)
    expect(citizen.locator("#status")).to_have_text(DECIDED)
    expect(citizen.locator("main")).to_contain_text("《保障农民工工资支付条例》第十一条")
    citizen.locator("#rating").select_option("dissatisfied")
    citizen.get_by_role("button", name="提交评价").click()
    expect(citizen.get_by_role("status")).to_have_text("感谢您的评价，评价已记录。")
    expect(citizen.locator("main")).to_contain_text("不满意")
    citizen.locator("#reason").fill("八、九月工资至今仍未发放，处理意见没有解决问题")
    citizen.get_by_role("button", name="提交申请").click()
    expect(citizen.get_by_role("status")).to_have_text("您的复查申请已记录。")
    expect(citizen.locator("#status")).to_have_text(REVIEW)
    progress = citizen.locator("#progress")
    for step in (
        "登记",
        "转送",
        "异议处理",
        "受理",
        "延期办理",
        "签发",
        "送达",
        "评价",
        "申请复查",
    ):
        expect(progress).to_contain_text(step)
    expect(progress).not_to_contain_text("review_requested")  # steps in Chinese, not codes
    shot(citizen, "06-portal-review-requested")

    # 10. 安平区's head (the next-higher organ) drafts, signs off and delivers the 复查 answer.
    reviewer = people("reviewer")
    open_case(reviewer, base, number)
    expect(reviewer.locator("#status")).to_have_text(REVIEW)

    def decide_review(f: Locator) -> None:
        f.locator("select[name=outcome]").select_option("explain")
        f.locator("textarea[name=facts]").fill("复查查明，公司已与信访人签订还款协议。")
        f.locator("textarea[name=reasons]").fill("原处理意见事实清楚，予以维持。")
        f.locator("textarea[name=legal_basis]").fill("《信访工作条例》第三十五条")

    act(reviewer, "decide_review", decide_review)
    act(reviewer, "sign_off")
    expect(reviewer.locator("#status")).to_have_text(REVIEWED)

    def deliver_review(f: Locator) -> None:
        f.locator("select[name=document]").select_option("review_decision")
        f.locator("select[name=method]").select_option("in_person")

    act(reviewer, "deliver", deliver_review)
    expect(reviewer.locator("main")).to_contain_text("复查意见书 · 直接送达")
    shot(reviewer, "07-reviewer-delivered")

    # 11. The citizen asks for 复核.
    portal_track(citizen, base, code)
    expect(citizen.locator("#status")).to_have_text(REVIEWED)
    citizen.locator("#reason").fill("复查意见仍未解决欠薪问题，申请复核")
    citizen.get_by_role("button", name="提交申请").click()
    expect(citizen.get_by_role("status")).to_have_text("您的复核申请已记录。")
    expect(citizen.locator("#status")).to_have_text(RECHECK)

    # 12. The city's head drafts, signs off and delivers the 复核 answer.
    city = people("city_leader")
    open_case(city, base, number)
    expect(city.locator("#status")).to_have_text(RECHECK)

    def decide_recheck(f: Locator) -> None:
        f.locator("select[name=outcome]").select_option("explain")
        f.locator("textarea[name=facts]").fill("复核查明，复查意见认定事实清楚。")
        f.locator("textarea[name=reasons]").fill("维持复查意见，本复核意见为终结意见。")
        f.locator("textarea[name=legal_basis]").fill("《信访工作条例》第三十六条")

    act(city, "decide_recheck", decide_recheck)
    act(city, "sign_off")
    expect(city.locator("#status")).to_have_text(RECHECKED)

    def deliver_recheck(f: Locator) -> None:
        f.locator("select[name=document]").select_option("recheck_decision")
        f.locator("select[name=method]").select_option("post")

    act(city, "deliver", deliver_recheck)
    expect(city.locator("main")).to_contain_text("复核意见书 · 邮寄送达")
    shot(city, "08-city-rechecked")

    portal_track(citizen, base, code)
    expect(citizen.locator("#status")).to_have_text(RECHECKED)
    expect(citizen.locator("#reason")).to_have_count(0)  # the procedure has ended

    # 13. The same claim again: the new case carries the 不再受理 flag, linked to the old one.
    new_number, _code = portal_submit(citizen, base)
    assert new_number != number
    open_case(clerk, base, new_number)
    expect(clerk.locator("#status")).to_have_text(REGISTERED)
    alert = clerk.locator(".alert-danger").filter(has_text=NO_REACCEPTANCE)
    expect(alert).to_be_visible()
    expect(alert.get_by_role("link", name=number)).to_be_visible()
    shot(clerk, "09-clerk-no-reacceptance")
    clerk.goto(base + "/petitions/")
    row = clerk.locator("tr", has=clerk.get_by_role("link", name=new_number, exact=True))
    expect(row.locator(".badge.text-bg-danger")).to_have_text("不再受理")
    open_case(clerk, base, new_number)
    with clerk.expect_navigation():
        alert.get_by_role("link", name=number).click()
    expect(clerk.locator(".breadcrumb-item.active")).to_have_text(number)
    expect(clerk.locator("#status")).to_have_text(RECHECKED)

    # The flagged case on the clerk's phone.
    clerk_phone = people("clerk", phone=True)
    open_case(clerk_phone, base, new_number)
    expect(clerk_phone.locator(".alert-danger").filter(has_text=NO_REACCEPTANCE)).to_be_visible()
    fits_phone(clerk_phone)
    shot(clerk_phone, "10-clerk-phone-no-reacceptance")
