"""The live map console in a real headless Chromium against a real `gongwu serve`: a simulated car drives over TCP
to the gateway and moves on the map, it speeds, the alarm appears in the feed and a dispatcher acknowledges it —
and no request leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from gongwu.app.demo import DEMO_PASSWORD
from gongwu.devices.sim import Jt808Terminal, ring_path
from tests.browser import demo_copy, demo_env, free_port, gongwu, off_machine, serve

pytestmark = pytest.mark.browser


class Driving:
    """A simulated JT/T 808 terminal running in its own thread and event loop."""

    def __init__(self, terminal: Jt808Terminal) -> None:
        self.terminal = terminal
        self.thread = threading.Thread(target=lambda: asyncio.run(terminal.run()), daemon=True)

    def __enter__(self) -> Jt808Terminal:
        self.thread.start()
        return self.terminal

    def __exit__(self, *exc: object) -> None:
        self.terminal.stop()
        self.thread.join(15)


@pytest.fixture(scope="module")
def console(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    ports = {"jt808": free_port(), "gb32960": free_port(), "nmea": free_port()}
    env = demo_env(
        demo_copy(demo_data, tmp_path_factory, "console", with_map=False),
        GONGWU_JT808_PORT=str(ports["jt808"]),
        GONGWU_GB32960_PORT=str(ports["gb32960"]),
        GONGWU_NMEA_PORT=str(ports["nmea"]),
    )
    terminals = [json.loads(line) for line in gongwu("terminals", "list", env=env).stdout.splitlines()]
    car = next(t for t in terminals if t["protocol"] == "jt808")
    added = gongwu("terminals", "add", "--protocol", "nmea", "--id", "gps-01", "--vehicle", car["plate"], env=env)
    assert json.loads(added.stdout)["plate"] == car["plate"]
    refused = gongwu(
        "terminals", "add", "--protocol", "nmea", "--id", "gps-02", "--vehicle", "京A00000", env=env, check=False
    )
    assert refused.returncode == 2 and "fleet.vehicle_not_found" in refused.stderr
    with serve(env) as url:
        yield {"url": url, "ports": ports, "car": car}


def test_a_simulated_car_moves_on_the_map_and_its_alarm_is_acknowledged(page: Page, console: dict[str, Any]) -> None:
    url, car = console["url"], console["car"]
    terminal = Jt808Terminal(
        car["identifier"],
        host="127.0.0.1",
        port=console["ports"]["jt808"],
        path=ring_path(39.9087, 116.3975, 1500),
        interval_s=0.5,
        speed_kmh=60.0,
        plate=car["plate"],
    )
    with Driving(terminal):
        page.goto(url)
        page.fill("input[name=username]", "dispatcher")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.click("#nav a[data-module=console]")
        expect(page.locator("#view[data-ready=true]")).to_be_visible(timeout=20_000)
        row = page.locator(f".console-car[data-plate='{car['plate']}']")
        expect(row).to_have_attribute("data-state", "moving", timeout=20_000)

        def where() -> Any:
            return page.evaluate(
                """(plate) => {
                    const features = window.gongwuConsole.map.querySourceFeatures('cars');
                    const f = features.find(f => f.properties.plate === plate);
                    return f ? f.geometry.coordinates : null;
                }""",
                car["plate"],
            )

        page.wait_for_function(
            "(p) => window.gongwuConsole.map.querySourceFeatures('cars').some(f => f.properties.plate === p)",
            arg=car["plate"],
        )
        first = where()
        page.wait_for_timeout(1500)
        second = where()
        assert first and second and first != second, (first, second)

        page.fill(".console-search", car["plate"][-4:])
        expect(page.locator(".console-car:not([hidden])")).to_have_count(1)
        row.click()
        expect(page.locator(".console-detail .detail-plate")).to_have_text(car["plate"])

        terminal.speed_kmh = 140.0  # above the 120 km/h default limit
        alarm = page.locator(".console-alarm[data-kind=overspeed][data-status=open]")
        expect(alarm).to_be_visible(timeout=20_000)
        expect(alarm.locator(".alarm-kind")).to_have_text("超速")
        expect(row).to_have_attribute("data-state", "alarm")
        alarm.locator(".ack-note").fill("已联系驾驶员减速")
        alarm.locator("button.ack").click()
        done = page.locator(".console-alarm[data-kind=overspeed][data-status=acknowledged]")
        expect(done).to_contain_text("王调度")
        expect(done).to_contain_text("已联系驾驶员减速")

        page.click(".load-track")
        expect(page.locator(".replay-info")).to_contain_text("km/h", timeout=10_000)
    token = httpx.post(f"{url}/api/auth/login", json={"username": "dispatcher", "password": DEMO_PASSWORD}).json()
    alarms = httpx.get(
        f"{url}/api/telematics/alarms",
        params={"status": "acknowledged"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    ).json()
    assert [(a["kind"], a["ack_by"], a["ack_note"]) for a in alarms] == [("overspeed", "王调度", "已联系驾驶员减速")]
    assert off_machine(page.requests_seen) == []  # type: ignore[attr-defined]


SWARM = """async ({count, seconds}) => {
    const c = window.gongwuConsole;
    const cars = Array.from({length: count}, (_, i) => ({
        vehicle_id: 100000 + i, plate: `京Z${String(i).padStart(5, '0')}`, unit_id: 1,
        lat: 39.85 + (i % 50) / 400, lon: 116.30 + Math.floor(i / 50) / 400, speed_kmh: 40, ignition: true,
        state: 'moving', time: new Date().toISOString() }));
    c.ingest(cars, false);
    let frames = 0, worst = 0, last = performance.now();
    let running = true;
    const tick = (now) => {
        frames += 1; worst = Math.max(worst, now - last); last = now;
        if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const start = performance.now();
    let round = 0;
    while (performance.now() - start < seconds * 1000) {
        round += 1;
        c.ingest(cars.map(car => ({ ...car, lat: car.lat + round * 1e-4, time: new Date().toISOString() })), false);
        await new Promise(r => setTimeout(r, 250));
    }
    running = false;
    await new Promise(r => setTimeout(r, 400));
    const drawn = c.map.querySourceFeatures('cars').filter(f => f.properties.vehicle_id >= 100000).length;
    return { fps: frames / seconds, worstFrameMs: worst, drawn, rounds: round };
}"""


def test_two_thousand_cars_stay_smooth(page: Page, console: dict[str, Any]) -> None:
    """2,000 cars moving four times a second: every one drawn, the page keeps drawing frames."""
    page.goto(console["url"])
    page.fill("input[name=username]", "dispatcher")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.click("#nav a[data-module=console]")
    expect(page.locator("#view[data-ready=true]")).to_be_visible(timeout=20_000)
    result = page.evaluate(SWARM, {"count": 2000, "seconds": 4})
    assert result["drawn"] >= 2000
    # ~17 fps on the quiet 2-core machine (software GL), 7–8 with the machine saturated: the bound catches a
    # console that stops drawing (per-frame work growing with the fleet), not a slow machine
    assert result["fps"] >= 4, result
