"""The booking and approval pages on a phone-sized screen, in Debian's Chromium, against a real `gongwu serve`
on the seeded demo bureau with the demo map: a requester books (a frequent place, a tap on the map), the unit's
leader approves on his page, the requester sees "已批准" — and no request leaves the machine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from gongwu.app.demo import DEMO_PASSWORD
from tests.browser import demo_copy, demo_env, off_machine, serve

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def demo_url(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = demo_env(
        demo_copy(demo_data, tmp_path_factory, "bookings-demo"),
        GONGWU_JT808_ENABLED="0",
        GONGWU_GB32960_ENABLED="0",
        GONGWU_NMEA_ENABLED="0",
        GONGWU_CHARGING_REPLAN_ENABLED="0",
    )
    with serve(env) as url:
        yield url


def phone(browser: Browser) -> Page:
    context = browser.new_context(locale="zh-CN", viewport=PHONE, timezone_id="Asia/Shanghai", has_touch=True)
    page = context.new_page()
    page.requests_seen = []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.requests_seen.append(r.url))  # type: ignore[attr-defined]
    return page


def log_in(page: Page, url: str, username: str, module: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#view[data-module=home]")).to_be_visible()  # the shell's first view is drawn
    page.goto(f"{url}/#/{module}")


def test_a_requester_books_on_the_phone_and_the_leader_approves(browser: Browser, demo_url: str) -> None:
    requester = phone(browser)
    log_in(requester, demo_url, "fgw-staff", "booking")
    expect(requester.locator("#nav a[data-module=booking]")).to_have_text("用车")
    form = requester.locator("#booking-form[data-ready=true]")
    expect(form).to_be_visible()
    requester.fill("input[name=purpose]", "赴滨海会展中心参加招商推介会")
    requester.fill("input[name=passengers]", "2")
    requester.fill("input[name=passenger_names]", "黄科员，林科员")
    # the drop-off is tapped on the map (showing the whole city); the page names the street it lands on
    requester.click("[data-pick=dropoff]")
    expect(requester.locator("#estimate")).to_contain_text("请在地图上点击下车地点")
    requester.locator("#booking-map canvas").click()
    expect(requester.locator("#dropoff-address")).not_to_have_text("—")
    requester.select_option("select[name=pickup_place]", label="市发展和改革委员会")
    expect(requester.locator("#pickup-address")).to_have_text("市发展和改革委员会")
    expect(requester.locator("#estimate")).to_contain_text(re.compile(r"约 [\d.]+ 公里，\d+ 分钟，预估费用 ¥"))
    # the form fits the phone: nothing wider than the screen
    assert requester.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    requester.click("#booking-submit")
    expect(requester.locator("#booking-status")).to_have_text("待审批")
    code = requester.locator("#booking-detail dd").first.inner_text()
    assert re.fullmatch(r"YC-\d{8}-\d{4}", code)
    expect(requester.locator("#timeline li")).to_have_count(1)

    leader = phone(browser)
    log_in(leader, demo_url, "fgw-leader", "approvals")
    card = leader.locator(f"#pending li[data-code='{code}']")
    expect(card).to_contain_text("赴滨海会展中心参加招商推介会")
    expect(card).to_contain_text("黄科员")
    card.locator("input[name=reason]").fill("同意，注意安全")
    card.locator("[data-action=approve]").click()
    expect(leader.locator("#approval-notice")).to_have_text(f"已批准 {code}")
    expect(leader.locator(f"#pending li[data-code='{code}']")).to_have_count(0)

    requester.reload()
    expect(requester.locator("#booking-status")).to_have_text("已批准")
    expect(requester.locator("#timeline li").last).to_contain_text("审批通过")
    expect(requester.locator("#unread")).to_be_visible()
    requester.click("[data-tab=inbox]")
    expect(requester.locator(".inbox li").first).to_contain_text(f"您的用车申请 {code} 已批准")
    requester.click("#shell [data-locale-toggle]")
    expect(requester.locator(".inbox li").first).to_contain_text(f"Your booking {code} was approved")

    for page in (requester, leader):
        assert off_machine(page.requests_seen) == []  # type: ignore[attr-defined]
        page.context.close()


def test_the_requester_cancels_and_sees_it(browser: Browser, demo_url: str) -> None:
    requester = phone(browser)
    log_in(requester, demo_url, "czj-staff", "booking/mine")
    card = requester.locator(".booking-card[data-status=approved]").first
    expect(card).to_be_visible()
    card.locator("a").click()
    expect(requester.locator("#booking-status")).to_have_text("已批准")
    requester.fill("input[name=cancel_reason]", "会议取消")
    requester.click("#booking-cancel")
    expect(requester.locator("#booking-status")).to_have_text("已取消")
    expect(requester.locator("#timeline li").last).to_contain_text("会议取消")
    requester.context.close()
