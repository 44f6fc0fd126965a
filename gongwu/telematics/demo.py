"""The demo fleet on the road: every demo car gets a terminal (JT/T 808 2013/2019 for fuel cars, GB/T 32960 for
new-energy cars, with SOC) and the simulator drives it over real TCP to this process's gateways, along routes of
the imported map when the caller can route (``routes``), else around plausible loops. Now and then a car speeds,
so the console has an alarm to show."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Callable, Sequence

from sqlalchemy import select

from gongwu.core.db import Database
from gongwu.core.fleet.models import Vehicle
from gongwu.devices.sim import FleetSimulator, Gb32960Vehicle, Jt808Terminal, ring_path
from gongwu.telematics import terminals
from gongwu.telematics.models import Terminal
from gongwu.telematics.settings import TelematicsSettings

__all__ = ["DEMO_CENTER", "RouteProvider", "drive", "provision_demo_terminals"]

log = logging.getLogger(__name__)

LatLonPair = tuple[float, float]
RouteProvider = Callable[[LatLonPair, LatLonPair], Sequence[LatLonPair]]
"""(from (lat, lon), to (lat, lon)) → the road path as (lat, lon) points (synchronous; run in a thread)."""
DEMO_CENTER = (39.9087, 116.3975)
"""Where the cars drive when no map is imported (天安门, Beijing)."""


def demo_phone(vehicle_id: int) -> str:
    return f"1380010{vehicle_id:04d}"


async def provision_demo_terminals(db: Database) -> int:
    """A terminal for every demo car that has none (idempotent); returns how many were added."""
    added = 0
    async with db.session() as session:
        cars = (await session.scalars(select(Vehicle).where(Vehicle.status.not_in(("retired", "placeholder"))))).all()
        bound = set((await session.scalars(select(Terminal.vehicle_id))).all())
        for car in cars:
            electric = car.energy_type != "fuel" and car.vin is not None
            protocol = "gb32960" if electric else "jt808"
            if car.id in bound:
                continue
            identifier = car.vin if electric and car.vin else demo_phone(car.id)
            await terminals.provision(session, protocol=protocol, identifier=identifier, vehicle_id=car.id)
            added += 1
        await session.commit()
    return added


async def _paths(
    count: int, routes: RouteProvider | None, bbox: tuple[float, float, float, float] | None, rng: random.Random
) -> list[list[LatLonPair]]:
    """Closed paths (there and back) for ``count`` cars."""
    if routes is not None and bbox is not None:
        min_lat, min_lon, max_lat, max_lon = bbox
        shrink_lat, shrink_lon = (max_lat - min_lat) * 0.2, (max_lon - min_lon) * 0.2
        box = (min_lat + shrink_lat, min_lon + shrink_lon, max_lat - shrink_lat, max_lon - shrink_lon)

        def pick() -> LatLonPair:
            return rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])

        out = []
        for _ in range(count):
            try:
                there = list(await asyncio.to_thread(routes, pick(), pick()))
            except Exception:
                log.warning("demo: routing failed; this car drives a loop", exc_info=True)
                there = []
            if len(there) >= 2:
                out.append(there + there[-2::-1])
            else:
                out.append(ring_path((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, rng.uniform(400, 1500)))
        return out
    lat0, lon0 = DEMO_CENTER if bbox is None else ((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2)
    out = []
    for _ in range(count):
        angle, distance = rng.uniform(0, 2 * math.pi), rng.uniform(0, 4000)
        lat = lat0 + distance / 111_320 * math.sin(angle)
        lon = lon0 + distance / (111_320 * math.cos(math.radians(lat0))) * math.cos(angle)
        out.append(ring_path(lat, lon, rng.uniform(500, 2500), points=36))
    return out


async def drive(
    db: Database,
    settings: TelematicsSettings,
    stop: asyncio.Event,
    *,
    routes: RouteProvider | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    interval_s: float = 2.0,
    seed: int = 20261127,
) -> None:
    """Drive the demo fleet until ``stop`` (``bbox`` = (min lat, min lon, max lat, max lon) of the map)."""
    await provision_demo_terminals(db)
    host = "127.0.0.1" if settings.gateway_host in ("0.0.0.0", "::", "") else settings.gateway_host
    await asyncio.sleep(1.0)  # let the gateways start listening
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Terminal.protocol, Terminal.identifier, Vehicle.plate, Vehicle.id)
                .join(Vehicle, Vehicle.id == Terminal.vehicle_id)
                .where(Vehicle.status.not_in(("retired", "placeholder")), Terminal.protocol != "nmea")
                .order_by(Vehicle.id)
            )
        ).all()
    rng = random.Random(seed)
    paths = await _paths(len(rows), routes, bbox, rng)
    vehicles: list[Jt808Terminal | Gb32960Vehicle] = []
    speeders: list[Jt808Terminal] = []
    for (protocol, identifier, plate, vehicle_id), path in zip(rows, paths, strict=True):
        speed = rng.uniform(22, 48)
        if protocol == "jt808" and settings.jt808_enabled:
            terminal = Jt808Terminal(
                identifier,
                host=host,
                port=settings.jt808_port,
                path=path,
                edition="2019" if vehicle_id % 2 else "2013",
                interval_s=interval_s,
                speed_kmh=speed,
                plate=plate,
                heartbeat_s=30,
            )
            vehicles.append(terminal)
            speeders.append(terminal)
        elif protocol == "gb32960" and settings.gb32960_enabled:
            vehicles.append(
                Gb32960Vehicle(
                    identifier,
                    host=host,
                    port=settings.gb32960_port,
                    path=path,
                    interval_s=interval_s * 1.5,
                    speed_kmh=speed,
                    soc_pct=rng.uniform(35, 95),
                )
            )
    fleet = FleetSimulator(vehicles, connect_rate=20)
    running = asyncio.create_task(fleet.run())
    log.info("demo: %d simulated cars driving to %s", len(vehicles), host)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 90)
            if stop.is_set() or not speeders:
                break
            car = rng.choice(speeders)
            normal, car.speed_kmh = car.speed_kmh, 128.0  # above the default 120 km/h limit: an overspeed alarm
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 12)
            car.speed_kmh = normal
    finally:
        fleet.stop()
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(running, 10)
