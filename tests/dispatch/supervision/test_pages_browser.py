"""The supervisor's pages in a real browser on the `make run` path (the demo's month of costs and findings): the
dashboard's charts, the queue, a finding followed to its evidence on the map and decided; the vehicle cost page
with a car's sheet and its peers."""

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
    env = demo_env(demo_copy(demo_data, tmp_path_factory, "supervision-demo"))
    with serve(env) as url:
        yield url


def test_a_supervisor_opens_a_finding_follows_it_to_the_map_and_decides_it(page: Page, demo_url: str) -> None:
    log_in(page, demo_url, "auditor")
    page.click("#nav a[data-module=supervision]")
    expect(page.locator("#view h2")).to_have_text("用车监督")
    expect(page.locator("svg.chart-rules rect.bar")).to_have_count(4)
    expect(page.locator("svg.chart-units rect.bar").first).to_be_visible()
    page.click(".sv-count[data-status=open]")
    rows = page.locator("#view tr[data-finding]")
    expect(rows).to_have_count(3)
    refuel = page.locator("#view tr[data-rule=refuel_elsewhere] a.sv-open")
    expect(refuel).to_contain_text("加油时车辆在 1.4 公里外")
    refuel.click()
    mapped = page.locator("#finding-map")
    expect(mapped).to_have_attribute("data-ready", "1", timeout=20_000)
    expect(mapped).to_have_attribute("data-places", "station,car")
    assert int(mapped.get_attribute("data-track") or 0) > 10
    expect(page.locator("#finding-map canvas")).to_be_visible()
    expect(page.locator(".sv-legend li[data-role=station]")).to_contain_text("加油站")
    page.select_option("form.sv-decision select[name=status]", "confirmed")
    page.fill("form.sv-decision textarea[name=reason]", "加油卡被借用，已责令整改")
    page.click("form.sv-decision button[type=submit]")
    expect(page.locator("#finding-status")).to_have_text("已确认违规")
    expect(page.locator(".sv-finding")).to_contain_text("钱监督")
    assert off_machine(page.requests_seen) == []  # type: ignore[attr-defined]


def test_the_vehicle_cost_page_shows_the_month_and_a_cars_sheet(page: Page, demo_url: str) -> None:
    log_in(page, demo_url, "finance")
    page.click("#nav a[data-module=costs]")
    expect(page.locator("#view h2")).to_have_text("单车核算")
    cars = page.locator("#view tr[data-vehicle]")
    expect(cars.first).to_be_visible()
    assert cars.count() >= 30
    cars.first.locator("a.co-car").click()
    expect(page.locator("#view h3")).to_contain_text("京A")
    expect(page.locator("#view section").first).to_contain_text("保险费")
    expect(page.locator("#view section").first).to_contain_text("折旧")
