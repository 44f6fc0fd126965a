"""PostgreSQL goes away mid-stream (``pg_ctl stop -m immediate``, as in a crash) and comes back: the pipeline
stops acking at once, holds a bounded queue (it stops reading its connections), readiness says what is wrong,
and when the server is back everything resumes — every report sent is stored exactly once, none acked is lost."""

from __future__ import annotations

import asyncio

import pytest

from gongwu.core.db import Database
from gongwu.core.events import MemoryBus
from gongwu.devices.sim import FleetSimulator
from gongwu.telematics.gateway import GatewayService
from scripts.testenv import ThrowawayPostgres
from tests.telematics.conftest import gateway_settings, provision_car, ring_fleet

from .conftest import stored_per_car

pytestmark = [pytest.mark.postgres]

CARS = 12
REPORTS = 150
HIGH_WATER = 300


async def test_a_database_restart_stops_acks_bounds_memory_and_loses_nothing(
    own_postgres: ThrowawayPostgres, own_pg_db: Database
) -> None:
    cars = [await provision_car(own_pg_db, identifier=f"1391000{i:04d}") for i in range(CARS)]
    service = GatewayService(own_pg_db, MemoryBus(), gateway_settings(batch_max_ms=20.0))
    await service.start()
    writer = service.writer
    writer.high_water = HIGH_WATER
    try:
        terminals = ring_fleet(cars, [service.ports["jt808"]], interval_s=0.04, reports=REPORTS)
        fleet = asyncio.create_task(FleetSimulator(terminals, connect_rate=200).run())
        await asyncio.sleep(1.5)
        assert writer.stored > 0

        await asyncio.to_thread(own_postgres.stop, "immediate")
        await asyncio.sleep(0.5)  # batches that committed before the crash are acked; nothing after
        acked_at_outage = sum(t.stats.acked for t in terminals)
        peak = 0
        for _ in range(80):  # 4 s without a database
            peak = max(peak, writer.pending)
            await asyncio.sleep(0.05)
        assert sum(t.stats.acked for t in terminals) == acked_at_outage, "acked while the database was away"
        assert writer.failing_since is not None and "positions" in writer.failing_what
        assert writer.saturated and peak <= HIGH_WATER + 4 * CARS, peak  # held, not grown: reading stopped
        sent_during = sum(t.stats.reports for t in terminals)

        await asyncio.to_thread(own_postgres.start)
        stats = await asyncio.wait_for(fleet, 120)
        assert stats.reports == CARS * REPORTS and sent_during < CARS * REPORTS
        assert writer.failing_since is None and writer.pending == 0
    finally:
        await service.stop()
    # every terminal stops only once all its reports were acked: each one stored, exactly once
    assert await stored_per_car(own_pg_db) == {car.vehicle.id: REPORTS for car in cars}
