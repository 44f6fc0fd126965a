"""Schemathesis against the OpenAPI schema: requests generated from every operation's parameters and bodies (and
deliberately broken ones), sent over real HTTP to a server on the demo bureau as its administrator (who may call
everything), must never get a 5xx.

``GONGWU_FUZZ_API_EXAMPLES`` examples per operation (1 in ``make test``; ``make fuzz`` runs many more and writes
the totals to ``GONGWU_FUZZ_REPORT``)."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import Phase as HypothesisPhase

from gongwu.app.main import create_app
from gongwu.core.db import Database
from gongwu.dispatch.charging.settings import ChargingSettings
from gongwu.dispatch.pooling.settings import PoolingSettings
from tests.browser import free_port
from tests.conftest import make_platform

EXAMPLES = int(os.environ.get("GONGWU_FUZZ_API_EXAMPLES", "1"))
REPORT = os.environ.get("GONGWU_FUZZ_REPORT")
CALLS: dict[str, int] = {"requests": 0, "operations": 0, "4xx": 0, "2xx": 0}
STARTED = time.monotonic()


@pytest.fixture(scope="module")
def server(demo_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    copy = tmp_path_factory.mktemp("fuzz") / "demo.db"
    shutil.copy(demo_sqlite, copy)
    platform = make_platform(Database(f"sqlite+aiosqlite:///{copy}"))
    platform.settings = type(platform.settings)(
        **{
            **platform.settings.__dict__,
            "pooling": PoolingSettings(time_limit_s=0.2, planner_enabled=False),
            "charging": ChargingSettings(time_limit_s=0.5, replan_enabled=False),
        }
    )
    port = free_port()
    config = uvicorn.Config(create_app(platform=platform), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if uv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(20)
    if REPORT:
        seconds = round(time.monotonic() - STARTED, 1)
        Path(REPORT).write_text(json.dumps(CALLS | {"seconds": seconds, "per_operation": EXAMPLES}, indent=2) + "\n")


@pytest.fixture(scope="module")
def admin(server: str) -> dict[str, str]:
    answer = httpx.post(f"{server}/api/auth/login", json={"username": "admin", "password": "gongwu-demo"})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_no_request_makes_the_server_fail(server: str, admin: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/auth/login":  # rate-limited by design: its 429s are the answer to a flood
            continue
        CALLS["operations"] += 1

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  phases=[HypothesisPhase.explicit, HypothesisPhase.generate], database=None)  # fmt: skip
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(headers=admin, timeout=60)
            CALLS["requests"] += 1
            kind = f"{response.status_code // 100}xx"
            CALLS[kind] = CALLS.get(kind, 0) + 1
            assert response.status_code < 500, f"{response.status_code} {response.text[:300]}"

        try:
            call()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:500]}")
    assert CALLS["operations"] > 100
    assert failures == [], "\n".join(failures)
