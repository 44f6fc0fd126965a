"""Shared fixtures: the real components tests run against.

``make test`` provisions PostgreSQL + PostGIS and Redis (or uses the ones running) and exports
``GONGWU_TEST_DATABASE_URL`` and ``GONGWU_TEST_REDIS_URL``; run alone, pytest falls back to the usual local ports.
Nothing is skipped when a component is missing: the test fails and says what to start.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from gongwu.core.events import EventBus, MemoryBus, RedisBus

PG_URL = os.environ.get(
    "GONGWU_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/gongwu_test"
)
REDIS_URL = os.environ.get("GONGWU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def unique() -> str:
    """A short random name for topics, units, plates … that must not collide between tests."""
    return uuid.uuid4().hex[:10]


async def connect_redis_bus() -> RedisBus:
    bus = RedisBus(REDIS_URL)
    try:
        await bus.ping()
    except Exception as exc:  # environment problem: fail and say what to start
        await bus.close()
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}); run the tests through `make test`")
    return bus


@pytest.fixture
async def redis_bus() -> AsyncIterator[RedisBus]:
    bus = await connect_redis_bus()
    yield bus
    await bus.close()


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    """Each contract test runs once on the in-process bus and once on Redis Streams."""
    chosen: EventBus = MemoryBus() if request.param == "memory" else await connect_redis_bus()
    yield chosen
    await chosen.close()
