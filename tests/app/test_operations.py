"""What operators see: /metrics in Prometheus format (gateway, pipeline, HTTP, optimizer), a request id on every
answer and in the JSON log line, and readiness that names what is wrong."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
from typing import Any

import httpx
from pydantic import SecretStr

from gongwu.app.main import create_app
from gongwu.app.platform import Platform
from gongwu.core import logs
from gongwu.core.db import Database
from gongwu.core.events import MemoryBus
from gongwu.devices.sim import Jt808Terminal, ring_path
from gongwu.telematics.gateway import GatewayService
from tests import factories as f
from tests.conftest import make_platform
from tests.telematics.conftest import HOST, gateway_settings, provision_car


def _value(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_metrics_count_frames_acks_and_requests(api: httpx.AsyncClient, db: Database) -> None:
    car = await provision_car(db, identifier="13940000001")
    service = GatewayService(db, MemoryBus(), gateway_settings())
    await service.start()
    try:
        before = (await api.get("/metrics")).text
        terminal = Jt808Terminal(car.identifier, host=HOST, port=service.ports["jt808"],
                                 path=ring_path(39.9, 116.4, 300), interval_s=0.02, reports=5,
                                 plate=car.vehicle.plate)  # fmt: skip
        await asyncio.wait_for(terminal.run(), 20)
        async with db.session() as s:
            who = await f.user(s, await f.unit(s))
            await s.commit()
        headers = await f.login(api, who)
        assert (await api.get("/api/me", headers=headers)).status_code == 200
        response = await api.get("/metrics")
    finally:
        await service.stop()
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    acks = "gongwu_gateway_acks_total"
    assert _value(text, acks) - _value(before, acks) >= 5
    assert _value(text, 'gongwu_gateway_frames_in_total{protocol="jt808"}') >= 7  # register, auth, 5 reports
    for name in ("gongwu_gateway_connections", "gongwu_pipeline_pending", "gongwu_pipeline_lag_seconds",
                 "gongwu_pipeline_failing_seconds", "gongwu_pooling_solve_seconds_bucket"):  # fmt: skip
        assert name in text, name
    assert 'gongwu_http_request_seconds_count{method="GET",route="/api/me",status="2xx"}' in text


async def test_metrics_can_require_the_scrapers_token(db: Database) -> None:
    platform = make_platform(db)
    core = platform.settings.core.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    platform.settings = dataclasses.replace(platform.settings, core=core)
    transport = httpx.ASGITransport(app=create_app(platform=platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://gongwu.test") as client:
        assert (await client.get("/metrics")).status_code == 401
        ok = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status_code == 200 and "gongwu_gateway_acks_total" in ok.text


async def test_every_answer_has_a_request_id_and_the_json_log_line_carries_it(api: httpx.AsyncClient) -> None:
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("gongwu.http")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        given = await api.get("/health", headers={"X-Request-ID": "req-42"})
        fresh = await api.get("/api/me")
        bogus = await api.get("/health", headers={"X-Request-ID": "not a valid id\n"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert given.headers["x-request-id"] == "req-42"
    assert len(fresh.headers["x-request-id"]) == 16 and fresh.status_code == 401
    assert bogus.headers["x-request-id"] != "not a valid id\n"
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    first = lines[0]
    assert first["request_id"] == "req-42" and first["level"] == "INFO" and first["logger"] == "gongwu.http"
    assert first["message"].startswith("GET /health 200") and first["status"] == 200
    assert lines[1]["request_id"] == fresh.headers["x-request-id"] and lines[1]["status"] == 401


class _DownBus(MemoryBus):
    async def ping(self) -> None:
        raise ConnectionError("Error 111 connecting to cache:6379. Connection refused.")


@dataclasses.dataclass
class _StuckWriter:
    failing_for: float = 42.0
    failing_what: str = "writing positions: ConnectionRefusedError: [Errno 111] Connect call failed"
    pending: int = 50_001
    lag_s: float = 42.5
    saturated: bool = True


@dataclasses.dataclass
class _Service:
    writer: Any


async def test_readiness_names_what_is_wrong(db: Database, platform: Platform) -> None:
    platform.bus = _DownBus()
    app = create_app(platform=platform)
    app.state.gateway_services.append(_Service(_StuckWriter()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gongwu.test") as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is True, body["checks"]["database"]
    assert body["checks"]["bus"] == {"ok": False, "problem": "ConnectionError: Error 111 connecting to cache:6379. "
                                     "Connection refused."}  # fmt: skip
    pipeline = body["checks"]["pipeline"]
    assert pipeline["ok"] is False and pipeline["reading"] is False and pipeline["pending"] == 50_001
    assert pipeline["problem"].startswith("acks held for 42 s: writing positions: ConnectionRefusedError")

    broken = make_platform(Database("postgresql+asyncpg://nobody@127.0.0.1:1/none"))
    transport = httpx.ASGITransport(app=create_app(platform=broken))
    async with httpx.AsyncClient(transport=transport, base_url="http://gongwu.test") as client:
        response = await client.get("/ready")
    await broken.db.dispose()
    assert response.status_code == 503
    assert not response.json()["checks"]["database"]["ok"]
    assert "refused" in response.json()["checks"]["database"]["problem"].lower()
