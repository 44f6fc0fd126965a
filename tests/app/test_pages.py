"""The `make run` path in a real browser: the embedded database, the demo bureau, the login page, the shell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from gongwu.app.demo import DEMO_PASSWORD
from tests.browser import demo_copy, demo_env, off_machine, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_url(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """What `make run` does after installing (``demo_data``: migrate the embedded database, import the demo map,
    seed the demo bureau), then serve."""
    env = demo_env(demo_copy(demo_data, tmp_path_factory, "demo"))
    with serve(env) as url:
        yield url


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#shell")).to_be_visible()


def test_the_login_page_is_chinese_by_default_and_english_on_request(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    expect(page.locator("#login h1")).to_have_text("公务用车与机关事务平台")
    expect(page.locator("button[type=submit]")).to_have_text("登录")
    page.locator("#login [data-locale-toggle]").click()
    expect(page.locator("button[type=submit]")).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_wrong_password_is_told_and_the_demo_login_reaches_the_shell(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    page.fill("input[name=username]", "fleet")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")

    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#who-name")).to_contain_text("赵车管")
    nav = page.locator("#nav a")
    expect(nav.first).to_have_text("概览")
    labels = nav.all_inner_texts()
    assert {"车辆", "调度地图", "组织与用户"} <= set(labels)  # a fleet manager's modules …
    assert not {"预算", "审计"} & set(labels)  # … and not the finance or audit ones
    expect(page.locator(".stat").first).to_have_text("40")
    page.click("#nav a[data-module=fleet]")
    expect(page.locator("#view tbody tr[data-plate]")).to_have_count(40)
    page.fill("input[name=q]", "AD")
    expect(page.locator("#view tbody tr[data-plate]").first).to_contain_text("京AD")
    assert off_machine(page.requests_seen) == []  # type: ignore[attr-defined]


def test_each_role_sees_its_modules(page: Page, demo_url: str) -> None:
    log_in(page, demo_url, "auditor")
    expect(page.locator("#nav a[data-module=audit]")).to_have_text("审计")
    labels = page.locator("#nav a").all_inner_texts()
    assert {"概览", "调度地图", "车辆", "预算", "组织与用户", "审计"} <= set(labels)
    assert "用车" not in labels  # a supervisor audits; he does not book cars
    page.click("#nav a[data-module=audit]")
    page.click("#view button")
    expect(page.locator("#verify-result")).to_contain_text("审计链完整")
    page.click("#nav a[data-module=budget]")
    expect(page.locator("#view table").first).to_contain_text("公务用车运行维护费")


def test_a_fleet_manager_registers_a_car_and_is_told_why_one_is_refused(page: Page, demo_url: str) -> None:
    log_in(page, demo_url, "fleet")
    page.click("#nav a[data-module=fleet]")
    form = page.locator("#register-car")
    form.locator("input[name=plate]").fill("京A1234")  # one character short
    form.locator("button[type=submit]").click()
    expect(page.locator("#register-result")).to_have_attribute("data-code", "fleet.bad_plate")
    expect(page.locator("#register-result")).to_contain_text("不是有效的车牌号")
    form.locator("input[name=plate]").fill("京A·Q8866")
    form.locator("select[name=unit_id]").select_option(label="公务用车服务中心")
    form.locator("select[name=category]").select_option("confidential")
    form.locator("button[type=submit]").click()
    expect(page.locator("#register-result")).to_have_attribute("data-code", "fleet.quota_exceeded")
    expect(page.locator("#register-result")).to_contain_text("再增加将超出编制")
    form.locator("select[name=category]").select_option("other")
    form.locator("input[name=make_model]").fill("红旗 H5")
    form.locator("button[type=submit]").click()
    expect(page.locator("#register-result")).to_have_text("已登记 京AQ8866")
    expect(page.locator("#view tbody tr[data-plate=京AQ8866]")).to_have_count(1)
