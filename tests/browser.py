"""A real headless Chromium (Debian's) driven by Playwright, and a real `gongwu serve` to point it at."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

# `make test` runs on both cores (pytest -n 2): a page competes with the other worker's tests, so what it should
# show gets 15 s (Playwright's default is 5 s). The tests assert what a user sees, not how fast this machine is.
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("GONGWU_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gongwu(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gongwu.app", *args], env=env, capture_output=True, text=True, check=check
    )


@contextmanager
def serve(env: dict[str, str], *extra: str) -> Iterator[str]:
    """`gongwu serve` in a child process on a free port; yields its base URL."""
    port = free_port()
    log = Path(env["GONGWU_DATA_DIR"]) / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gongwu.app", "serve", "--port", str(port), *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gongwu serve did not come up:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def demo_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGWU_")}
    ports = {f"GONGWU_{p}_PORT": "0" for p in ("JT808", "GB32960", "NMEA")}  # free ports: parallel runs never collide
    return env | {"GONGWU_DATA_DIR": str(data_dir), "GONGWU_ENV": "development"} | ports | extra


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder as `make run` leaves it — migrated, the demo map imported, the demo bureau seeded — made once
    per run through the command line; each page test serves a copy of it (``demo_copy``)."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    env = demo_env(data_dir)
    gongwu("db", "upgrade", env=env)
    gongwu("map", "import-demo", "--if-missing", env=env)
    seeded = gongwu("demo", "seed", env=env)
    assert "demo bureau seeded" in seeded.stdout, seeded.stdout + seeded.stderr
    return data_dir


def demo_copy(demo_data: Path, tmp_path_factory: pytest.TempPathFactory, name: str, *, with_map: bool = True) -> Path:
    """A data folder of the test's own, seeded like ``demo_data`` (the test may change it at will); without the
    imported map, the console opens on the fleet wherever it is rather than on the map's city."""
    target = tmp_path_factory.mktemp(name) / "data"
    skip = ("*.log",) if with_map else ("*.log", "map")
    shutil.copytree(demo_data, target, ignore=shutil.ignore_patterns(*skip))
    return target


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    """Per test: the sync API runs an event loop while open, which must not outlive the test (async tests
    that follow need the thread's loop free)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page that records every request it makes (so a test can prove none left the machine)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.requests_seen = []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.requests_seen.append(r.url))  # type: ignore[attr-defined]
    yield page
    context.close()


def off_machine(urls: list[str]) -> list[str]:
    return [u for u in urls if not u.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))]
