"""Many idle terminals and a slow one on a gateway process of its own: memory per connection stays small, the
slow one (a frame dribbled a byte at a time) is served, and a terminal streaming meanwhile is acked as fast as
ever — every one of its reports stored once. (A silent connection is closed after the idle time-out:
``tests/telematics/test_jt808_gateway.py``.)

``GONGWU_SOAK_IDLE`` sets how many idle terminals (default 500 in ``make test``; ``make soak`` runs 10,000)."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from gongwu.core.db import Database
from gongwu.devices import jt808 as j
from tests.browser import free_port
from tests.telematics.clients import Jt808Client, location
from tests.telematics.conftest import provision_car, stored
from tests.telematics.test_scaleout import _env, _listening, _start

pytestmark = [pytest.mark.postgres]

IDLE = int(os.environ.get("GONGWU_SOAK_IDLE", "500"))
REPORT = Path(os.environ.get("GONGWU_SOAK_REPORT", "")) if os.environ.get("GONGWU_SOAK_REPORT") else None


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError("no VmRSS")


async def idle_terminal(phone: str, port: int) -> asyncio.StreamWriter:
    """Register (auto-provisioned), authenticate, then say nothing more."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framer = j.Jt808Framer()

    async def answer(msg_id: int) -> j.Jt808Message:
        while True:
            data = await asyncio.wait_for(reader.read(4096), 60)
            if not data:
                raise EOFError(phone)
            for frame in framer.feed(data):
                msg = j.decode(frame)
                if msg.msg_id == msg_id:
                    return msg

    body = j.TerminalRegister(11, 100, "GWIDL", "I1", phone[-7:], 1, "", "2013")
    writer.write(j.encode(j.message(body, phone=phone, serial=1)))
    registered = (await answer(0x8100)).body
    assert isinstance(registered, j.RegisterResponse) and registered.result == 0, registered
    writer.write(j.encode(j.message(j.TerminalAuth(registered.auth_code), phone=phone, serial=2)))
    assert (await answer(0x8001)).body.result == 0  # type: ignore[attr-defined]
    return writer


@pytest.fixture
def gateway_process(pg_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, int]]:
    port, ops = free_port(), free_port()
    log = tmp_path / "gateway.log"
    # terminals that say nothing after logging in are held as long as the test runs (10,000 take minutes to log
    # in): the idle time-out, which would close them, is tested in tests/telematics/test_jt808_gateway.py
    env = _env(pg_url, tmp_path, GONGWU_JT808_PORT=str(port), GONGWU_GATEWAY_ID="gw-idle", GONGWU_AUTO_PROVISION="1",
               GONGWU_REDIS_URL="", GONGWU_METRICS_PORT=str(ops), GONGWU_LOG_FORMAT="json",
               GONGWU_IDLE_TIMEOUT_S="3600")  # fmt: skip
    proc = _start(["gateway"], env, log)
    try:
        _listening(port, proc, log)
        _listening(ops, proc, log)
        yield proc, port, ops
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return str(answer.read().decode())


async def _probe(client: Jt808Client, count: int, lat: float) -> list[float]:
    latencies = []
    for i in range(count):
        sent = time.monotonic()
        assert await client.report(location(lat=lat + i / 10_000, time=None)) == 0
        latencies.append(time.monotonic() - sent)
        await asyncio.sleep(0.02)
    return latencies


async def test_idle_and_slow_terminals_leave_the_others_unaffected(
    pg_db: Database, gateway_process: tuple[subprocess.Popen[bytes], int, int]
) -> None:
    proc, port, ops = gateway_process
    streaming = await provision_car(pg_db, identifier="13930000001")
    probe = await Jt808Client(streaming.identifier, port).connect()
    await probe.login()
    before = await _probe(probe, 20, 39.90)
    rss_before = rss_kib(proc.pid)

    started = time.monotonic()
    idle: list[asyncio.StreamWriter] = []
    for start in range(0, IDLE, 200):  # 200 at a time (a reconnect storm through a balancer)
        batch = [idle_terminal(f"1{n:010d}", port) for n in range(start + 1, min(IDLE, start + 200) + 1)]
        idle += await asyncio.gather(*batch)
    connect_s = time.monotonic() - started
    await asyncio.sleep(1.0)
    rss_idle = rss_kib(proc.pid)
    during = await _probe(probe, 20, 39.91)

    slow_car = await provision_car(pg_db, identifier="13930000003")
    slow = await Jt808Client(slow_car.identifier, port).connect()
    await slow.login()
    frame = j.encode(j.message(j.LocationReport(location(lat=39.95)), phone=slow.phone, serial=500))
    assert slow.writer is not None
    for i in range(len(frame)):  # a frame dribbled a byte at a time over ~2 s
        slow.writer.write(frame[i : i + 1])
        await slow.writer.drain()
        await asyncio.sleep(2 / len(frame))
    assert (await slow.expect(0x8001, 500)).body.result == 0  # type: ignore[attr-defined]
    after = await _probe(probe, 20, 39.92)

    assert not any(w.is_closing() for w in idle)  # all still connected
    # the gateway process's own metrics and readiness (it has no HTTP API)
    metrics = await asyncio.to_thread(_get, f"http://127.0.0.1:{ops}/metrics")
    assert f'gongwu_gateway_connections{{protocol="jt808"}} {IDLE + 2}.0' in metrics
    ready = json.loads(await asyncio.to_thread(_get, f"http://127.0.0.1:{ops}/ready"))
    assert ready["status"] == "ready" and ready["checks"]["pipeline"]["failing_s"] == 0
    for writer in idle:
        writer.close()
    for client in (probe, slow):
        await client.close()
    assert await stored(pg_db, streaming.vehicle.id) == 60
    assert await stored(pg_db, slow_car.vehicle.id) == 1
    per_connection = (rss_idle - rss_before) / max(1, IDLE)
    figures = {
        "idle_connections": IDLE,
        "connect_s": round(connect_s, 1),
        "gateway_rss_mib_before": round(rss_before / 1024, 1),
        "gateway_rss_mib_idle": round(rss_idle / 1024, 1),
        "kib_per_idle_connection": round(per_connection, 1),
        "probe_ack_ms_median_before": round(statistics.median(before) * 1000, 1),
        "probe_ack_ms_max_during": round(max(during) * 1000, 1),
        "probe_ack_ms_max_after": round(max(after) * 1000, 1),
    }
    print(json.dumps(figures))
    if REPORT is not None:
        REPORT.write_text(json.dumps(figures, indent=2) + "\n")
    assert per_connection < 64, figures  # KiB
    assert max(during + after) < 1.0, figures
