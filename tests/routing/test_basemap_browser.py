"""The console's base map in a real headless Chromium: streets drawn from the local tiles, nothing fetched
from anywhere but this machine."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import uvicorn

from gongwu.app.paths import WEB

from .apphelp import routing_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Fill colours of the style's streets (web/map/style.json, layer "road").
ROAD_COLOURS = np.array([[0xFF, 0xFF, 0xFF], [0xFC, 0xCB, 0x8A], [0xF6, 0xF3, 0xA8]])
BACKGROUND = np.array([0xF3, 0xEF, 0xE7])
# A label in Chinese on top of the base map, as the console pages add theirs; resolves to what got placed.
ADD_CHINESE_LABEL = """() => new Promise((resolve) => {
  const map = window.gongwuMap;
  map.addSource("probe", { type: "geojson", data: { type: "Feature", properties: { name: "公务用车调度中心" },
    geometry: { type: "Point", coordinates: map.getCenter().toArray() } } });
  map.addLayer({ id: "probe", type: "symbol", source: "probe",
    layout: { "text-field": ["get", "name"], "text-font": ["Noto Sans Regular"], "text-size": 16,
              "text-allow-overlap": true } });
  map.once("idle", () => resolve(map.queryRenderedFeatures({ layers: ["probe"] }).map(f => f.properties.name)));
})"""
# The rendered map canvas, read back as RGBA bytes (every 3rd pixel of every 3rd row, to keep it small).
READ_PIXELS = """() => {
  const src = window.gongwuMap.getCanvas();
  const c = document.createElement("canvas");
  c.width = src.width; c.height = src.height;
  const ctx = c.getContext("2d");
  ctx.drawImage(src, 0, 0);
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  const out = [];
  for (let y = 0; y < c.height; y += 3) for (let x = 0; x < c.width; x += 3) {
    const i = (y * c.width + x) * 4;
    out.push(data[i], data[i + 1], data[i + 2], data[i + 3]);
  }
  return out;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def server(map_dir: Path) -> Iterator[str]:
    if not (WEB / "node_modules" / "maplibre-gl" / "dist" / "maplibre-gl.mjs").is_file():
        pytest.fail("web/node_modules/maplibre-gl is missing: run `npm ci` in web/ (make run does it)")
    if not CHROMIUM.is_file():
        pytest.fail("Chromium is missing: apt-get install chromium (make test does it)")
    app = routing_app(map_dir.parent, static=True)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_base_map_draws_streets_from_local_tiles(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server}/static/map/demo.html?lon=24.9445&lat=60.1699&zoom=16")
            page.wait_for_function("document.body.dataset.state", timeout=30_000)
            state = page.evaluate("document.body.dataset.state")
            assert state == "idle", f"map did not render: {page.inner_text('#status')} {errors}"
            shot = tmp_path / "basemap.png"
            page.locator("#map canvas").screenshot(path=str(shot))
            labels = page.evaluate(
                "window.gongwuMap.queryRenderedFeatures({layers: ['road-label']}).map(f => f.properties.name)"
            )
            rgba = page.evaluate(READ_PIXELS)
            chinese = page.evaluate(ADD_CHINESE_LABEL)
        finally:
            browser.close()

    pixels = np.asarray(rgba, dtype=np.int64).reshape(-1, 4)[:, :3]
    near_road = np.zeros(len(pixels), dtype=bool)
    for colour in ROAD_COLOURS:
        near_road |= np.abs(pixels - colour).max(axis=1) <= 6
    road_share = near_road.mean()
    background_share = (np.abs(pixels - BACKGROUND).max(axis=1) <= 6).mean()
    assert shot.stat().st_size > 10_000
    assert road_share > 0.04, f"only {road_share:.1%} of the map is street"
    assert background_share < 0.9
    assert labels, "street names are drawn"
    assert chinese == ["公务用车调度中心"], "a Chinese label is laid out with no glyph server"
    assert not errors
    off_machine = [u for u in requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]
    assert requests and not off_machine, off_machine
    assert any("/map/tiles/" in u for u in requests)
