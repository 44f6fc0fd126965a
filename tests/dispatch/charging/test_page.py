"""The dispatcher's charging page in a real browser on the `make run` path: the demo's sites, a re-plan, the
timeline with its sessions and the cap, the drivers' instructions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.app.test_pages import log_in
from tests.browser import demo_copy, demo_env, off_machine, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_url(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = demo_env(demo_copy(demo_data, tmp_path_factory, "charging-demo"))
    with serve(env) as url:
        yield url


def test_the_dispatcher_sees_the_plan_as_a_timeline_against_the_cap(page: Page, demo_url: str) -> None:
    log_in(page, demo_url, "dispatcher")
    page.click("#nav a[data-module=charging]")
    expect(page.locator("#view h2")).to_have_text("充电计划")
    expect(page.locator("#view select option")).to_have_text(["公务用车服务中心车库", "机关东院停车场"])
    page.click("#view button.replan")
    timeline = page.locator("svg.charging-timeline")
    expect(timeline.locator("rect.session").first).to_be_visible(timeout=30_000)
    expect(timeline.locator("line.cap")).to_have_count(1)
    expect(timeline.locator("rect[data-band=valley]").first).to_be_attached()
    expect(page.locator("#view .charging-summary")).to_contain_text("功率上限 120 kW")
    expect(page.locator("#view ul.charging-instructions li").first).to_contain_text("京A")
    assert off_machine(page.requests_seen) == []  # type: ignore[attr-defined]


def test_a_driver_sees_where_to_charge_and_cannot_replan(page: Page, demo_url: str) -> None:
    log_in(page, demo_url, "driver1")
    page.click("#nav a[data-module=charging]")
    expect(page.locator("#view button.replan")).to_have_count(0)
    expect(page.locator("#view .charging-page")).to_be_visible()
