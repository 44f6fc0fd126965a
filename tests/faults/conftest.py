"""Fault tests: servers of our own (PostgreSQL, Redis) that a test may stop, kill and start again — the shared
ones on 5432 / 6379 are never touched — and a fleet of simulated terminals over TCP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import func, select

from gongwu.app.migrate import upgrade
from gongwu.core.db import Database
from gongwu.telematics.models import PositionRow
from scripts.testenv import ThrowawayPostgres, ThrowawayRedis
from tests.conftest import _in_thread, _recreate_pg_database


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
async def own_pg_db(own_postgres: ThrowawayPostgres) -> AsyncIterator[Database]:
    """A migrated database on the test's own PostgreSQL server."""
    url = own_postgres.url("gongwu")
    await asyncio.to_thread(_in_thread, lambda: asyncio.run(_recreate_pg_database(url)))
    await asyncio.to_thread(_in_thread, lambda: upgrade(url))
    database = Database(url)
    yield database
    await database.dispose()


@pytest.fixture
def own_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.remove()


async def stored_per_car(db: Database) -> dict[int, int]:
    """vehicle id → rows stored (the primary key is the de-duplication key: a re-send is never a second row)."""
    async with db.session() as session:
        rows = await session.execute(select(PositionRow.vehicle_id, func.count()).group_by(PositionRow.vehicle_id))
        return {vid: n for vid, n in rows.all()}
