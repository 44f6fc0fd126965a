"""Redis goes away mid-stream, twice: first killed and restarted with its append-only file (as a production
Redis is run), then killed and brought back empty. The gateways hold their acks while the bus is away; the
consumers resume from their groups, recreate the groups Redis lost, the live state is rebuilt from PostgreSQL
(a car that parked before the loss is back on the map) and the session directory is re-bound. In the end every
report is stored exactly once and every car's trips reach its last point."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select

from gongwu.core.db import Database
from gongwu.core.events import RedisBus
from gongwu.devices.sim import FleetSimulator
from gongwu.telematics.consumers import ConsumerService
from gongwu.telematics.gateway import GatewayService
from gongwu.telematics.models import PositionRow, TrackState
from gongwu.telematics.settings import TelematicsSettings
from gongwu.telematics.state import shared_state
from scripts.testenv import ThrowawayRedis
from tests.telematics.conftest import gateway_settings, pending_positions, provision_car, ring_fleet

from .conftest import stored_per_car

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

DRIVING = 7
REPORTS = 140
PARKED_REPORTS = 8


async def _last_points(db: Database) -> dict[int, object]:
    async with db.session() as session:
        rows = await session.execute(
            select(PositionRow.vehicle_id, func.max(PositionRow.device_time)).group_by(PositionRow.vehicle_id)
        )
        return dict(rows.all())


async def _watermarks(db: Database) -> dict[int, object]:
    async with db.session() as session:
        rows = await session.execute(
            select(TrackState.vehicle_id, TrackState.watermark).where(TrackState.consumer == "trips")
        )
        return dict(rows.all())


async def test_redis_killed_then_lost_consumers_resume_and_live_state_rebuilds(
    pg_db: Database, own_redis: ThrowawayRedis
) -> None:
    cars = [await provision_car(pg_db, identifier=f"1392000{i:04d}") for i in range(DRIVING + 1)]
    bus = RedisBus(own_redis.url)
    gateway = GatewayService(pg_db, bus, gateway_settings(batch_max_ms=20.0, gateway_id="gw-redis-test"))
    gateway.heartbeat_every_s = 0.5
    await gateway.start()
    consumers = ConsumerService(
        pg_db, bus, TelematicsSettings(), timezone="Asia/Shanghai", claim_idle_ms=1000, live_check_s=0.5
    )
    stop = asyncio.Event()
    consuming = asyncio.create_task(consumers.run(stop))
    try:
        terminals = ring_fleet(
            cars,
            [gateway.ports["jt808"]],
            interval_s=0.05,
            reports=[PARKED_REPORTS if i == DRIVING else REPORTS for i in range(len(cars))],
        )
        parked = cars[DRIVING]
        fleet = asyncio.create_task(FleetSimulator(terminals, connect_rate=200).run())
        await asyncio.sleep(1.5)

        # 1. killed; back with its append-only file: nothing acked while it is away, nothing lost
        await asyncio.to_thread(own_redis.kill)
        await asyncio.sleep(0.4)
        acked = sum(t.stats.acked for t in terminals)
        await asyncio.sleep(1.5)
        assert sum(t.stats.acked for t in terminals) == acked, "acked while the bus was away"
        assert gateway.writer.failing_since is not None
        await asyncio.to_thread(own_redis.start)
        for _ in range(100):  # the writer's next retry (its pause doubles up to 5 s)
            if sum(t.stats.acked for t in terminals) > acked:
                break
            await asyncio.sleep(0.1)
        assert sum(t.stats.acked for t in terminals) > acked

        # 2. killed and back empty: groups, live state and the session directory are made again
        await asyncio.to_thread(own_redis.kill)
        await asyncio.to_thread(own_redis.wipe)
        await asyncio.to_thread(own_redis.start)
        stats = await asyncio.wait_for(fleet, 120)
        assert stats.reports == DRIVING * REPORTS + PARKED_REPORTS

        expected = {car.vehicle.id: REPORTS for car in cars[:DRIVING]} | {parked.vehicle.id: PARKED_REPORTS}
        assert await stored_per_car(pg_db) == expected
        last = await _last_points(pg_db)
        driving_last = {car.vehicle.id: last[car.vehicle.id] for car in cars[:DRIVING]}
        live_store = shared_state(bus).live
        deadline = time.monotonic() + 30
        while True:
            marks = await _watermarks(pg_db)
            live = await live_store.get([c.vehicle.id for c in cars])
            pending = await pending_positions(bus)
            online = await shared_state(bus).directory.online()
            done = all(marks.get(v) == t for v, t in driving_last.items()) and len(live) == len(cars) and not online
            if (done and pending == [0, 0]) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        assert {v: marks.get(v) for v in driving_last} == driving_last, "trips did not reach every car's last point"
        assert pending == [0, 0]
        assert set(live) == {c.vehicle.id for c in cars}, "the parked car is not back on the live map"
        assert live[parked.vehicle.id]["time"] == last[parked.vehicle.id].isoformat()  # type: ignore[attr-defined]
        assert online == set(), (gateway.ctx.held, [(t.phone, t.stats) for t in terminals])  # all left
    finally:
        stop.set()
        await asyncio.wait_for(consuming, 20)
        await gateway.stop()
        await bus.close()
