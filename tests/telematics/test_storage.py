"""The position store: partitioned by day on PostgreSQL with a PostGIS point, bounded by retention, and
de-duplicating on every write path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from gongwu.core.db import Database
from gongwu.core.events import decode_payload, encode_payload
from gongwu.devices import Alarm, Position
from gongwu.telematics.maintenance import ensure_partitions, partition_name, prune_positions
from gongwu.telematics.models import PositionRow
from gongwu.telematics.pipeline import Fix
from gongwu.telematics.pipeline.store import open_store

from .conftest import provision_car

NOW = datetime.now(UTC).replace(microsecond=0)
PARTITIONS = "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'vehicle_position'::regclass"


def fix(vehicle_id: int, when: datetime, lat: float = 39.9) -> Fix:
    position = Position("t", when, lat, 116.4, True, speed_kmh=30.0)
    return Fix(position, 1, vehicle_id, NOW)


async def test_positions_are_partitioned_by_day_with_a_postgis_point(pg_db: Database) -> None:
    car = await provision_car(pg_db)
    today = NOW.date()
    await ensure_partitions(pg_db, today, 2)
    store = open_store(pg_db)
    await store.open()
    await store.write([fix(car.vehicle.id, NOW).record(), fix(car.vehicle.id, NOW, 39.91).record()])
    await store.close()
    async with pg_db.engine.connect() as conn:
        kind = await conn.scalar(text("SELECT relkind::text FROM pg_class WHERE relname = 'vehicle_position'"))
        assert kind == "p"
        where = await conn.scalar(text("SELECT tableoid::regclass::text FROM vehicle_position LIMIT 1"))
        assert where == partition_name(today)
        point = await conn.scalar(text("SELECT ST_AsText(geom) || ' ' || ST_SRID(geom) FROM vehicle_position LIMIT 1"))
        assert point in ("POINT(116.4 39.9) 4326", "POINT(116.4 39.91) 4326")
        parts = set((await conn.execute(text(PARTITIONS))).scalars())
    assert {partition_name(today + timedelta(days=d)) for d in (-1, 0, 1, 2)} <= parts


async def test_a_day_created_late_takes_its_rows_from_the_default_partition(pg_db: Database) -> None:
    car = await provision_car(pg_db)
    later = NOW.date() + timedelta(days=20)
    when = datetime(later.year, later.month, later.day, 9, tzinfo=UTC)
    store = open_store(pg_db)
    await store.open()
    await store.write([fix(car.vehicle.id, when).record()])
    await store.close()
    async with pg_db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM vehicle_position_default")) == 1
    assert partition_name(later) in await ensure_partitions(pg_db, later, 1)
    async with pg_db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM vehicle_position_default")) == 0
        assert await conn.scalar(text(f"SELECT count(*) FROM {partition_name(later)}")) == 1


async def test_retention_drops_old_days(db: Database) -> None:
    car = await provision_car(db)
    today = NOW.date()
    if db.is_postgres:
        await ensure_partitions(db, today - timedelta(days=10), 12)
    store = open_store(db)
    await store.open()
    await store.write([fix(car.vehicle.id, NOW - timedelta(days=d)).record() for d in range(0, 10)])
    await store.close()
    dropped = await prune_positions(db, today, retention_days=5)
    async with db.session() as session:
        left = await session.scalar(select(func.count()).select_from(PositionRow))
        oldest = await session.scalar(select(func.min(PositionRow.device_time)))
    assert left == 6 and oldest is not None and oldest.date() >= today - timedelta(days=5)
    if db.is_postgres:
        assert partition_name(today - timedelta(days=9)) in dropped


@pytest.mark.parametrize("mode", ["staging", "unnest"])
async def test_every_postgres_write_path_stores_a_row_once(pg_db: Database, mode: str) -> None:
    car = await provision_car(pg_db)
    await ensure_partitions(pg_db, NOW.date(), 1)
    store = open_store(pg_db, mode=mode)  # type: ignore[arg-type]
    await store.open()
    rows = [fix(car.vehicle.id, NOW - timedelta(seconds=s)).record() for s in range(50)]
    await store.write(rows)
    await store.write([*rows[25:], fix(car.vehicle.id, NOW + timedelta(seconds=1)).record()])
    await store.close()
    async with pg_db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PositionRow)) == 51


async def test_the_writer_acks_in_order_and_only_after_each_batch_is_written() -> None:
    """Batches written two at a time still release their acks (and publish) in the order they were queued; an
    overfull queue is cut into batches of max_rows; a failing write is retried and holds its acks back."""
    import asyncio

    from gongwu.telematics.pipeline import BatchWriter

    class Store:
        def __init__(self) -> None:
            self.batches: list[int] = []
            self.fail_once = True

        async def open(self) -> None: ...

        async def close(self) -> None: ...

        async def write(self, records: list[tuple[object, ...]]) -> None:
            await asyncio.sleep(0.05 if len(self.batches) % 2 == 0 else 0.0)  # the first of two finishes last
            if self.fail_once and len(self.batches) == 1:
                self.fail_once = False
                raise OSError("database restarting")
            self.batches.append(len(records))

    published: list[int] = []

    async def publish(fixes: list[Fix]) -> None:
        published.extend(f.digest for f in fixes)

    store = Store()
    writer = BatchWriter(store, publish, max_rows=10, max_ms=5, concurrency=2)
    acked: list[int] = []
    fixes = [fix(1, NOW + timedelta(seconds=i)) for i in range(35)]
    for i, f in enumerate(fixes):
        writer.add([f], lambda i=i: acked.append(i))
    stop = asyncio.Event()
    running = asyncio.create_task(writer.run(stop))
    for _ in range(100):
        if len(acked) == 35:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await running
    assert acked == list(range(35))
    assert sorted(store.batches) == [5, 10, 10, 10] and writer.stored == 35 and writer.pending == 0
    assert published == [f.digest for f in fixes]


async def test_a_row_the_database_refuses_is_set_aside_and_its_message_refused(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A row the database refuses for its data (here past its column's range; on PostgreSQL also a NOT NULL the
    server checks) is not an outage: the batch is split until it is found, the other rows are stored, published
    and acked, the refused row's message is answered with its refusal, counted and logged, and the writer goes on
    with the next batch (before, the batch was retried for ever and no terminal of the gateway was acked again)."""
    import asyncio
    import logging

    from prometheus_client import REGISTRY

    from gongwu.telematics.pipeline import BatchWriter

    car = await provision_car(db)
    if db.is_postgres:
        await ensure_partitions(db, NOW.date(), 1)
    store = open_store(db)
    await store.open()
    published: list[int] = []

    async def publish(fixes: list[Fix]) -> None:
        published.extend(f.digest for f in fixes)

    writer = BatchWriter(store, publish, max_rows=100, max_ms=20)
    answers: list[tuple[int, str]] = []
    fixes = [fix(car.vehicle.id, NOW + timedelta(seconds=i)) for i in range(9)]
    fixes[2].flags = 1 << 70  # past a SMALLINT, past any integer either database holds (validation bypassed)
    bad = {2}
    if db.is_postgres:
        fixes[5].fix_valid = None  # type: ignore[assignment]  # NOT NULL, refused by the server (SQLSTATE 23502)
        bad.add(5)
    counted = REGISTRY.get_sample_value("gongwu_pipeline_positions_refused_total") or 0.0

    def add(i: int) -> None:
        writer.add([fixes[i]], lambda: answers.append((i, "acked")), lambda: answers.append((i, "refused")))

    caplog.set_level(logging.WARNING, "gongwu.telematics.pipeline.writer")
    stop = asyncio.Event()
    running = asyncio.create_task(writer.run(stop))
    try:
        for i in range(8):
            add(i)
        for _ in range(250):
            if len(answers) == 8:
                break
            await asyncio.sleep(0.02)
        add(8)  # the next batch goes through
        for _ in range(250):
            if len(answers) == 9:
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await running
        await store.close()
    assert answers == [(i, "refused" if i in bad else "acked") for i in range(9)]
    async with db.session() as session:
        times = set((await session.execute(select(PositionRow.device_time))).scalars())
    assert {t.replace(tzinfo=UTC) if t.tzinfo is None else t for t in times} == {
        fixes[i].device_time for i in range(9) if i not in bad
    }
    assert published == [fixes[i].digest for i in range(9) if i not in bad]
    assert writer.refused == len(bad) and writer.stored == 9 - len(bad) and writer.pending == 0
    assert (REGISTRY.get_sample_value("gongwu_pipeline_positions_refused_total") or 0.0) - counted == len(bad)
    refusals = [r for r in caplog.records if "refused a position" in r.getMessage()]
    assert len(refusals) == len(bad) and all(r.levelno == logging.WARNING for r in refusals)
    assert all(f"terminal 1 (car {car.vehicle.id}," in r.getMessage() for r in refusals)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_event_on_redis_reads_back_as_the_event_the_in_process_bus_carries() -> None:
    """The Redis publisher encodes ``event_for_json`` with orjson (datetimes written by orjson); a consumer must
    read back exactly ``event()`` — the same times to the microsecond, the same alarms."""
    position = Position(
        "t", NOW, 39.9, 116.4, True, speed_kmh=30.0, alarms=frozenset({Alarm.SOS, Alarm.OVERSPEED}), soc_pct=80.5
    )
    received = datetime(2026, 3, 1, 4, 5, 6, 789012, tzinfo=UTC)
    for one in (Fix(position, 1, 7, received), fix(7, NOW)):
        assert decode_payload(encode_payload(one.event_for_json())) == one.event()
        assert one.event()["received_at"] in (received.isoformat(), NOW.isoformat())
