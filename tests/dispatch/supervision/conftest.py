"""The simulator's data for the audit: real JT/T 808 terminals (gongwu.devices.sim) drive paths over TCP to a
running gateway, the telematics consumers make trips and stops of it, and the audit judges them.

:class:`TimeLapse` is the simulator's terminal on a simulated clock: every report is ``step_s`` later on the
device's clock, the car drives its path once at ``speed_kmh`` of that clock (so a 6 km trip of a past working day
takes a second or two of test time), then stands with the ignition off. It reports its odometer and fuel gauge.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from gongwu.app.platform import Platform
from gongwu.core.audit import Actor, set_actor
from gongwu.core.db import Database
from gongwu.core.fleet import service as fleet
from gongwu.devices import jt808 as j
from gongwu.devices.sim import Jt808Terminal
from gongwu.devices.sim.path import haversine_m
from gongwu.dispatch.costs.models import FuelStation
from gongwu.telematics import terminals
from gongwu.telematics.consumers import ConsumerService
from gongwu.telematics.gateway import GatewayService
from tests import factories as f
from tests.conftest import make_platform
from tests.dispatch.costs.conftest import STATION
from tests.telematics.conftest import HOST, gateway_settings

DRIVING = 0b11 | (1 << 18) | (1 << 19)
PARKED = 0b10 | (1 << 18) | (1 << 19)


class TimeLapse(Jt808Terminal):
    """A simulated terminal on a simulated clock: drives ``path`` once, then parks with the ignition off."""

    def __init__(
        self, phone: str, *, start: datetime, path: Sequence[tuple[float, float]], step_s: float = 10.0,
        parked_reports: int = 8, fuel_l: float = 30.0, **kw: Any,
    ) -> None:  # fmt: skip
        self.clock = start
        self.step = timedelta(seconds=step_s)
        self.fuel = fuel_l
        length = sum(haversine_m(a, b) for a, b in itertools.pairwise(path))
        driving = int(length / (kw.get("speed_kmh", 40.0) / 3.6) / step_s) + 1
        super().__init__(
            phone, path=path, now=lambda: self.clock, reports=driving + parked_reports + 1, interval_s=0.01, **kw
        )
        self.length_m = length

    def _location(self) -> j.Location:
        self.clock += self.step
        start_km = 1000.0
        driven_m = (self.walker.odometer_km - start_km) * 1000
        if driven_m < self.length_m - 1.0:
            metres = min(self.speed_kmh / 3.6 * self.step.total_seconds(), self.length_m - driven_m)
            self.walker.advance(metres)
            self.fuel -= metres / 1000 * 0.08
            status, speed = DRIVING, self.speed_kmh
        else:
            status, speed = PARKED, 0.0
        if self.walker.distance_m >= self.length_m:
            self.walker.distance_m = self.length_m - 0.01  # stay at the end (the walker loops)
        lat, lon, course = self.walker.where()
        items: tuple[j.Item, ...] = (j.Mileage(round(self.walker.odometer_km, 2)), j.FuelGauge(round(self.fuel, 1)))
        return j.Location(
            0, status, round(lat, 6), round(lon, 6), 50, round(speed, 1), round(course), self.clock, items
        )


def line(a: tuple[float, float], b: tuple[float, float], points: int = 12) -> list[tuple[float, float]]:
    return [(a[0] + (b[0] - a[0]) * i / points, a[1] + (b[1] - a[1]) * i / points) for i in range(points + 1)]


@dataclass
class Rig:
    platform: Platform
    gateway: GatewayService
    unit: Any
    centre: Any
    staff: Any
    leader: Any
    driver_id: int
    cars: dict[str, tuple[int, str, str]]
    """name → (vehicle id, terminal phone, plate)"""

    async def drive(self, name: str, start: datetime, path: Sequence[tuple[float, float]], **kw: Any) -> TimeLapse:
        _vehicle_id, phone, plate = self.cars[name]
        terminal = TimeLapse(
            phone, start=start, path=path, host=HOST, port=self.gateway.ports["jt808"], plate=plate, **kw
        )
        await asyncio.wait_for(terminal.run(), 30)
        return terminal


@pytest.fixture
def platform(db: Database) -> Platform:
    return make_platform(db)


@pytest.fixture
async def rig(platform: Platform) -> AsyncIterator[Rig]:
    db = platform.db
    async with db.session() as s:
        set_actor(s, Actor(None, "test"))
        root = await f.unit(s, name="机关事务管理局")
        centre = await f.unit(s, parent=root, name="公务用车服务中心")
        organ = await f.unit(s, name="发改委")
        staff = await f.user(s, organ, "requester")
        leader = await f.user(s, organ, "approver", "requester", rank="director_general")
        await f.user(s, root, "supervisor")
        driver = await fleet.create_driver(
            s, name="马师傅", unit_id=centre.id, licence_class="B1", licence_expiry=datetime(2030, 1, 1).date()
        )
        await f.budget_line(s, organ, 50_000)
        await f.budget_line(s, centre, 50_000)
        s.add(FuelStation(code=STATION[0], name=STATION[1], lat=STATION[2], lon=STATION[3], supplier="中石化"))
        cars = {}
        for index, name in enumerate(("private", "refuel", "normal")):
            car = await f.vehicle(s, centre, fuel_tank_l=60.0, l_per_100km=8.0)
            phone = f"1390000{index:04d}"
            await terminals.provision(s, protocol="jt808", identifier=phone, vehicle_id=car.id)
            cars[name] = (car.id, phone, car.plate)
        await s.commit()
    settings = gateway_settings()
    gateway = GatewayService(db, platform.bus, settings)
    await gateway.start()
    stop = asyncio.Event()
    consumers = ConsumerService(db, platform.bus, settings, timezone="Asia/Shanghai", rules_ttl_s=0.0)
    consuming = asyncio.create_task(consumers.run(stop))
    try:
        yield Rig(platform, gateway, organ, centre, staff, leader, driver.id, cars)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(consuming, 10)
        await gateway.stop()
