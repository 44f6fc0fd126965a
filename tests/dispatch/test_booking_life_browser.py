"""A booking's whole life through the pages, in Debian's Chromium against a real `gongwu serve` on the seeded
demo bureau with the demo map: the requester books on the phone page → the leader approves → the dispatcher
runs the optimizer and accepts its plan on the dispatch page (routes on the map, a timeline per car) → the
driver takes every step on the phone driver page (the rider's check-in code, the odometer) → the requester
sees 已完成. No request leaves the machine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from gongwu.app.demo import DEMO_PASSWORD, DRIVERS
from tests.browser import demo_copy, demo_env, off_machine, serve

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def demo_url(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = demo_env(
        demo_copy(demo_data, tmp_path_factory, "dispatch-demo"),
        GONGWU_JT808_ENABLED="0",
        GONGWU_GB32960_ENABLED="0",
        GONGWU_NMEA_ENABLED="0",
        GONGWU_CHARGING_REPLAN_ENABLED="0",
        GONGWU_POOLING_PLANNER_ENABLED="0",
        GONGWU_POOLING_TIME_LIMIT_S="1",
    )
    with serve(env) as url:
        yield url


def open_page(browser: Browser, viewport: dict[str, int]) -> Page:
    context = browser.new_context(locale="zh-CN", viewport=viewport, timezone_id="Asia/Shanghai", has_touch=True)
    page = context.new_page()
    page.requests_seen = []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.requests_seen.append(r.url))  # type: ignore[attr-defined]
    return page


def log_in(page: Page, url: str, username: str, module: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#view[data-module=home]")).to_be_visible()
    page.goto(f"{url}/#/{module}")


def test_book_approve_dispatch_drive_done(browser: Browser, demo_url: str) -> None:
    # the requester books on the phone
    requester = open_page(browser, PHONE)
    log_in(requester, demo_url, "fgw-staff", "booking")
    expect(requester.locator("#booking-form[data-ready=true]")).to_be_visible()
    requester.fill("input[name=purpose]", "赴火车站迎接国务院督查组")
    requester.fill("input[name=passengers]", "2")
    requester.select_option("select[name=pickup_place]", label="市发展和改革委员会")
    requester.select_option("select[name=dropoff_place]", label="火车站")
    expect(requester.locator("#estimate")).to_contain_text("公里")
    requester.click("#booking-submit")
    expect(requester.locator("#booking-status")).to_have_text("待审批")
    booking_id = re.search(r"#/booking/(\d+)", requester.url).group(1)  # type: ignore[union-attr]

    # the unit's leader approves
    leader = open_page(browser, PHONE)
    log_in(leader, demo_url, "fgw-leader", "approvals")
    card = leader.locator("#pending li", has_text="赴火车站迎接国务院督查组")
    card.locator("[data-action=approve]").click()
    expect(leader.locator("#approval-notice")).to_contain_text("已批准")

    # the dispatcher runs the optimizer and accepts its proposal
    dispatcher = open_page(browser, DESK)
    log_in(dispatcher, demo_url, "dispatcher", "dispatch")
    expect(dispatcher.locator(".plan-summary[data-status=accepted]")).to_be_visible()
    dispatcher.click("#dispatch-run")
    summary = dispatcher.locator(".plan-summary[data-status=proposed]")
    expect(summary).to_be_visible(timeout=30_000)
    expect(summary).to_contain_text("已通过可行性校验")
    stop = dispatcher.locator(f".dispatch-stop.pickup[data-booking-id='{booking_id}']")
    expect(stop).to_contain_text("新派")
    route = dispatcher.locator(".dispatch-route", has=stop)
    plate = route.locator(".route-head strong").inner_text()
    expect(dispatcher.locator(f".timeline-ride[data-booking-id='{booking_id}']")).to_have_count(1)
    expect(dispatcher.locator("#plan-map canvas")).to_be_visible()
    dispatcher.click("#dispatch-accept")
    expect(dispatcher.locator(".plan-summary[data-status=accepted]")).to_be_visible()
    expect(dispatcher.locator(".notice")).to_have_text("方案已执行")
    # the live console shows the plan in force and links to it
    dispatcher.click("#nav a[data-module=console]")
    expect(dispatcher.locator("[data-plan-link]")).to_have_text("调度方案")

    # the requester sees the car, the driver and the check-in code
    requester.reload()
    expect(requester.locator("#booking-status")).to_have_text("已派车")
    expect(requester.locator("#booking-detail")).to_contain_text(plate)
    code = requester.locator("#checkin").inner_text().strip()
    driver_name = next(name for _, name in DRIVERS if name in requester.locator("#booking-detail").inner_text())
    username = next(u for u, name in DRIVERS if name == driver_name)

    # the driver takes every step on the phone
    driver = open_page(browser, PHONE)
    log_in(driver, demo_url, username, "driver")
    task = driver.locator(f".task-card[data-booking-id='{booking_id}']")
    expect(task).to_contain_text("赴火车站迎接国务院督查组")
    driver.click("#shell [data-locale-toggle]")  # English on request …
    expect(task.locator("button[data-action=accept]")).to_have_text("Accept")
    driver.click("#shell [data-locale-toggle]")  # … Chinese first
    expect(task.locator("button[data-action=accept]")).to_have_text("接单")
    expect(task.locator("a[data-nav=geo]")).to_have_attribute("href", re.compile(r"^geo:60\.16"))
    assert driver.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    task.locator("button[data-action=accept]").click()
    expect(task).to_have_attribute("data-step", "accepted")
    task.locator("button[data-action=arrive]").click()
    expect(task).to_have_attribute("data-step", "arrived")
    task.locator("input[name=code]").fill("XXXX")
    task.locator("button[data-action=board]").click()
    expect(driver.locator("#view [role=alert]")).to_contain_text("核验码不符")
    task.locator("input[name=code]").fill(code)
    task.locator("button[data-action=board]").click()
    expect(task).to_have_attribute("data-step", "boarded")
    task.locator("button[data-action=dropoff]").click()
    expect(task).to_have_attribute("data-step", "dropped")
    odometer = task.locator("input[name=odometer]")
    odometer.fill(str(round(float(odometer.input_value()) + 3.2, 1)))
    task.locator("button[data-action=finish]").click()
    expect(task).to_have_attribute("data-status", "completed")
    expect(task).to_contain_text("实际 3.2 公里")

    # … and the requester sees it done
    requester.reload()
    expect(requester.locator("#booking-status")).to_have_text("已完成")
    expect(requester.locator("#timeline li").last).to_contain_text("行程完成")

    for page in (requester, leader, dispatcher, driver):
        assert off_machine(page.requests_seen) == []  # type: ignore[attr-defined]
        page.context.close()
