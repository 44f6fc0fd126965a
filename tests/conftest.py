"""Shared fixtures: the real components tests run against.

``make test`` provisions PostgreSQL + PostGIS and Redis (or uses the ones running) and exports
``GONGWU_TEST_DATABASE_URL`` and ``GONGWU_TEST_REDIS_URL``; run alone, pytest falls back to the usual local ports.
Nothing is skipped when a component is missing: the test fails and says what to start.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import gongwu.core.permissions  # noqa: F401  (registers the kernel's permissions)
from gongwu.app.main import create_app
from gongwu.app.migrate import upgrade
from gongwu.app.models import Base
from gongwu.app.platform import Platform
from gongwu.app.settings import load_settings
from gongwu.core.db import Database
from gongwu.core.events import EventBus, MemoryBus, RedisBus

pytest_plugins = ["tests.browser"]

_PG_BASE = make_url(
    os.environ.get("GONGWU_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/gongwu_test")
)
PG_URL = _PG_BASE.set(database=f"{_PG_BASE.database}_{os.getpid()}").render_as_string(hide_password=False)
"""Each test run gets its own database (runs side by side on one server do not collide); dropped at the end."""
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
"""pytest-xdist's worker number (0 when run without it)."""
_REDIS_BASE = os.environ.get("GONGWU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
_REDIS_SERVER, _, _REDIS_DB = _REDIS_BASE.rpartition("/")
REDIS_URL = f"{_REDIS_SERVER}/{int(_REDIS_DB) - _WORKER}"
"""Each parallel worker gets its own Redis database (15, 14, …): live state and streams never collide."""


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``pytest -n`` (``--dist loadgroup``) the page tests share one worker, so the demo data folder they
    copy is made once and one browser runs at a time; everything else is spread over the workers."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("pages"))


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


# --- databases -------------------------------------------------------------------------------------------


async def _recreate_pg_database(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL is not reachable at {url} ({exc}); run the tests through `make test`")
    finally:
        await admin.dispose()


def _in_thread(work: Callable[[], None]) -> None:
    """Run blocking set-up that itself uses asyncio (Alembic's env) outside the test's event loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(work).result()


async def _drop_pg_database(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL + PostGIS test database, migrated once per test run, dropped after it."""
    _in_thread(lambda: asyncio.run(_recreate_pg_database(PG_URL)))
    _in_thread(lambda: upgrade(PG_URL))
    yield PG_URL
    _in_thread(lambda: asyncio.run(_drop_pg_database(PG_URL)))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded (SQLite + SpatiaLite) database migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    _in_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


TABLES = [t.name for t in reversed(Base.metadata.sorted_tables)]


async def _truncate_pg(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["postgres", "sqlite"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The database a test runs on: once on PostgreSQL + PostGIS, once on the embedded SQLite + SpatiaLite."""
    if request.param == "postgres":
        database = Database(request.getfixturevalue("pg_url"))
        await _truncate_pg(database)
    else:
        copy = tmp_path / "gongwu.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), copy)
        database = Database(f"sqlite+aiosqlite:///{copy}")
    yield database
    await database.dispose()


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[Database]:
    """PostgreSQL only (concurrency, partitions, COPY)."""
    database = Database(pg_url)
    await _truncate_pg(database)
    yield database
    await database.dispose()


def make_platform(database: Database, bus: EventBus | None = None) -> Platform:
    settings = load_settings(env="test", database_url=str(database.url.render_as_string(hide_password=False)))
    platform = Platform.build(settings)
    platform.db = database
    platform.bus = bus or MemoryBus()
    return platform


@pytest.fixture
def platform(db: Database) -> Platform:
    return make_platform(db)


@pytest.fixture
async def api(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the real app (no network hop), over the test's database."""
    app = create_app(platform=platform)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gongwu.test") as client:
        yield client
