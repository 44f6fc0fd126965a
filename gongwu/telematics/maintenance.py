"""Keeping the position store bounded: daily partitions created ahead and dropped after the retention period
(PostgreSQL), a periodic delete (SQLite); and commands that were never answered timed out.

Partitions are ``vehicle_position_pYYYYMMDD`` for UTC days. A day that has rows waiting in the DEFAULT partition
(created before its partition existed) gets its partition by creating the table, moving those rows into it and
attaching it, so creating a partition never fails on old rows. Every process may run this; on PostgreSQL an
advisory lock lets one at a time do it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncConnection

from gongwu.core.db import Database, utcnow
from gongwu.telematics.commands import expire_commands
from gongwu.telematics.models import PositionRow
from gongwu.telematics.settings import TelematicsSettings

__all__ = ["ensure_partitions", "maintain", "partition_name", "prune_positions", "run_maintenance"]

log = logging.getLogger(__name__)

_LOCK = 0x7465_6C65  # "tele"
PARENT = "vehicle_position"
DEFAULT = "vehicle_position_default"


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def _bounds(day: date) -> tuple[str, str]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start.isoformat(), (start + timedelta(days=1)).isoformat()


async def _existing(conn: AsyncConnection) -> set[str]:
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :parent"
        ),
        {"parent": PARENT},
    )
    return {r[0] for r in rows}


async def ensure_partitions(db: Database, today: date, ahead: int) -> list[str]:
    """Create the partitions of ``today - 1`` … ``today + ahead`` that are missing; returns the new ones."""
    created: list[str] = []
    async with db.engine.begin() as conn:
        if not (await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _LOCK})).scalar():
            return created
        existing = await _existing(conn)
        for offset in range(-1, ahead + 1):
            day = today + timedelta(days=offset)
            name = partition_name(day)
            if name in existing:
                continue
            start, end = _bounds(day)
            waiting = await conn.scalar(
                text(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE device_time >= :a AND device_time < :b)"),
                {"a": datetime.fromisoformat(start), "b": datetime.fromisoformat(end)},
            )
            if not waiting:
                await conn.execute(
                    text(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM ('{start}') TO ('{end}')")
                )
            else:
                await conn.execute(text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING GENERATED)"))
                columns = await conn.execute(
                    text(
                        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
                        "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped "
                        "AND attgenerated = ''"
                    ),
                    {"t": PARENT},
                )
                cols = columns.scalar()
                await conn.execute(
                    text(
                        f"WITH moved AS (DELETE FROM {DEFAULT} WHERE device_time >= '{start}' "
                        f"AND device_time < '{end}' RETURNING {cols}) "
                        f"INSERT INTO {name} ({cols}) SELECT {cols} FROM moved"
                    )
                )
                await conn.execute(
                    text(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ('{start}') TO ('{end}')")
                )
            created.append(name)
    if created:
        log.info("created position partitions %s", ", ".join(created))
    return created


async def prune_positions(db: Database, today: date, retention_days: int) -> list[str]:
    """Drop (PostgreSQL) or delete (SQLite) raw positions older than the retention period."""
    cutoff_day = today - timedelta(days=retention_days)
    cutoff = datetime(cutoff_day.year, cutoff_day.month, cutoff_day.day, tzinfo=UTC)
    dropped: list[str] = []
    if not db.is_postgres:
        async with db.session() as session:
            await session.execute(delete(PositionRow).where(PositionRow.device_time < cutoff))
            await session.commit()
        return dropped
    async with db.engine.begin() as conn:
        if not (await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _LOCK})).scalar():
            return dropped
        for name in sorted(await _existing(conn)):
            if name == DEFAULT or not name.startswith(f"{PARENT}_p"):
                continue
            day = datetime.strptime(name.rsplit("_p", 1)[1], "%Y%m%d").date()
            if day < cutoff_day:
                await conn.execute(text(f"DROP TABLE {name}"))
                dropped.append(name)
        await conn.execute(text(f"DELETE FROM {DEFAULT} WHERE device_time < :c"), {"c": cutoff})
    if dropped:
        log.info("dropped position partitions past retention: %s", ", ".join(dropped))
    return dropped


async def maintain(db: Database, settings: TelematicsSettings, now: datetime | None = None) -> None:
    """One round: partitions ahead, retention, command time-outs."""
    today = (now or utcnow()).date()
    if db.is_postgres:
        await ensure_partitions(db, today, settings.partitions_ahead_days)
    await prune_positions(db, today, settings.position_retention_days)
    async with db.session() as session:
        await expire_commands(session, timedelta(seconds=settings.command_timeout_s), now)
        await session.commit()


async def run_maintenance(db: Database, settings: TelematicsSettings, stop: asyncio.Event) -> None:
    """Partitions and retention hourly, command time-outs every 10 s, until ``stop``."""
    next_full = 0.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            if loop.time() >= next_full:
                await maintain(db, settings)
                next_full = loop.time() + 3600
            else:
                async with db.session() as session:
                    await expire_commands(session, timedelta(seconds=settings.command_timeout_s))
                    await session.commit()
        except Exception:
            log.exception("telematics maintenance failed; trying again later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 10)
